//! BODYSTRUCTURE, BODY and ENVELOPE as plain data (RFC 3501 7.4.2, RFC 9051 7.5.2).
//!
//! These types carry no parsing logic of their own: the response parser fills them from the
//! wire, the encoder writes them back, and a server fills them from a parsed message.

use std::borrow::Cow;

/// An `nstring` value: `NIL` or a string's bytes.
pub type NStr<'a> = Option<Cow<'a, [u8]>>;

/// A `body-fld-param` list: `(name value ...)` or `NIL` (`None`).
pub type Params<'a> = Option<Vec<(Cow<'a, [u8]>, Cow<'a, [u8]>)>>;

/// One address of an [`Envelope`] (`addr-name addr-adl addr-mailbox addr-host`).
///
/// RFC 3501 group syntax: a group start has `host == None` and the group name in `mailbox`;
/// a group end has `mailbox == None` and `host == None`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Address<'a> {
    /// Display name (`addr-name`), possibly RFC 2047 encoded as on the wire.
    pub name: NStr<'a>,
    /// Source route (`addr-adl`), obsolete; usually `NIL`.
    pub adl: NStr<'a>,
    /// Local part (`addr-mailbox`), or a group name.
    pub mailbox: NStr<'a>,
    /// Domain (`addr-host`).
    pub host: NStr<'a>,
}

/// The ENVELOPE structure of a message. Address lists are `None` for `NIL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Envelope<'a> {
    /// `Date:` header, raw.
    pub date: NStr<'a>,
    /// `Subject:` header, raw (RFC 2047 encoded words are left as they are).
    pub subject: NStr<'a>,
    /// `From:`.
    pub from: Option<Vec<Address<'a>>>,
    /// `Sender:`.
    pub sender: Option<Vec<Address<'a>>>,
    /// `Reply-To:`.
    pub reply_to: Option<Vec<Address<'a>>>,
    /// `To:`.
    pub to: Option<Vec<Address<'a>>>,
    /// `Cc:`.
    pub cc: Option<Vec<Address<'a>>>,
    /// `Bcc:`.
    pub bcc: Option<Vec<Address<'a>>>,
    /// `In-Reply-To:`.
    pub in_reply_to: NStr<'a>,
    /// `Message-ID:`.
    pub message_id: NStr<'a>,
}

/// `body-fld-dsp`: `("attachment" ("filename" "x.gif"))` or `NIL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Disposition<'a> {
    /// Disposition type, as on the wire (`"attachment"`, `"inline"`).
    pub kind: Cow<'a, [u8]>,
    /// Parameters.
    pub params: Params<'a>,
}

/// `body-fld-lang`: one string, a list of strings, or `NIL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Language<'a> {
    /// `NIL`.
    Nil,
    /// A single string (`"en"`).
    Single(Cow<'a, [u8]>),
    /// A parenthesised list (`("en" "es")`).
    List(Vec<Cow<'a, [u8]>>),
}

/// A `body-extension` value (future extension data, kept verbatim in structure).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyExtension<'a> {
    /// `NIL` or a string.
    Str(NStr<'a>),
    /// A number.
    Number(u64),
    /// A parenthesised list.
    List(Vec<BodyExtension<'a>>),
}

/// The extension fields shared by single parts and multiparts, after the type-specific
/// ones: `body-fld-dsp`, `body-fld-lang`, `body-fld-loc` and further extensions. Each is
/// `None` when it was not present at all (which is different from `NIL`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct CommonExtension<'a> {
    /// Disposition: `None` absent, `Some(None)` NIL.
    pub disposition: Option<Option<Disposition<'a>>>,
    /// Language.
    pub language: Option<Language<'a>>,
    /// Location (RFC 2557).
    pub location: Option<NStr<'a>>,
    /// Further extension data.
    pub extra: Vec<BodyExtension<'a>>,
}

/// Fields every non-multipart body has (`body-fields`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BodyFields<'a> {
    /// Content-Type parameters.
    pub params: Params<'a>,
    /// Content-ID.
    pub id: NStr<'a>,
    /// Content-Description.
    pub description: NStr<'a>,
    /// Content-Transfer-Encoding, as on the wire (`"BASE64"`, `"7BIT"`); `NIL` tolerated.
    pub encoding: NStr<'a>,
    /// Size of the body in octets, as encoded.
    pub size: u64,
}

/// What kind of single part this is, with its type-specific fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SinglePartKind<'a> {
    /// `TEXT/*`: has a line count.
    Text {
        /// Number of lines.
        lines: u64,
    },
    /// `MESSAGE/RFC822` (and `MESSAGE/GLOBAL`): the encapsulated message's envelope,
    /// structure and line count.
    Message {
        /// Envelope of the encapsulated message.
        envelope: Box<Envelope<'a>>,
        /// Structure of the encapsulated message.
        body: Box<BodyStructure<'a>>,
        /// Number of lines.
        lines: u64,
    },
    /// Any other type.
    Basic,
}

/// Extension data of a single part (`body-ext-1part`): MD5 then the common fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SinglePartExtension<'a> {
    /// `body-fld-md5`.
    pub md5: NStr<'a>,
    /// The rest.
    pub common: CommonExtension<'a>,
}

/// Extension data of a multipart (`body-ext-mpart`): parameters then the common fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MultiPartExtension<'a> {
    /// Content-Type parameters (the boundary, usually).
    pub params: Params<'a>,
    /// The rest.
    pub common: CommonExtension<'a>,
}

/// A BODYSTRUCTURE (with extension data) or BODY (without) value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyStructure<'a> {
    /// A non-multipart body part.
    Single {
        /// Media type (`"TEXT"`), as on the wire.
        media_type: Cow<'a, [u8]>,
        /// Media subtype (`"PLAIN"`), as on the wire.
        subtype: Cow<'a, [u8]>,
        /// Common fields.
        fields: BodyFields<'a>,
        /// Type-specific fields.
        kind: SinglePartKind<'a>,
        /// Extension data (`None` for `BODY`, or when the server sent none).
        extension: Option<SinglePartExtension<'a>>,
    },
    /// A multipart. `parts` may be empty: Gmail sends `("ALTERNATIVE")` for an empty
    /// multipart (accepted under [`Leniency::empty_multipart`](crate::Leniency)).
    Multi {
        /// The parts.
        parts: Vec<BodyStructure<'a>>,
        /// Subtype (`"MIXED"`), as on the wire.
        subtype: Cow<'a, [u8]>,
        /// Extension data.
        extension: Option<MultiPartExtension<'a>>,
    },
}

fn own(c: Cow<'_, [u8]>) -> Cow<'static, [u8]> {
    Cow::Owned(c.into_owned())
}

fn own_n(c: NStr<'_>) -> NStr<'static> {
    c.map(own)
}

fn own_params(p: Params<'_>) -> Params<'static> {
    p.map(|v| v.into_iter().map(|(a, b)| (own(a), own(b))).collect())
}

impl Address<'_> {
    /// An owned copy.
    pub fn into_static(self) -> Address<'static> {
        Address {
            name: own_n(self.name),
            adl: own_n(self.adl),
            mailbox: own_n(self.mailbox),
            host: own_n(self.host),
        }
    }
}

fn own_addrs(a: Option<Vec<Address<'_>>>) -> Option<Vec<Address<'static>>> {
    a.map(|v| v.into_iter().map(Address::into_static).collect())
}

impl Envelope<'_> {
    /// An owned copy.
    pub fn into_static(self) -> Envelope<'static> {
        Envelope {
            date: own_n(self.date),
            subject: own_n(self.subject),
            from: own_addrs(self.from),
            sender: own_addrs(self.sender),
            reply_to: own_addrs(self.reply_to),
            to: own_addrs(self.to),
            cc: own_addrs(self.cc),
            bcc: own_addrs(self.bcc),
            in_reply_to: own_n(self.in_reply_to),
            message_id: own_n(self.message_id),
        }
    }
}

impl BodyExtension<'_> {
    /// An owned copy.
    pub fn into_static(self) -> BodyExtension<'static> {
        match self {
            BodyExtension::Str(s) => BodyExtension::Str(own_n(s)),
            BodyExtension::Number(n) => BodyExtension::Number(n),
            BodyExtension::List(l) => {
                BodyExtension::List(l.into_iter().map(BodyExtension::into_static).collect())
            }
        }
    }
}

impl CommonExtension<'_> {
    /// An owned copy.
    pub fn into_static(self) -> CommonExtension<'static> {
        CommonExtension {
            disposition: self.disposition.map(|d| {
                d.map(|d| Disposition {
                    kind: own(d.kind),
                    params: own_params(d.params),
                })
            }),
            language: self.language.map(|l| match l {
                Language::Nil => Language::Nil,
                Language::Single(s) => Language::Single(own(s)),
                Language::List(v) => Language::List(v.into_iter().map(own).collect()),
            }),
            location: self.location.map(own_n),
            extra: self
                .extra
                .into_iter()
                .map(BodyExtension::into_static)
                .collect(),
        }
    }
}

impl BodyStructure<'_> {
    /// An owned copy.
    pub fn into_static(self) -> BodyStructure<'static> {
        match self {
            BodyStructure::Single {
                media_type,
                subtype,
                fields,
                kind,
                extension,
            } => BodyStructure::Single {
                media_type: own(media_type),
                subtype: own(subtype),
                fields: BodyFields {
                    params: own_params(fields.params),
                    id: own_n(fields.id),
                    description: own_n(fields.description),
                    encoding: own_n(fields.encoding),
                    size: fields.size,
                },
                kind: match kind {
                    SinglePartKind::Text { lines } => SinglePartKind::Text { lines },
                    SinglePartKind::Message {
                        envelope,
                        body,
                        lines,
                    } => SinglePartKind::Message {
                        envelope: Box::new(envelope.into_static()),
                        body: Box::new(body.into_static()),
                        lines,
                    },
                    SinglePartKind::Basic => SinglePartKind::Basic,
                },
                extension: extension.map(|e| SinglePartExtension {
                    md5: own_n(e.md5),
                    common: e.common.into_static(),
                }),
            },
            BodyStructure::Multi {
                parts,
                subtype,
                extension,
            } => BodyStructure::Multi {
                parts: parts.into_iter().map(BodyStructure::into_static).collect(),
                subtype: own(subtype),
                extension: extension.map(|e| MultiPartExtension {
                    params: own_params(e.params),
                    common: e.common.into_static(),
                }),
            },
        }
    }
}
