//! Server-to-client values: greeting, untagged and tagged responses, continuation requests.

use std::borrow::Cow;

use super::body::{BodyStructure, Envelope};
use super::{
    Capability, Flag, Mailbox, Section, SequenceSet, StatusItem, Tag, own, own_caps, own_flags,
    own_s,
};
use super::{IdParams, Namespaces};

/// Status of a tagged response or a status response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `OK`.
    Ok,
    /// `NO`.
    No,
    /// `BAD`.
    Bad,
    /// `PREAUTH` (greeting only).
    PreAuth,
    /// `BYE`.
    Bye,
}

impl Status {
    /// The keyword on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::No => "NO",
            Status::Bad => "BAD",
            Status::PreAuth => "PREAUTH",
            Status::Bye => "BYE",
        }
    }
}

/// A response code (`[...]` after a status keyword). Codes this crate does not know are
/// kept raw in [`Code::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code<'a> {
    /// `ALERT`.
    Alert,
    /// `BADCHARSET` with the supported charsets (possibly none).
    BadCharset(Vec<Cow<'a, [u8]>>),
    /// `CAPABILITY ...`.
    Capability(Vec<Capability<'a>>),
    /// `PARSE`.
    Parse,
    /// `PERMANENTFLAGS (...)`.
    PermanentFlags(Vec<Flag<'a>>),
    /// `READ-ONLY`.
    ReadOnly,
    /// `READ-WRITE`.
    ReadWrite,
    /// `TRYCREATE`.
    TryCreate,
    /// `UIDNEXT n`.
    UidNext(u32),
    /// `UIDVALIDITY n` (0 only under leniency `uidvalidity_zero`).
    UidValidity(u32),
    /// `UNSEEN n` (IMAP4rev1).
    Unseen(u32),
    /// `APPENDUID validity uids` (UIDPLUS).
    AppendUid {
        /// UIDVALIDITY of the destination.
        validity: u32,
        /// UIDs assigned.
        uids: SequenceSet,
    },
    /// `COPYUID validity source destination` (UIDPLUS).
    CopyUid {
        /// UIDVALIDITY of the destination.
        validity: u32,
        /// Source UIDs.
        source: SequenceSet,
        /// Destination UIDs, in the same order.
        destination: SequenceSet,
    },
    /// `UIDNOTSTICKY`.
    UidNotSticky,
    /// `CLOSED` (QRESYNC / RFC 9051).
    Closed,
    /// `HIGHESTMODSEQ n`.
    HighestModSeq(u64),
    /// `NOMODSEQ`.
    NoModSeq,
    /// `MODIFIED set` (CONDSTORE).
    Modified(SequenceSet),
    /// `COMPRESSIONACTIVE` (RFC 4978).
    CompressionActive,
    /// `TOOBIG` (RFC 4469, RFC 7889).
    TooBig,
    /// `OVERQUOTA` (RFC 9208).
    OverQuota,
    /// `MAILBOXID (id)` (OBJECTID).
    MailboxId(Cow<'a, [u8]>),
    /// `UNAVAILABLE` (RFC 5530).
    Unavailable,
    /// `AUTHENTICATIONFAILED`.
    AuthenticationFailed,
    /// `AUTHORIZATIONFAILED`.
    AuthorizationFailed,
    /// `EXPIRED`.
    Expired,
    /// `PRIVACYREQUIRED`.
    PrivacyRequired,
    /// `CONTACTADMIN`.
    ContactAdmin,
    /// `NOPERM`.
    NoPerm,
    /// `INUSE`.
    InUse,
    /// `EXPUNGEISSUED`.
    ExpungeIssued,
    /// `CORRUPTION`.
    Corruption,
    /// `SERVERBUG`.
    ServerBug,
    /// `CLIENTBUG`.
    ClientBug,
    /// `CANNOT`.
    Cannot,
    /// `LIMIT`.
    Limit,
    /// `ALREADYEXISTS`.
    AlreadyExists,
    /// `NONEXISTENT`.
    NonExistent,
    /// `HASCHILDREN` (RFC 9051).
    HasChildren,
    /// `NOTSAVED` (SEARCHRES).
    NotSaved,
    /// `UNKNOWN-CTE` (BINARY).
    UnknownCte,
    /// `USEATTR` (SPECIAL-USE).
    UseAttr,
    /// Any other code: the atom (upper-cased) and the raw text after it, if any.
    Other {
        /// Code name.
        name: Cow<'a, str>,
        /// Raw bytes after the name and its space, up to `]`.
        value: Option<Cow<'a, [u8]>>,
    },
}

/// Simple (argument-less) codes, by name.
pub(crate) const SIMPLE_CODES: &[(&str, Code<'static>)] = &[
    ("ALERT", Code::Alert),
    ("PARSE", Code::Parse),
    ("READ-ONLY", Code::ReadOnly),
    ("READ-WRITE", Code::ReadWrite),
    ("TRYCREATE", Code::TryCreate),
    ("UIDNOTSTICKY", Code::UidNotSticky),
    ("CLOSED", Code::Closed),
    ("NOMODSEQ", Code::NoModSeq),
    ("COMPRESSIONACTIVE", Code::CompressionActive),
    ("TOOBIG", Code::TooBig),
    ("OVERQUOTA", Code::OverQuota),
    ("UNAVAILABLE", Code::Unavailable),
    ("AUTHENTICATIONFAILED", Code::AuthenticationFailed),
    ("AUTHORIZATIONFAILED", Code::AuthorizationFailed),
    ("EXPIRED", Code::Expired),
    ("PRIVACYREQUIRED", Code::PrivacyRequired),
    ("CONTACTADMIN", Code::ContactAdmin),
    ("NOPERM", Code::NoPerm),
    ("INUSE", Code::InUse),
    ("EXPUNGEISSUED", Code::ExpungeIssued),
    ("CORRUPTION", Code::Corruption),
    ("SERVERBUG", Code::ServerBug),
    ("CLIENTBUG", Code::ClientBug),
    ("CANNOT", Code::Cannot),
    ("LIMIT", Code::Limit),
    ("ALREADYEXISTS", Code::AlreadyExists),
    ("NONEXISTENT", Code::NonExistent),
    ("HASCHILDREN", Code::HasChildren),
    ("NOTSAVED", Code::NotSaved),
    ("UNKNOWN-CTE", Code::UnknownCte),
    ("USEATTR", Code::UseAttr),
];

impl Code<'_> {
    /// An owned copy.
    pub fn into_static(self) -> Code<'static> {
        match self {
            Code::BadCharset(v) => Code::BadCharset(v.into_iter().map(own).collect()),
            Code::Capability(v) => Code::Capability(own_caps(v)),
            Code::PermanentFlags(v) => Code::PermanentFlags(own_flags(v)),
            Code::UidNext(n) => Code::UidNext(n),
            Code::UidValidity(n) => Code::UidValidity(n),
            Code::Unseen(n) => Code::Unseen(n),
            Code::AppendUid { validity, uids } => Code::AppendUid { validity, uids },
            Code::CopyUid {
                validity,
                source,
                destination,
            } => Code::CopyUid {
                validity,
                source,
                destination,
            },
            Code::HighestModSeq(n) => Code::HighestModSeq(n),
            Code::Modified(s) => Code::Modified(s),
            Code::MailboxId(s) => Code::MailboxId(own(s)),
            Code::Other { name, value } => Code::Other {
                name: own_s(name),
                value: value.map(own),
            },
            simple => {
                for (_, c) in SIMPLE_CODES {
                    if std::mem::discriminant(c) == std::mem::discriminant(&simple) {
                        return c.clone();
                    }
                }
                Code::Alert
            }
        }
    }
}

/// A status response's body: optional code and human-readable text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusText<'a> {
    /// The response code.
    pub code: Option<Code<'a>>,
    /// The text (may be empty: `A1 NO` without text is accepted under leniency).
    pub text: Cow<'a, [u8]>,
}

impl StatusText<'_> {
    /// An owned copy.
    pub fn into_static(self) -> StatusText<'static> {
        StatusText {
            code: self.code.map(Code::into_static),
            text: own(self.text),
        }
    }
}

/// The server greeting: `* OK`, `* PREAUTH` or `* BYE`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Greeting<'a> {
    /// `Ok`, `PreAuth` or `Bye`.
    pub status: Status,
    /// Code and text.
    pub text: StatusText<'a>,
}

/// A LIST or LSUB response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListItem<'a> {
    /// Name attributes (`\HasNoChildren`, `\Sent`, ...), as flags.
    pub attributes: Vec<Flag<'a>>,
    /// Hierarchy delimiter, `None` for `NIL`.
    pub delimiter: Option<u8>,
    /// The mailbox.
    pub mailbox: Mailbox<'a>,
    /// Extended data (`("CHILDINFO" ("SUBSCRIBED"))`, `("OLDNAME" ("x"))`), raw.
    pub extended: Option<Cow<'a, [u8]>>,
}

/// A value in an ESEARCH response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ESearchItem<'a> {
    /// `MIN n`.
    Min(u32),
    /// `MAX n`.
    Max(u32),
    /// `COUNT n`.
    Count(u32),
    /// `ALL set`.
    All(SequenceSet),
    /// `MODSEQ n`.
    ModSeq(u64),
    /// Anything else: name and raw value.
    Other(Cow<'a, str>, Cow<'a, [u8]>),
}

/// The ESEARCH response (RFC 4731, RFC 9051).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ESearch<'a> {
    /// `(TAG "A282")` correlator.
    pub tag: Option<Cow<'a, [u8]>>,
    /// Whether `UID` was present.
    pub uid: bool,
    /// Returned items.
    pub items: Vec<ESearchItem<'a>>,
}

/// A message data value that is either inline or was streamed out as body events.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyData<'a> {
    /// `NIL`.
    Nil,
    /// The bytes (a quoted string or a small literal).
    Bytes(Cow<'a, [u8]>),
    /// A literal of this many bytes whose content was delivered as
    /// `Frame::BodyData` events and is not repeated here.
    Streamed(u64),
}

impl BodyData<'_> {
    /// An owned copy.
    pub fn into_static(self) -> BodyData<'static> {
        match self {
            BodyData::Nil => BodyData::Nil,
            BodyData::Bytes(b) => BodyData::Bytes(own(b)),
            BodyData::Streamed(n) => BodyData::Streamed(n),
        }
    }
}

/// One item of a FETCH response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FetchItem<'a> {
    /// `FLAGS (...)`.
    Flags(Vec<Flag<'a>>),
    /// `ENVELOPE (...)`.
    Envelope(Box<Envelope<'a>>),
    /// `INTERNALDATE "..."`, raw.
    InternalDate(Cow<'a, [u8]>),
    /// `RFC822.SIZE n`.
    Rfc822Size(u64),
    /// `UID n`.
    Uid(u32),
    /// `BODYSTRUCTURE (...)`.
    BodyStructure(Box<BodyStructure<'a>>),
    /// `BODY (...)` (structure without extension data).
    Body(Box<BodyStructure<'a>>),
    /// `BODY[section]<origin> data`.
    BodySection {
        /// The section spec.
        section: Section<'a>,
        /// Origin octet of a partial fetch.
        origin: Option<u32>,
        /// The data.
        data: BodyData<'a>,
    },
    /// `BINARY[part]<origin> data` (RFC 3516).
    Binary {
        /// Part numbers.
        part: Vec<u32>,
        /// Origin octet of a partial fetch.
        origin: Option<u32>,
        /// The data.
        data: BodyData<'a>,
    },
    /// `BINARY.SIZE[part] n`.
    BinarySize {
        /// Part numbers.
        part: Vec<u32>,
        /// Decoded size.
        size: u64,
    },
    /// `RFC822 data`.
    Rfc822(BodyData<'a>),
    /// `RFC822.HEADER data`.
    Rfc822Header(BodyData<'a>),
    /// `RFC822.TEXT data`.
    Rfc822Text(BodyData<'a>),
    /// `MODSEQ (n)`.
    ModSeq(u64),
    /// `X-GM-MSGID n`.
    GmMsgId(u64),
    /// `X-GM-THRID n`.
    GmThrId(u64),
    /// `X-GM-LABELS (...)`, raw label astrings.
    GmLabels(Vec<Cow<'a, [u8]>>),
    /// `PREVIEW nstring` (RFC 8970).
    Preview(Option<Cow<'a, [u8]>>),
    /// `EMAILID (id)` (OBJECTID).
    EmailId(Cow<'a, [u8]>),
    /// `THREADID (id)` or `THREADID NIL`.
    ThreadId(Option<Cow<'a, [u8]>>),
    /// `SAVEDATE "..."` or `NIL`.
    SaveDate(Option<Cow<'a, [u8]>>),
}

impl FetchItem<'_> {
    /// An owned copy.
    pub fn into_static(self) -> FetchItem<'static> {
        match self {
            FetchItem::Flags(v) => FetchItem::Flags(own_flags(v)),
            FetchItem::Envelope(e) => FetchItem::Envelope(Box::new(e.into_static())),
            FetchItem::InternalDate(d) => FetchItem::InternalDate(own(d)),
            FetchItem::Rfc822Size(n) => FetchItem::Rfc822Size(n),
            FetchItem::Uid(n) => FetchItem::Uid(n),
            FetchItem::BodyStructure(b) => FetchItem::BodyStructure(Box::new(b.into_static())),
            FetchItem::Body(b) => FetchItem::Body(Box::new(b.into_static())),
            FetchItem::BodySection {
                section,
                origin,
                data,
            } => FetchItem::BodySection {
                section: section.into_static(),
                origin,
                data: data.into_static(),
            },
            FetchItem::Binary { part, origin, data } => FetchItem::Binary {
                part,
                origin,
                data: data.into_static(),
            },
            FetchItem::BinarySize { part, size } => FetchItem::BinarySize { part, size },
            FetchItem::Rfc822(d) => FetchItem::Rfc822(d.into_static()),
            FetchItem::Rfc822Header(d) => FetchItem::Rfc822Header(d.into_static()),
            FetchItem::Rfc822Text(d) => FetchItem::Rfc822Text(d.into_static()),
            FetchItem::ModSeq(n) => FetchItem::ModSeq(n),
            FetchItem::GmMsgId(n) => FetchItem::GmMsgId(n),
            FetchItem::GmThrId(n) => FetchItem::GmThrId(n),
            FetchItem::GmLabels(v) => FetchItem::GmLabels(v.into_iter().map(own).collect()),
            FetchItem::Preview(p) => FetchItem::Preview(p.map(own)),
            FetchItem::EmailId(p) => FetchItem::EmailId(own(p)),
            FetchItem::ThreadId(p) => FetchItem::ThreadId(p.map(own)),
            FetchItem::SaveDate(p) => FetchItem::SaveDate(p.map(own)),
        }
    }
}

/// A THREAD response node: a message and its children (RFC 5256).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Thread {
    /// The message number, or `None` for a missing parent (a nested list at the head).
    pub id: Option<u32>,
    /// Children threads.
    pub children: Vec<Thread>,
}

/// A QUOTA resource: name, usage, limit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QuotaResource<'a> {
    /// Resource name (`STORAGE`, `MESSAGE`).
    pub name: Cow<'a, str>,
    /// Current usage.
    pub usage: u64,
    /// Limit.
    pub limit: u64,
}

/// An untagged response (`* ...`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Untagged<'a> {
    /// `* OK/NO/BAD/PREAUTH/BYE [code] text`.
    State {
        /// The status.
        status: Status,
        /// Code and text.
        text: StatusText<'a>,
    },
    /// `* CAPABILITY ...`.
    Capability(Vec<Capability<'a>>),
    /// `* ENABLED ...`.
    Enabled(Vec<Capability<'a>>),
    /// `* FLAGS (...)`.
    Flags(Vec<Flag<'a>>),
    /// `* LIST ...`.
    List(ListItem<'a>),
    /// `* LSUB ...`.
    Lsub(ListItem<'a>),
    /// `* STATUS mailbox (...)`.
    MailboxStatus {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Item values.
        items: Vec<(StatusItem<'a>, u64)>,
    },
    /// `* SEARCH n n ...` with an optional `(MODSEQ n)`.
    Search {
        /// Matching numbers.
        ids: Vec<u32>,
        /// `(MODSEQ n)` (CONDSTORE).
        modseq: Option<u64>,
    },
    /// `* SORT n n ...`.
    Sort {
        /// Numbers in order.
        ids: Vec<u32>,
        /// `(MODSEQ n)`.
        modseq: Option<u64>,
    },
    /// `* THREAD (...)...`.
    Thread(Vec<Thread>),
    /// `* ESEARCH ...`.
    ESearch(ESearch<'a>),
    /// `* n EXISTS`.
    Exists(u32),
    /// `* n RECENT`.
    Recent(u32),
    /// `* n EXPUNGE`.
    Expunge(u32),
    /// `* n FETCH (...)`.
    Fetch {
        /// Message sequence number.
        seq: u32,
        /// Items.
        items: Vec<FetchItem<'a>>,
    },
    /// `* VANISHED [(EARLIER)] uids` (QRESYNC).
    Vanished {
        /// `(EARLIER)`.
        earlier: bool,
        /// UIDs.
        uids: SequenceSet,
    },
    /// `* NAMESPACE personal other shared`, each raw (`NIL` or the parenthesised list).
    Namespace {
        /// Personal namespaces.
        personal: Namespaces<'a>,
        /// Other users' namespaces.
        other: Namespaces<'a>,
        /// Shared namespaces.
        shared: Namespaces<'a>,
    },
    /// `* ID (...)` or `* ID NIL`.
    Id(IdParams<'a>),
    /// `* QUOTA root (resources)`.
    Quota {
        /// Quota root.
        root: Cow<'a, [u8]>,
        /// Resources.
        resources: Vec<QuotaResource<'a>>,
    },
    /// `* QUOTAROOT mailbox roots...`.
    QuotaRoot {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Its quota roots.
        roots: Vec<Cow<'a, [u8]>>,
    },
    /// `* METADATA mailbox ...`, the rest raw.
    Metadata {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Raw rest of the response.
        raw: Cow<'a, [u8]>,
    },
    /// Any other untagged response: the name (upper-cased) and the raw rest.
    Other {
        /// First word (or the word after a number).
        name: Cow<'a, str>,
        /// Leading number (`* 3 XFOO`), if any.
        number: Option<u32>,
        /// Raw rest after the name.
        raw: Cow<'a, [u8]>,
    },
}

fn own_ns(v: Namespaces<'_>) -> Namespaces<'static> {
    v.map(|v| v.into_iter().map(|(p, d)| (own(p), d)).collect())
}

impl Untagged<'_> {
    /// An owned copy.
    pub fn into_static(self) -> Untagged<'static> {
        match self {
            Untagged::State { status, text } => Untagged::State {
                status,
                text: text.into_static(),
            },
            Untagged::Capability(v) => Untagged::Capability(own_caps(v)),
            Untagged::Enabled(v) => Untagged::Enabled(own_caps(v)),
            Untagged::Flags(v) => Untagged::Flags(own_flags(v)),
            Untagged::List(l) => Untagged::List(l.into_static()),
            Untagged::Lsub(l) => Untagged::Lsub(l.into_static()),
            Untagged::MailboxStatus { mailbox, items } => Untagged::MailboxStatus {
                mailbox: mailbox.into_static(),
                items: items
                    .into_iter()
                    .map(|(k, v)| (k.into_static(), v))
                    .collect(),
            },
            Untagged::Search { ids, modseq } => Untagged::Search { ids, modseq },
            Untagged::Sort { ids, modseq } => Untagged::Sort { ids, modseq },
            Untagged::Thread(t) => Untagged::Thread(t),
            Untagged::ESearch(e) => Untagged::ESearch(ESearch {
                tag: e.tag.map(own),
                uid: e.uid,
                items: e
                    .items
                    .into_iter()
                    .map(|i| match i {
                        ESearchItem::Min(n) => ESearchItem::Min(n),
                        ESearchItem::Max(n) => ESearchItem::Max(n),
                        ESearchItem::Count(n) => ESearchItem::Count(n),
                        ESearchItem::All(s) => ESearchItem::All(s),
                        ESearchItem::ModSeq(n) => ESearchItem::ModSeq(n),
                        ESearchItem::Other(a, b) => ESearchItem::Other(own_s(a), own(b)),
                    })
                    .collect(),
            }),
            Untagged::Exists(n) => Untagged::Exists(n),
            Untagged::Recent(n) => Untagged::Recent(n),
            Untagged::Expunge(n) => Untagged::Expunge(n),
            Untagged::Fetch { seq, items } => Untagged::Fetch {
                seq,
                items: items.into_iter().map(FetchItem::into_static).collect(),
            },
            Untagged::Vanished { earlier, uids } => Untagged::Vanished { earlier, uids },
            Untagged::Namespace {
                personal,
                other,
                shared,
            } => Untagged::Namespace {
                personal: own_ns(personal),
                other: own_ns(other),
                shared: own_ns(shared),
            },
            Untagged::Id(v) => {
                Untagged::Id(v.map(|v| v.into_iter().map(|(k, x)| (own(k), x.map(own))).collect()))
            }
            Untagged::Quota { root, resources } => Untagged::Quota {
                root: own(root),
                resources: resources
                    .into_iter()
                    .map(|r| QuotaResource {
                        name: own_s(r.name),
                        usage: r.usage,
                        limit: r.limit,
                    })
                    .collect(),
            },
            Untagged::QuotaRoot { mailbox, roots } => Untagged::QuotaRoot {
                mailbox: mailbox.into_static(),
                roots: roots.into_iter().map(own).collect(),
            },
            Untagged::Metadata { mailbox, raw } => Untagged::Metadata {
                mailbox: mailbox.into_static(),
                raw: own(raw),
            },
            Untagged::Other { name, number, raw } => Untagged::Other {
                name: own_s(name),
                number,
                raw: own(raw),
            },
        }
    }
}

impl ListItem<'_> {
    /// An owned copy.
    pub fn into_static(self) -> ListItem<'static> {
        ListItem {
            attributes: own_flags(self.attributes),
            delimiter: self.delimiter,
            mailbox: self.mailbox.into_static(),
            extended: self.extended.map(own),
        }
    }
}

/// A tagged response: the completion of a command.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tagged<'a> {
    /// The command's tag.
    pub tag: Tag<'a>,
    /// `Ok`, `No` or `Bad`.
    pub status: Status,
    /// Code and text.
    pub text: StatusText<'a>,
}

/// A continuation request (`+ text` or `+ base64`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Continuation<'a> {
    /// The text after `+ ` (base64 challenge during AUTHENTICATE), possibly empty
    /// (Yandex sends a bare `+`).
    pub text: Cow<'a, [u8]>,
}

/// Anything a server sends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Response<'a> {
    /// `* ...`.
    Untagged(Untagged<'a>),
    /// `tag OK/NO/BAD ...`.
    Tagged(Tagged<'a>),
    /// `+ ...`.
    Continuation(Continuation<'a>),
}

impl Response<'_> {
    /// An owned copy.
    pub fn into_static(self) -> Response<'static> {
        match self {
            Response::Untagged(u) => Response::Untagged(u.into_static()),
            Response::Tagged(t) => Response::Tagged(Tagged {
                tag: t.tag.into_static(),
                status: t.status,
                text: t.text.into_static(),
            }),
            Response::Continuation(c) => Response::Continuation(Continuation { text: own(c.text) }),
        }
    }
}

impl Greeting<'_> {
    /// An owned copy.
    pub fn into_static(self) -> Greeting<'static> {
        Greeting {
            status: self.status,
            text: self.text.into_static(),
        }
    }
}
