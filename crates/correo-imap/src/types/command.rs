//! Client-to-server values: commands and their arguments.

use std::borrow::Cow;

use super::IdParams;
use super::{
    Capability, Flag, Mailbox, Section, SequenceSet, StatusItem, Tag, own, own_caps, own_flags,
    own_s,
};

/// A FETCH data item requested by the client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FetchAttr<'a> {
    /// `ENVELOPE`.
    Envelope,
    /// `FLAGS`.
    Flags,
    /// `INTERNALDATE`.
    InternalDate,
    /// `RFC822`.
    Rfc822,
    /// `RFC822.HEADER`.
    Rfc822Header,
    /// `RFC822.SIZE`.
    Rfc822Size,
    /// `RFC822.TEXT`.
    Rfc822Text,
    /// `BODY` (structure without extensions).
    Body,
    /// `BODYSTRUCTURE`.
    BodyStructure,
    /// `UID`.
    Uid,
    /// `BODY[section]<partial>` or `BODY.PEEK[...]`.
    BodySection {
        /// `.PEEK`.
        peek: bool,
        /// The section.
        section: Section<'a>,
        /// `<origin.count>`.
        partial: Option<(u32, u32)>,
    },
    /// `BINARY[part]<partial>` or `BINARY.PEEK[...]`.
    Binary {
        /// `.PEEK`.
        peek: bool,
        /// Part numbers.
        part: Vec<u32>,
        /// `<origin.count>`.
        partial: Option<(u32, u32)>,
    },
    /// `BINARY.SIZE[part]`.
    BinarySize(Vec<u32>),
    /// `MODSEQ`.
    ModSeq,
    /// `X-GM-MSGID`.
    GmMsgId,
    /// `X-GM-THRID`.
    GmThrId,
    /// `X-GM-LABELS`.
    GmLabels,
    /// `PREVIEW` or `PREVIEW (LAZY)`.
    Preview {
        /// `(LAZY)`.
        lazy: bool,
    },
    /// `EMAILID`.
    EmailId,
    /// `THREADID`.
    ThreadId,
    /// `SAVEDATE`.
    SaveDate,
}

impl FetchAttr<'_> {
    /// An owned copy.
    pub fn into_static(self) -> FetchAttr<'static> {
        match self {
            FetchAttr::BodySection {
                peek,
                section,
                partial,
            } => FetchAttr::BodySection {
                peek,
                section: section.into_static(),
                partial,
            },
            FetchAttr::Envelope => FetchAttr::Envelope,
            FetchAttr::Flags => FetchAttr::Flags,
            FetchAttr::InternalDate => FetchAttr::InternalDate,
            FetchAttr::Rfc822 => FetchAttr::Rfc822,
            FetchAttr::Rfc822Header => FetchAttr::Rfc822Header,
            FetchAttr::Rfc822Size => FetchAttr::Rfc822Size,
            FetchAttr::Rfc822Text => FetchAttr::Rfc822Text,
            FetchAttr::Body => FetchAttr::Body,
            FetchAttr::BodyStructure => FetchAttr::BodyStructure,
            FetchAttr::Uid => FetchAttr::Uid,
            FetchAttr::Binary {
                peek,
                part,
                partial,
            } => FetchAttr::Binary {
                peek,
                part,
                partial,
            },
            FetchAttr::BinarySize(p) => FetchAttr::BinarySize(p),
            FetchAttr::ModSeq => FetchAttr::ModSeq,
            FetchAttr::GmMsgId => FetchAttr::GmMsgId,
            FetchAttr::GmThrId => FetchAttr::GmThrId,
            FetchAttr::GmLabels => FetchAttr::GmLabels,
            FetchAttr::Preview { lazy } => FetchAttr::Preview { lazy },
            FetchAttr::EmailId => FetchAttr::EmailId,
            FetchAttr::ThreadId => FetchAttr::ThreadId,
            FetchAttr::SaveDate => FetchAttr::SaveDate,
        }
    }
}

/// What a FETCH asks for: a macro or a list (a single item is sent without parentheses).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchAttrs<'a> {
    /// `ALL` = `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)`.
    All,
    /// `FAST` = `(FLAGS INTERNALDATE RFC822.SIZE)`.
    Fast,
    /// `FULL` = `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)`.
    Full,
    /// A list; `paren` records whether it was parenthesised.
    List {
        /// The items.
        items: Vec<FetchAttr<'a>>,
        /// Written in parentheses (always true when there are several).
        paren: bool,
    },
}

/// FETCH modifiers (`(CHANGEDSINCE n VANISHED)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FetchModifiers {
    /// `CHANGEDSINCE n` (CONDSTORE).
    pub changed_since: Option<u64>,
    /// `VANISHED` (QRESYNC, UID FETCH only).
    pub vanished: bool,
}

/// How STORE changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreMode {
    /// `FLAGS`: replace.
    Replace,
    /// `+FLAGS`: add.
    Add,
    /// `-FLAGS`: remove.
    Remove,
}

/// A SEARCH key (RFC 3501 6.4.4, RFC 9051 6.4.4, plus extensions).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SearchKey<'a> {
    /// `ALL`.
    All,
    /// `ANSWERED`.
    Answered,
    /// `BCC s`.
    Bcc(Cow<'a, [u8]>),
    /// `BEFORE date`.
    Before(Cow<'a, [u8]>),
    /// `BODY s`.
    Body(Cow<'a, [u8]>),
    /// `CC s`.
    Cc(Cow<'a, [u8]>),
    /// `DELETED`.
    Deleted,
    /// `DRAFT`.
    Draft,
    /// `FLAGGED`.
    Flagged,
    /// `FROM s`.
    From(Cow<'a, [u8]>),
    /// `HEADER name value`.
    Header(Cow<'a, [u8]>, Cow<'a, [u8]>),
    /// `KEYWORD flag`.
    Keyword(Cow<'a, str>),
    /// `LARGER n`.
    Larger(u64),
    /// `NEW`.
    New,
    /// `NOT key`.
    Not(Box<SearchKey<'a>>),
    /// `OLD`.
    Old,
    /// `ON date`.
    On(Cow<'a, [u8]>),
    /// `OR a b`.
    Or(Box<SearchKey<'a>>, Box<SearchKey<'a>>),
    /// `RECENT`.
    Recent,
    /// `SEEN`.
    Seen,
    /// `SENTBEFORE date`.
    SentBefore(Cow<'a, [u8]>),
    /// `SENTON date`.
    SentOn(Cow<'a, [u8]>),
    /// `SENTSINCE date`.
    SentSince(Cow<'a, [u8]>),
    /// `SINCE date`.
    Since(Cow<'a, [u8]>),
    /// `SMALLER n`.
    Smaller(u64),
    /// `SUBJECT s`.
    Subject(Cow<'a, [u8]>),
    /// `TEXT s`.
    Text(Cow<'a, [u8]>),
    /// `TO s`.
    To(Cow<'a, [u8]>),
    /// `UID set`.
    Uid(SequenceSet),
    /// `UNANSWERED`.
    Unanswered,
    /// `UNDELETED`.
    Undeleted,
    /// `UNDRAFT`.
    Undraft,
    /// `UNFLAGGED`.
    Unflagged,
    /// `UNKEYWORD flag`.
    Unkeyword(Cow<'a, str>),
    /// `UNSEEN`.
    Unseen,
    /// A sequence set.
    SequenceSet(SequenceSet),
    /// `(key key ...)`.
    And(Vec<SearchKey<'a>>),
    /// `MODSEQ n` (CONDSTORE; the optional entry name/type are not kept).
    ModSeq(u64),
    /// `OLDER n` (WITHIN).
    Older(u64),
    /// `YOUNGER n` (WITHIN).
    Younger(u64),
    /// `SAVEDBEFORE date` (SAVEDATE).
    SavedBefore(Cow<'a, [u8]>),
    /// `SAVEDON date`.
    SavedOn(Cow<'a, [u8]>),
    /// `SAVEDSINCE date`.
    SavedSince(Cow<'a, [u8]>),
    /// `SAVEDATESUPPORTED`.
    SaveDateSupported,
    /// `EMAILID id` (OBJECTID).
    EmailId(Cow<'a, [u8]>),
    /// `THREADID id`.
    ThreadId(Cow<'a, [u8]>),
    /// `X-GM-RAW s`.
    GmRaw(Cow<'a, [u8]>),
    /// `X-GM-MSGID n`.
    GmMsgId(u64),
    /// `X-GM-THRID n`.
    GmThrId(u64),
    /// `X-GM-LABELS label`.
    GmLabels(Cow<'a, [u8]>),
}

fn own_key(k: SearchKey<'_>) -> SearchKey<'static> {
    use SearchKey as K;
    match k {
        K::All => K::All,
        K::Answered => K::Answered,
        K::Bcc(s) => K::Bcc(own(s)),
        K::Before(s) => K::Before(own(s)),
        K::Body(s) => K::Body(own(s)),
        K::Cc(s) => K::Cc(own(s)),
        K::Deleted => K::Deleted,
        K::Draft => K::Draft,
        K::Flagged => K::Flagged,
        K::From(s) => K::From(own(s)),
        K::Header(a, b) => K::Header(own(a), own(b)),
        K::Keyword(s) => K::Keyword(own_s(s)),
        K::Larger(n) => K::Larger(n),
        K::New => K::New,
        K::Not(k) => K::Not(Box::new(own_key(*k))),
        K::Old => K::Old,
        K::On(s) => K::On(own(s)),
        K::Or(a, b) => K::Or(Box::new(own_key(*a)), Box::new(own_key(*b))),
        K::Recent => K::Recent,
        K::Seen => K::Seen,
        K::SentBefore(s) => K::SentBefore(own(s)),
        K::SentOn(s) => K::SentOn(own(s)),
        K::SentSince(s) => K::SentSince(own(s)),
        K::Since(s) => K::Since(own(s)),
        K::Smaller(n) => K::Smaller(n),
        K::Subject(s) => K::Subject(own(s)),
        K::Text(s) => K::Text(own(s)),
        K::To(s) => K::To(own(s)),
        K::Uid(s) => K::Uid(s),
        K::Unanswered => K::Unanswered,
        K::Undeleted => K::Undeleted,
        K::Undraft => K::Undraft,
        K::Unflagged => K::Unflagged,
        K::Unkeyword(s) => K::Unkeyword(own_s(s)),
        K::Unseen => K::Unseen,
        K::SequenceSet(s) => K::SequenceSet(s),
        K::And(v) => K::And(v.into_iter().map(own_key).collect()),
        K::ModSeq(n) => K::ModSeq(n),
        K::Older(n) => K::Older(n),
        K::Younger(n) => K::Younger(n),
        K::SavedBefore(s) => K::SavedBefore(own(s)),
        K::SavedOn(s) => K::SavedOn(own(s)),
        K::SavedSince(s) => K::SavedSince(own(s)),
        K::SaveDateSupported => K::SaveDateSupported,
        K::EmailId(s) => K::EmailId(own(s)),
        K::ThreadId(s) => K::ThreadId(own(s)),
        K::GmRaw(s) => K::GmRaw(own(s)),
        K::GmMsgId(n) => K::GmMsgId(n),
        K::GmThrId(n) => K::GmThrId(n),
        K::GmLabels(s) => K::GmLabels(own(s)),
    }
}

impl SearchKey<'_> {
    /// An owned copy.
    pub fn into_static(self) -> SearchKey<'static> {
        own_key(self)
    }
}

/// An ESEARCH `RETURN` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchReturn {
    /// `MIN`.
    Min,
    /// `MAX`.
    Max,
    /// `ALL`.
    All,
    /// `COUNT`.
    Count,
    /// `SAVE` (SEARCHRES).
    Save,
}

/// The message data of an APPEND: inline bytes or a literal that was streamed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppendMessage<'a> {
    /// Flags, if given.
    pub flags: Option<Vec<Flag<'a>>>,
    /// Internal date, raw, if given.
    pub date: Option<Cow<'a, [u8]>>,
    /// Whether the literal was `~{n}` (BINARY).
    pub binary: bool,
    /// The data.
    pub data: super::BodyData<'a>,
}

/// A LIST command's selection and return options (LIST-EXTENDED, LIST-STATUS).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ListOptions<'a> {
    /// Selection options (`SUBSCRIBED`, `SPECIAL-USE`, ...), upper-cased.
    pub select: Option<Vec<Cow<'a, str>>>,
    /// Return options: names (`SUBSCRIBED`, `CHILDREN`, `SPECIAL-USE`, `MYRIGHTS`).
    pub ret: Option<Vec<Cow<'a, str>>>,
    /// `RETURN (... STATUS (items))`.
    pub status: Option<Vec<StatusItem<'a>>>,
}

/// A command: tag and body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Command<'a> {
    /// The tag.
    pub tag: Tag<'a>,
    /// What is asked.
    pub body: CommandBody<'a>,
}

/// The body of a command.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandBody<'a> {
    /// `CAPABILITY`.
    Capability,
    /// `NOOP`.
    Noop,
    /// `LOGOUT`.
    Logout,
    /// `STARTTLS`.
    StartTls,
    /// `AUTHENTICATE mech [initial]` (SASL-IR: `=` for an empty initial response).
    Authenticate {
        /// Mechanism name, upper-cased.
        mechanism: Cow<'a, str>,
        /// Initial response as sent (base64 text, or `=`).
        initial: Option<Cow<'a, [u8]>>,
    },
    /// `LOGIN user password`.
    Login {
        /// User name.
        username: Cow<'a, [u8]>,
        /// Password.
        password: Cow<'a, [u8]>,
    },
    /// `ENABLE caps`.
    Enable(Vec<Capability<'a>>),
    /// `SELECT mailbox [(CONDSTORE)]` / `EXAMINE`.
    Select {
        /// `EXAMINE` rather than `SELECT`.
        examine: bool,
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// `(CONDSTORE)`.
        condstore: bool,
        /// `(QRESYNC (uidvalidity modseq [known-uids]))`, raw inside the outer parens.
        qresync: Option<Cow<'a, [u8]>>,
    },
    /// `CREATE mailbox [(USE (attr ...))]` (RFC 3501; the `USE` parameter is RFC 6154's
    /// CREATE-SPECIAL-USE). Other create parameters (RFC 4466) are not known to any
    /// extension this crate implements and are a syntax error.
    Create {
        /// The mailbox to create.
        mailbox: Mailbox<'a>,
        /// The special-use attributes asked for (`\Sent`, `\Drafts`, ...); empty when the
        /// command has no `USE` parameter.
        special_use: Vec<Flag<'a>>,
    },
    /// `DELETE mailbox`.
    Delete(Mailbox<'a>),
    /// `RENAME from to`.
    Rename(Mailbox<'a>, Mailbox<'a>),
    /// `SUBSCRIBE mailbox`.
    Subscribe(Mailbox<'a>),
    /// `UNSUBSCRIBE mailbox`.
    Unsubscribe(Mailbox<'a>),
    /// `LIST reference pattern(s) [RETURN (...)]`.
    List {
        /// Reference name.
        reference: Mailbox<'a>,
        /// Patterns (one, or several with LIST-EXTENDED).
        patterns: Vec<Mailbox<'a>>,
        /// Extended options.
        options: ListOptions<'a>,
    },
    /// `LSUB reference pattern`.
    Lsub {
        /// Reference name.
        reference: Mailbox<'a>,
        /// Pattern.
        pattern: Mailbox<'a>,
    },
    /// `NAMESPACE`.
    Namespace,
    /// `STATUS mailbox (items)`.
    Status {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Items asked.
        items: Vec<StatusItem<'a>>,
    },
    /// `APPEND mailbox message...` (MULTIAPPEND: several messages).
    Append {
        /// Destination.
        mailbox: Mailbox<'a>,
        /// Messages.
        messages: Vec<AppendMessage<'a>>,
    },
    /// `IDLE`.
    Idle,
    /// `CHECK`.
    Check,
    /// `CLOSE`.
    Close,
    /// `UNSELECT`.
    Unselect,
    /// `EXPUNGE` or `UID EXPUNGE set`.
    Expunge {
        /// UIDs for `UID EXPUNGE`.
        uids: Option<SequenceSet>,
    },
    /// `[UID] SEARCH [RETURN (...)] [CHARSET c] keys`.
    Search {
        /// `UID SEARCH`.
        uid: bool,
        /// `RETURN (...)` (ESEARCH); `Some(vec![])` for `RETURN ()`.
        ret: Option<Vec<SearchReturn>>,
        /// `CHARSET`.
        charset: Option<Cow<'a, [u8]>>,
        /// The keys (implicitly ANDed).
        keys: Vec<SearchKey<'a>>,
    },
    /// `[UID] FETCH set attrs [(modifiers)]`.
    Fetch {
        /// `UID FETCH`.
        uid: bool,
        /// Messages.
        set: SequenceSet,
        /// Items.
        attrs: FetchAttrs<'a>,
        /// Modifiers.
        modifiers: FetchModifiers,
    },
    /// `[UID] STORE set [(UNCHANGEDSINCE n)] [+-]FLAGS[.SILENT] (flags)`.
    Store {
        /// `UID STORE`.
        uid: bool,
        /// Messages.
        set: SequenceSet,
        /// `UNCHANGEDSINCE`.
        unchanged_since: Option<u64>,
        /// Replace, add or remove.
        mode: StoreMode,
        /// `.SILENT`.
        silent: bool,
        /// `X-GM-LABELS` instead of `FLAGS`.
        gm_labels: bool,
        /// The flags (or labels, as keywords).
        flags: Vec<Flag<'a>>,
    },
    /// `[UID] COPY set mailbox`.
    Copy {
        /// `UID COPY`.
        uid: bool,
        /// Messages.
        set: SequenceSet,
        /// Destination.
        mailbox: Mailbox<'a>,
    },
    /// `[UID] MOVE set mailbox`.
    Move {
        /// `UID MOVE`.
        uid: bool,
        /// Messages.
        set: SequenceSet,
        /// Destination.
        mailbox: Mailbox<'a>,
    },
    /// `ID (...)` or `ID NIL`.
    Id(IdParams<'a>),
    /// `[UID] SORT [RETURN (...)] (criteria) charset keys`.
    Sort {
        /// `UID SORT`.
        uid: bool,
        /// `RETURN (...)` (ESORT, RFC 5267); `Some(vec![])` for `RETURN ()`.
        ret: Option<Vec<SearchReturn>>,
        /// Sort criteria, raw upper-cased atoms (`REVERSE`, `DATE`, ...).
        criteria: Vec<Cow<'a, str>>,
        /// Charset.
        charset: Cow<'a, [u8]>,
        /// Search keys.
        keys: Vec<SearchKey<'a>>,
    },
    /// `[UID] THREAD algorithm charset keys`.
    Thread {
        /// `UID THREAD`.
        uid: bool,
        /// Algorithm (`REFERENCES`, `ORDEREDSUBJECT`).
        algorithm: Cow<'a, str>,
        /// Charset.
        charset: Cow<'a, [u8]>,
        /// Search keys.
        keys: Vec<SearchKey<'a>>,
    },
    /// `GETQUOTA root`.
    GetQuota(Cow<'a, [u8]>),
    /// `GETQUOTAROOT mailbox`.
    GetQuotaRoot(Mailbox<'a>),
    /// `COMPRESS mechanism` (RFC 4978).
    Compress(Cow<'a, str>),
    /// Any other command (including `SETQUOTA`, `GETMETADATA`, `SETMETADATA`, `X...`): its
    /// name, upper-cased, and the raw arguments (literals inline).
    Other {
        /// Command name.
        name: Cow<'a, str>,
        /// Raw arguments after the name and one space.
        raw: Cow<'a, [u8]>,
    },
}

/// What a client sends that is not a command: a line of AUTHENTICATE data, or `DONE`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClientLine<'a> {
    /// A command.
    Command(Command<'a>),
    /// A line during AUTHENTICATE: base64 text, or `*` to cancel (`None`).
    AuthenticateData(Option<Cow<'a, [u8]>>),
    /// `DONE` ending IDLE.
    IdleDone,
}

fn own_id(v: IdParams<'_>) -> IdParams<'static> {
    v.map(|v| v.into_iter().map(|(k, x)| (own(k), x.map(own))).collect())
}

fn own_keys(v: Vec<SearchKey<'_>>) -> Vec<SearchKey<'static>> {
    v.into_iter().map(own_key).collect()
}

fn own_strs(v: Option<Vec<Cow<'_, str>>>) -> Option<Vec<Cow<'static, str>>> {
    v.map(|v| v.into_iter().map(own_s).collect())
}

impl Command<'_> {
    /// An owned copy.
    pub fn into_static(self) -> Command<'static> {
        Command {
            tag: self.tag.into_static(),
            body: self.body.into_static(),
        }
    }
}

impl CommandBody<'_> {
    /// An owned copy.
    pub fn into_static(self) -> CommandBody<'static> {
        use CommandBody as C;
        match self {
            C::Capability => C::Capability,
            C::Noop => C::Noop,
            C::Logout => C::Logout,
            C::StartTls => C::StartTls,
            C::Authenticate { mechanism, initial } => C::Authenticate {
                mechanism: own_s(mechanism),
                initial: initial.map(own),
            },
            C::Login { username, password } => C::Login {
                username: own(username),
                password: own(password),
            },
            C::Enable(v) => C::Enable(own_caps(v)),
            C::Select {
                examine,
                mailbox,
                condstore,
                qresync,
            } => C::Select {
                examine,
                mailbox: mailbox.into_static(),
                condstore,
                qresync: qresync.map(own),
            },
            C::Create {
                mailbox,
                special_use,
            } => C::Create {
                mailbox: mailbox.into_static(),
                special_use: special_use.into_iter().map(Flag::into_static).collect(),
            },
            C::Delete(m) => C::Delete(m.into_static()),
            C::Rename(a, b) => C::Rename(a.into_static(), b.into_static()),
            C::Subscribe(m) => C::Subscribe(m.into_static()),
            C::Unsubscribe(m) => C::Unsubscribe(m.into_static()),
            C::List {
                reference,
                patterns,
                options,
            } => C::List {
                reference: reference.into_static(),
                patterns: patterns.into_iter().map(Mailbox::into_static).collect(),
                options: ListOptions {
                    select: own_strs(options.select),
                    ret: own_strs(options.ret),
                    status: options
                        .status
                        .map(|v| v.into_iter().map(StatusItem::into_static).collect()),
                },
            },
            C::Lsub { reference, pattern } => C::Lsub {
                reference: reference.into_static(),
                pattern: pattern.into_static(),
            },
            C::Namespace => C::Namespace,
            C::Status { mailbox, items } => C::Status {
                mailbox: mailbox.into_static(),
                items: items.into_iter().map(StatusItem::into_static).collect(),
            },
            C::Append { mailbox, messages } => C::Append {
                mailbox: mailbox.into_static(),
                messages: messages
                    .into_iter()
                    .map(|m| AppendMessage {
                        flags: m.flags.map(own_flags),
                        date: m.date.map(own),
                        binary: m.binary,
                        data: m.data.into_static(),
                    })
                    .collect(),
            },
            C::Idle => C::Idle,
            C::Check => C::Check,
            C::Close => C::Close,
            C::Unselect => C::Unselect,
            C::Expunge { uids } => C::Expunge { uids },
            C::Search {
                uid,
                ret,
                charset,
                keys,
            } => C::Search {
                uid,
                ret,
                charset: charset.map(own),
                keys: own_keys(keys),
            },
            C::Fetch {
                uid,
                set,
                attrs,
                modifiers,
            } => C::Fetch {
                uid,
                set,
                attrs: match attrs {
                    FetchAttrs::All => FetchAttrs::All,
                    FetchAttrs::Fast => FetchAttrs::Fast,
                    FetchAttrs::Full => FetchAttrs::Full,
                    FetchAttrs::List { items, paren } => FetchAttrs::List {
                        items: items.into_iter().map(FetchAttr::into_static).collect(),
                        paren,
                    },
                },
                modifiers,
            },
            C::Store {
                uid,
                set,
                unchanged_since,
                mode,
                silent,
                gm_labels,
                flags,
            } => C::Store {
                uid,
                set,
                unchanged_since,
                mode,
                silent,
                gm_labels,
                flags: own_flags(flags),
            },
            C::Copy { uid, set, mailbox } => C::Copy {
                uid,
                set,
                mailbox: mailbox.into_static(),
            },
            C::Move { uid, set, mailbox } => C::Move {
                uid,
                set,
                mailbox: mailbox.into_static(),
            },
            C::Id(v) => C::Id(own_id(v)),
            C::Sort {
                uid,
                ret,
                criteria,
                charset,
                keys,
            } => C::Sort {
                uid,
                ret,
                criteria: criteria.into_iter().map(own_s).collect(),
                charset: own(charset),
                keys: own_keys(keys),
            },
            C::Thread {
                uid,
                algorithm,
                charset,
                keys,
            } => C::Thread {
                uid,
                algorithm: own_s(algorithm),
                charset: own(charset),
                keys: own_keys(keys),
            },
            C::GetQuota(r) => C::GetQuota(own(r)),
            C::GetQuotaRoot(m) => C::GetQuotaRoot(m.into_static()),
            C::Compress(m) => C::Compress(own_s(m)),
            C::Other { name, raw } => C::Other {
                name: own_s(name),
                raw: own(raw),
            },
        }
    }
}
