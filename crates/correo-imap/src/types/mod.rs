//! The IMAP data model, for both directions: commands, responses, and the values inside.
//!
//! Every type borrows from the bytes it was parsed from (`Cow`), and has an `into_static`
//! method giving an owned copy. Strings that IMAP treats as bytes (mailbox names on the
//! wire, message data, header values) are `Cow<[u8]>`; protocol text that is ASCII by
//! grammar (tags, atoms, capability names) is `Cow<str>`.

pub mod body;
mod command;
mod response;

pub use body::{
    Address, BodyExtension, BodyFields, BodyStructure, CommonExtension, Disposition, Envelope,
    Language, MultiPartExtension, NStr, Params, SinglePartExtension, SinglePartKind,
};
pub use command::*;
pub use response::*;

use std::borrow::Cow;

/// ID parameters: `(key value ...)`, values `NIL`able.
pub type IdParamList<'a> = Vec<(Cow<'a, [u8]>, Option<Cow<'a, [u8]>>)>;
/// ID parameters or `NIL` (`None`).
pub type IdParams<'a> = Option<IdParamList<'a>>;
/// One NAMESPACE class: (prefix, delimiter) pairs.
pub type NamespaceList<'a> = Vec<(Cow<'a, [u8]>, Option<u8>)>;
/// A NAMESPACE class or `NIL` (`None`).
pub type Namespaces<'a> = Option<NamespaceList<'a>>;

pub(crate) fn own(c: Cow<'_, [u8]>) -> Cow<'static, [u8]> {
    Cow::Owned(c.into_owned())
}

pub(crate) fn own_s(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

/// A command tag (`A001`): ASCII `astring-char`s except `+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tag<'a>(pub Cow<'a, str>);

impl Tag<'_> {
    /// The tag's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An owned copy.
    pub fn into_static(self) -> Tag<'static> {
        Tag(own_s(self.0))
    }
}

/// A message flag, or a flag-like item of PERMANENTFLAGS / LIST attributes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Flag<'a> {
    /// `\Answered`.
    Answered,
    /// `\Flagged`.
    Flagged,
    /// `\Deleted`.
    Deleted,
    /// `\Seen`.
    Seen,
    /// `\Draft`.
    Draft,
    /// `\Recent` (IMAP4rev1 only; fetch responses).
    Recent,
    /// `\*`: new keywords may be created (PERMANENTFLAGS; Zoho also sends it in FLAGS).
    Wildcard,
    /// Any other `\Name` (system flag extension), without the backslash.
    Extension(Cow<'a, str>),
    /// A keyword (`$Forwarded`, `NonJunk`), as on the wire.
    Keyword(Cow<'a, str>),
}

impl<'a> Flag<'a> {
    /// Classifies a flag as written on the wire (`\Seen`, `$Junk`). System flags compare
    /// case-insensitively.
    pub fn from_wire(s: &'a str) -> Flag<'a> {
        match s.strip_prefix('\\') {
            Some(name) => {
                const SYS: [(&str, Flag<'static>); 7] = [
                    ("answered", Flag::Answered),
                    ("flagged", Flag::Flagged),
                    ("deleted", Flag::Deleted),
                    ("seen", Flag::Seen),
                    ("draft", Flag::Draft),
                    ("recent", Flag::Recent),
                    ("*", Flag::Wildcard),
                ];
                for (n, f) in SYS {
                    if name.eq_ignore_ascii_case(n) {
                        return f;
                    }
                }
                Flag::Extension(Cow::Borrowed(name))
            }
            None => Flag::Keyword(Cow::Borrowed(s)),
        }
    }

    /// The flag as written on the wire.
    pub fn to_wire(&self) -> Cow<'_, str> {
        match self {
            Flag::Answered => Cow::Borrowed("\\Answered"),
            Flag::Flagged => Cow::Borrowed("\\Flagged"),
            Flag::Deleted => Cow::Borrowed("\\Deleted"),
            Flag::Seen => Cow::Borrowed("\\Seen"),
            Flag::Draft => Cow::Borrowed("\\Draft"),
            Flag::Recent => Cow::Borrowed("\\Recent"),
            Flag::Wildcard => Cow::Borrowed("\\*"),
            Flag::Extension(n) => Cow::Owned(format!("\\{n}")),
            Flag::Keyword(k) => Cow::Borrowed(k),
        }
    }

    /// An owned copy.
    pub fn into_static(self) -> Flag<'static> {
        match self {
            Flag::Answered => Flag::Answered,
            Flag::Flagged => Flag::Flagged,
            Flag::Deleted => Flag::Deleted,
            Flag::Seen => Flag::Seen,
            Flag::Draft => Flag::Draft,
            Flag::Recent => Flag::Recent,
            Flag::Wildcard => Flag::Wildcard,
            Flag::Extension(n) => Flag::Extension(own_s(n)),
            Flag::Keyword(k) => Flag::Keyword(own_s(k)),
        }
    }
}

pub(crate) fn own_flags(v: Vec<Flag<'_>>) -> Vec<Flag<'static>> {
    v.into_iter().map(Flag::into_static).collect()
}

/// A mailbox name as it travels on the wire: modified UTF-7 (RFC 3501 5.1.3), or UTF-8
/// once `UTF8=ACCEPT` is enabled. `INBOX` is case-insensitive and normalised to upper case
/// by the parser.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox<'a>(pub Cow<'a, [u8]>);

impl<'a> Mailbox<'a> {
    /// A mailbox from its wire bytes; `inbox` in any case becomes `INBOX`.
    pub fn from_wire(raw: Cow<'a, [u8]>) -> Mailbox<'a> {
        if raw.eq_ignore_ascii_case(b"INBOX") && &*raw != b"INBOX" {
            Mailbox(Cow::Borrowed(b"INBOX"))
        } else {
            Mailbox(raw)
        }
    }

    /// A mailbox from a Unicode name: encoded in modified UTF-7, or passed as UTF-8 when
    /// `utf8` (`UTF8=ACCEPT` enabled).
    pub fn from_unicode(name: &str, utf8: bool) -> Mailbox<'static> {
        if utf8 {
            Mailbox::from_wire(Cow::Owned(name.as_bytes().to_vec())).into_static()
        } else {
            Mailbox::from_wire(Cow::Owned(crate::utf7::encode(name).into_bytes())).into_static()
        }
    }

    /// The wire bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The Unicode name: modified UTF-7 decoded, or the UTF-8 bytes when `utf8`. `None`
    /// when the bytes are not valid in that form.
    pub fn to_unicode(&self, utf8: bool) -> Option<Cow<'_, str>> {
        if utf8 {
            std::str::from_utf8(&self.0).ok().map(Cow::Borrowed)
        } else {
            crate::utf7::decode(&self.0)
        }
    }

    /// Whether this is `INBOX`.
    pub fn is_inbox(&self) -> bool {
        self.0.eq_ignore_ascii_case(b"INBOX")
    }

    /// An owned copy.
    pub fn into_static(self) -> Mailbox<'static> {
        Mailbox(own(self.0))
    }
}

/// A capability (`IMAP4rev1`, `AUTH=PLAIN`, `LITERAL+`). Compares case-insensitively
/// through [`Capability::is`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Capability<'a>(pub Cow<'a, str>);

impl Capability<'_> {
    /// Whether this capability is `name` (ASCII case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        self.0.eq_ignore_ascii_case(name)
    }

    /// For `AUTH=X`, the mechanism `X`.
    pub fn auth_mechanism(&self) -> Option<&str> {
        let s: &str = &self.0;
        let head = s.get(..5)?;
        head.eq_ignore_ascii_case("AUTH=")
            .then(|| s.get(5..))
            .flatten()
    }

    /// An owned copy.
    pub fn into_static(self) -> Capability<'static> {
        Capability(own_s(self.0))
    }
}

pub(crate) fn own_caps(v: Vec<Capability<'_>>) -> Vec<Capability<'static>> {
    v.into_iter().map(Capability::into_static).collect()
}

/// One end of a sequence range: a number or `*` (the largest in use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqNum {
    /// A message sequence number or UID (non-zero on the wire).
    Value(u32),
    /// `*`.
    Largest,
}

/// One element of a sequence set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqRange {
    /// `n` or `*`.
    Single(SeqNum),
    /// `a:b` (either order on the wire).
    Range(SeqNum, SeqNum),
}

/// A sequence set (`1:4,7,9:*`), or `$` (the saved search result, RFC 5182).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SequenceSet {
    /// Explicit ranges (never empty when parsed).
    Ranges(Vec<SeqRange>),
    /// `$`.
    Saved,
}

impl SequenceSet {
    /// A set of one number.
    pub fn single(n: u32) -> SequenceSet {
        SequenceSet::Ranges(vec![SeqRange::Single(SeqNum::Value(n))])
    }

    /// A set of one range `a:b`.
    pub fn range(a: SeqNum, b: SeqNum) -> SequenceSet {
        SequenceSet::Ranges(vec![SeqRange::Range(a, b)])
    }

    /// Whether `n` is in the set, `largest` being the value `*` stands for. Always false
    /// for `$`.
    pub fn contains(&self, number: u32, largest: u32) -> bool {
        let v = |s: SeqNum| match s {
            SeqNum::Value(v) => v,
            SeqNum::Largest => largest,
        };
        match self {
            SequenceSet::Saved => false,
            SequenceSet::Ranges(r) => r.iter().any(|r| match *r {
                SeqRange::Single(s) => v(s) == number,
                SeqRange::Range(a, b) => {
                    let (a, b) = (v(a).min(v(b)), v(a).max(v(b)));
                    a <= number && number <= b
                }
            }),
        }
    }

    /// The values of the set in order, expanded (ranges with `*` use `largest`). At most
    /// `limit` values are produced.
    pub fn iter_values(&self, largest: u32, limit: usize) -> Vec<u32> {
        let mut out = Vec::new();
        let v = |s: SeqNum| match s {
            SeqNum::Value(v) => v,
            SeqNum::Largest => largest,
        };
        if let SequenceSet::Ranges(r) = self {
            for r in r {
                let (a, b) = match *r {
                    SeqRange::Single(s) => (v(s), v(s)),
                    SeqRange::Range(a, b) => (v(a).min(v(b)), v(a).max(v(b))),
                };
                let mut i = a;
                loop {
                    if out.len() >= limit {
                        return out;
                    }
                    out.push(i);
                    if i >= b {
                        break;
                    }
                    i += 1;
                }
            }
        }
        out
    }
}

/// The text part of a section spec (`section-msgtext` / `section-text`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SectionText<'a> {
    /// `HEADER`.
    Header,
    /// `HEADER.FIELDS (names)`: names kept byte for byte as sent.
    HeaderFields(Vec<Cow<'a, [u8]>>),
    /// `HEADER.FIELDS.NOT (names)`.
    HeaderFieldsNot(Vec<Cow<'a, [u8]>>),
    /// `TEXT`.
    Text,
    /// `MIME` (only after a part number).
    Mime,
}

/// A section spec: `BODY[1.2.HEADER]` is `part = [1, 2]`, `text = Some(Header)`;
/// `BODY[]` is empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Section<'a> {
    /// Part numbers (1-based), outermost first.
    pub part: Vec<u32>,
    /// What of the part.
    pub text: Option<SectionText<'a>>,
}

impl Section<'_> {
    /// An owned copy.
    pub fn into_static(self) -> Section<'static> {
        Section {
            part: self.part,
            text: self.text.map(|t| match t {
                SectionText::Header => SectionText::Header,
                SectionText::HeaderFields(v) => {
                    SectionText::HeaderFields(v.into_iter().map(own).collect())
                }
                SectionText::HeaderFieldsNot(v) => {
                    SectionText::HeaderFieldsNot(v.into_iter().map(own).collect())
                }
                SectionText::Text => SectionText::Text,
                SectionText::Mime => SectionText::Mime,
            }),
        }
    }
}

/// A STATUS data item name (request) — also the key of a returned value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StatusItem<'a> {
    /// `MESSAGES`.
    Messages,
    /// `RECENT` (IMAP4rev1).
    Recent,
    /// `UIDNEXT`.
    UidNext,
    /// `UIDVALIDITY`.
    UidValidity,
    /// `UNSEEN`.
    Unseen,
    /// `DELETED` (RFC 9051).
    Deleted,
    /// `SIZE` (STATUS=SIZE).
    Size,
    /// `HIGHESTMODSEQ` (CONDSTORE).
    HighestModSeq,
    /// `APPENDLIMIT` (RFC 7889).
    AppendLimit,
    /// `MAILBOXID` (OBJECTID).
    MailboxId,
    /// Anything else, upper-cased as received.
    Other(Cow<'a, str>),
}

impl StatusItem<'_> {
    /// The item's name on the wire.
    pub fn name(&self) -> &str {
        match self {
            StatusItem::Messages => "MESSAGES",
            StatusItem::Recent => "RECENT",
            StatusItem::UidNext => "UIDNEXT",
            StatusItem::UidValidity => "UIDVALIDITY",
            StatusItem::Unseen => "UNSEEN",
            StatusItem::Deleted => "DELETED",
            StatusItem::Size => "SIZE",
            StatusItem::HighestModSeq => "HIGHESTMODSEQ",
            StatusItem::AppendLimit => "APPENDLIMIT",
            StatusItem::MailboxId => "MAILBOXID",
            StatusItem::Other(s) => s,
        }
    }

    /// An owned copy.
    pub fn into_static(self) -> StatusItem<'static> {
        match self {
            StatusItem::Messages => StatusItem::Messages,
            StatusItem::Recent => StatusItem::Recent,
            StatusItem::UidNext => StatusItem::UidNext,
            StatusItem::UidValidity => StatusItem::UidValidity,
            StatusItem::Unseen => StatusItem::Unseen,
            StatusItem::Deleted => StatusItem::Deleted,
            StatusItem::Size => StatusItem::Size,
            StatusItem::HighestModSeq => StatusItem::HighestModSeq,
            StatusItem::AppendLimit => StatusItem::AppendLimit,
            StatusItem::MailboxId => StatusItem::MailboxId,
            StatusItem::Other(s) => StatusItem::Other(own_s(s)),
        }
    }

    /// The item named `s` (case-insensitive); unknown names become [`StatusItem::Other`].
    pub fn from_name(s: &str) -> StatusItem<'static> {
        const ALL: [StatusItem<'static>; 10] = [
            StatusItem::Messages,
            StatusItem::Recent,
            StatusItem::UidNext,
            StatusItem::UidValidity,
            StatusItem::Unseen,
            StatusItem::Deleted,
            StatusItem::Size,
            StatusItem::HighestModSeq,
            StatusItem::AppendLimit,
            StatusItem::MailboxId,
        ];
        for i in ALL {
            if i.name().eq_ignore_ascii_case(s) {
                return i;
            }
        }
        StatusItem::Other(Cow::Owned(s.to_ascii_uppercase()))
    }
}
