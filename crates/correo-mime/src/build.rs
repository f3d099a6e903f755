//! The message builder: whole messages, encoded, folded and streamed.
//!
//! A [`MessageBuilder`] holds the header fields (addresses, [`Subject`](MessageBuilder::subject),
//! [`Date`](MessageBuilder::date) from a caller-supplied [`DateTime`], `Message-ID`, any extra
//! fields) and a body [`Part`]: text, an attachment, a `multipart/*` of parts, or a nested
//! message (`message/rfc822`). [`MessageBuilder::build`] encodes it all into a [`Built`]
//! message: header fields RFC 2047 encoded where needed and folded at 78 columns, text as
//! `7bit`, `8bit` or quoted-printable (whichever [`choose_encoding`] picks for the
//! [`Transport`]), attachments as base64 at 76 columns, file names as RFC 2231 parameters
//! (plus the legacy `name="=?utf-8?...?="` form old clients read), and boundaries derived
//! from caller-supplied entropy and checked not to occur in the content.
//!
//! The library reads no clock and no random source: the date, the entropy for boundaries
//! and the random part of a generated `Message-ID` all come from the caller.
//!
//! A CR or LF in any header value, field name, file name, address or content id is a
//! [`BuildError`] (header injection), never written.
//!
//! Output streams: [`Built::write_to`] writes into any [`std::io::Write`],
//! [`Built::to_vec`] collects it, and [`Built::reader`] is a pull-style
//! [`std::io::Read`] that base64-encodes attachments one slice at a time, so an attachment
//! is never held encoded in full.
//!
//! ```
//! use correo_mime::build::{MessageBuilder, Part, Transport};
//! use correo_mime::header::{DateTime, Mailbox};
//! use correo_mime::message::Message;
//!
//! let raw = MessageBuilder::new()
//!     .from(Mailbox::new(Some("José"), "jose", "example.org"))
//!     .to(Mailbox::new(None::<&str>, "ana", "example.net"))
//!     .subject("Informe de marzo ✓")
//!     .date(DateTime::from_unix(1_732_387_503, Some(60)).unwrap())
//!     .message_id_from(&[7; 12], "example.org")
//!     .boundary_seed(42)
//!     .body(Part::mixed(vec![
//!         Part::text("Hola,\nadjunto el informe.\n"),
//!         Part::attachment("application", "pdf", "informe Marzo.pdf", b"%PDF-1.4".to_vec()),
//!     ]))
//!     .build()
//!     .unwrap()
//!     .to_vec();
//! let msg = Message::parse(&raw);
//! assert_eq!(msg.header().subject().as_deref(), Some("Informe de marzo ✓"));
//! let pdf = msg.part_by_number("2").unwrap();
//! assert_eq!(pdf.filename().as_deref(), Some("informe Marzo.pdf"));
//! assert_eq!(&*pdf.decoded(), b"%PDF-1.4");
//! assert_eq!(msg.part_by_number("1").unwrap().text(), "Hola,\r\nadjunto el informe.\r\n");
//! ```

use std::borrow::Cow;
use std::io::{self, Read, Write};

use memchr::memmem;

use crate::charset::encode_text;
use crate::decode::base64::encode_lines;
use crate::decode::qp::{self, QpMode};
use crate::decode::{TransferEncoding, choose_encoding};
use crate::header::{
    Address, ContentDisposition, ContentType, DateTime, Disposition, EncodeError, FOLD_WIDTH,
    Group, MAX_LINE, Mailbox, encode_address_list, encode_msg_id, encode_param_rfc2047,
    encode_unstructured, fold_into, is_valid_field_name,
};

/// What the transport that will carry the message allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// Plain SMTP: every body and header is 7-bit (non-ASCII text is quoted-printable or
    /// base64, headers are RFC 2047 encoded, addresses must be ASCII).
    #[default]
    SevenBit,
    /// 8BITMIME (RFC 6152): text bodies may be sent as `8bit`; headers stay 7-bit.
    EightBitMime,
    /// SMTPUTF8 (RFC 6531/6532): 8-bit bodies and raw UTF-8 in header fields and addresses.
    SmtpUtf8,
}

impl Transport {
    fn allow_8bit(self) -> bool {
        self != Transport::SevenBit
    }

    fn utf8_headers(self) -> bool {
        self == Transport::SmtpUtf8
    }
}

/// Why a message could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A header field could not be encoded (e.g. a CR/LF in its value: header injection).
    #[error("field {field}: {source}")]
    Header {
        /// The field name.
        field: String,
        /// What was wrong.
        source: EncodeError,
    },
    /// An extra field names a field the builder writes itself (`Content-Type`, ...).
    #[error("field {0} is written by the builder")]
    ReservedField(String),
    /// A text body cannot be represented in the requested charset (or it is unknown).
    #[error("text cannot be encoded as {charset}")]
    Unencodable {
        /// The charset asked for.
        charset: String,
    },
    /// The part tree is deeper than [`MAX_DEPTH`].
    #[error("part tree deeper than {MAX_DEPTH}")]
    TooDeep,
    /// No boundary free of collisions was found (only with adversarial content).
    #[error("no boundary that does not occur in the content")]
    NoBoundary,
}

/// Deepest part tree the builder writes (the parser's default depth limit is larger).
pub const MAX_DEPTH: usize = 32;

/// Fields the builder writes itself; [`MessageBuilder::header`] refuses them.
const RESERVED: &[&str] = &[
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
    "content-id",
];

/// The body of a [`Part`].
#[derive(Debug, Clone)]
pub enum Body<'a> {
    /// Text (`text/*`), encoded in the part's charset (UTF-8 by default). Line ends are
    /// written as CRLF whatever the input used.
    Text(Cow<'a, str>),
    /// Bytes, sent as base64.
    Bytes(Cow<'a, [u8]>),
    /// The parts of a `multipart/*`.
    Multipart(Vec<Part<'a>>),
    /// An encapsulated message (`message/rfc822`).
    Message(Box<MessageBuilder<'a>>),
}

/// One MIME part: its content type, disposition, file name, extra fields and body.
#[derive(Debug, Clone)]
pub struct Part<'a> {
    mime_type: String,
    subtype: String,
    params: Vec<(String, String)>,
    charset: Option<String>,
    disposition: Option<Disposition<'static>>,
    filename: Option<String>,
    content_id: Option<String>,
    headers: Vec<(String, String)>,
    body: Body<'a>,
}

impl<'a> Part<'a> {
    fn with(mime_type: &str, subtype: &str, body: Body<'a>) -> Self {
        Part {
            mime_type: mime_type.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
            params: Vec::new(),
            charset: None,
            disposition: None,
            filename: None,
            content_id: None,
            headers: Vec::new(),
            body,
        }
    }

    /// `text/plain; charset=utf-8`.
    pub fn text(text: impl Into<Cow<'a, str>>) -> Self {
        Part::text_subtype("plain", text)
    }

    /// `text/html; charset=utf-8`.
    pub fn html(html: impl Into<Cow<'a, str>>) -> Self {
        Part::text_subtype("html", html)
    }

    /// `text/SUBTYPE; charset=utf-8`.
    pub fn text_subtype(subtype: &str, text: impl Into<Cow<'a, str>>) -> Self {
        let mut p = Part::with("text", subtype, Body::Text(text.into()));
        p.charset = Some("utf-8".to_owned());
        p
    }

    /// A part of type `mime_type/subtype` with these bytes (base64 on the wire).
    pub fn bytes(mime_type: &str, subtype: &str, data: impl Into<Cow<'a, [u8]>>) -> Self {
        Part::with(mime_type, subtype, Body::Bytes(data.into()))
    }

    /// An attachment: `Content-Disposition: attachment` with this file name.
    pub fn attachment(
        mime_type: &str,
        subtype: &str,
        filename: &str,
        data: impl Into<Cow<'a, [u8]>>,
    ) -> Self {
        Part::bytes(mime_type, subtype, data)
            .disposition(Disposition::Attachment)
            .filename(filename)
    }

    /// An inline part referenced by `cid:` URLs (for `multipart/related`): disposition
    /// `inline` and this `Content-ID` (given without angle brackets).
    pub fn inline(
        mime_type: &str,
        subtype: &str,
        content_id: &str,
        data: impl Into<Cow<'a, [u8]>>,
    ) -> Self {
        Part::bytes(mime_type, subtype, data)
            .disposition(Disposition::Inline)
            .content_id(content_id)
    }

    /// `multipart/SUBTYPE` of these parts.
    pub fn multipart(subtype: &str, parts: Vec<Part<'a>>) -> Self {
        Part::with("multipart", subtype, Body::Multipart(parts))
    }

    /// `multipart/mixed`.
    pub fn mixed(parts: Vec<Part<'a>>) -> Self {
        Part::multipart("mixed", parts)
    }

    /// `multipart/alternative` (plainest first).
    pub fn alternative(parts: Vec<Part<'a>>) -> Self {
        Part::multipart("alternative", parts)
    }

    /// `multipart/related` (the root first, then the parts it references).
    pub fn related(parts: Vec<Part<'a>>) -> Self {
        Part::multipart("related", parts)
    }

    /// A `message/rfc822` part holding this message.
    pub fn message(msg: MessageBuilder<'a>) -> Self {
        Part::with("message", "rfc822", Body::Message(Box::new(msg)))
    }

    /// Sets the charset of a text part (default `utf-8`); the text is converted to it
    /// when built ([`BuildError::Unencodable`] if it cannot be).
    pub fn charset(mut self, charset: &str) -> Self {
        self.charset = Some(charset.to_owned());
        self
    }

    /// Sets the disposition (`inline` or `attachment`).
    pub fn disposition(mut self, d: Disposition<'static>) -> Self {
        self.disposition = Some(d);
        self
    }

    /// Sets the file name (written as the disposition's `filename`, RFC 2231 when needed,
    /// and as the content type's legacy `name`).
    pub fn filename(mut self, name: &str) -> Self {
        self.filename = Some(name.to_owned());
        self
    }

    /// Sets the `Content-ID` (without angle brackets).
    pub fn content_id(mut self, id: &str) -> Self {
        self.content_id = Some(id.to_owned());
        self
    }

    /// Adds a `Content-Type` parameter (not `charset`, `boundary` or `name`, which the
    /// builder writes).
    pub fn param(mut self, name: &str, value: &str) -> Self {
        self.params.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds a header field to this part (unstructured text, RFC 2047 encoded when needed).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The body.
    pub fn body(&self) -> &Body<'a> {
        &self.body
    }
}

/// A whole message: header fields and a body part.
#[derive(Debug, Clone)]
pub struct MessageBuilder<'a> {
    from: Vec<Address<'a>>,
    sender: Option<Mailbox<'a>>,
    reply_to: Vec<Address<'a>>,
    to: Vec<Address<'a>>,
    cc: Vec<Address<'a>>,
    bcc: Vec<Address<'a>>,
    write_bcc: bool,
    subject: Option<String>,
    date: Option<DateTime>,
    message_id: Option<String>,
    headers: Vec<(String, String)>,
    body: Part<'a>,
    transport: Transport,
    seed: u64,
}

impl Default for MessageBuilder<'_> {
    fn default() -> Self {
        MessageBuilder::new()
    }
}

impl<'a> MessageBuilder<'a> {
    /// An empty message (an empty `text/plain` body, 7-bit transport, boundary seed 0).
    pub fn new() -> Self {
        MessageBuilder {
            from: Vec::new(),
            sender: None,
            reply_to: Vec::new(),
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            write_bcc: false,
            subject: None,
            date: None,
            message_id: None,
            headers: Vec::new(),
            body: Part::text(""),
            transport: Transport::SevenBit,
            seed: 0,
        }
    }

    /// Adds a `From` mailbox.
    pub fn from(mut self, m: Mailbox<'a>) -> Self {
        self.from.push(Address::Mailbox(m));
        self
    }

    /// Sets `Sender`.
    pub fn sender(mut self, m: Mailbox<'a>) -> Self {
        self.sender = Some(m);
        self
    }

    /// Adds a `Reply-To` mailbox.
    pub fn reply_to(mut self, m: Mailbox<'a>) -> Self {
        self.reply_to.push(Address::Mailbox(m));
        self
    }

    /// Adds a `To` mailbox.
    pub fn to(mut self, m: Mailbox<'a>) -> Self {
        self.to.push(Address::Mailbox(m));
        self
    }

    /// Adds a group to `To` (`Friends: a@x, b@y;`, or `undisclosed-recipients:;`).
    pub fn to_group(mut self, g: Group<'a>) -> Self {
        self.to.push(Address::Group(g));
        self
    }

    /// Adds a `Cc` mailbox.
    pub fn cc(mut self, m: Mailbox<'a>) -> Self {
        self.cc.push(Address::Mailbox(m));
        self
    }

    /// Adds a `Bcc` mailbox. It is not written unless [`write_bcc`](Self::write_bcc) is
    /// set; [`recipients`](Self::recipients) includes it.
    pub fn bcc(mut self, m: Mailbox<'a>) -> Self {
        self.bcc.push(Address::Mailbox(m));
        self
    }

    /// Whether to write the `Bcc` field (default: no).
    pub fn write_bcc(mut self, yes: bool) -> Self {
        self.write_bcc = yes;
        self
    }

    /// Sets the `Subject` (any Unicode; encoded as needed).
    pub fn subject(mut self, s: &str) -> Self {
        self.subject = Some(s.to_owned());
        self
    }

    /// Sets the `Date` (the caller reads the clock).
    pub fn date(mut self, d: DateTime) -> Self {
        self.date = Some(d);
        self
    }

    /// Sets the `Message-ID` (without angle brackets).
    pub fn message_id(mut self, id: &str) -> Self {
        self.message_id = Some(id.to_owned());
        self
    }

    /// Sets the `Message-ID` to `<hex(random)@domain>` from caller-supplied random bytes.
    pub fn message_id_from(mut self, random: &[u8], domain: &str) -> Self {
        let mut id = String::with_capacity(random.len() * 2 + domain.len() + 1);
        for b in random {
            id.push(char::from(HEX[usize::from(b >> 4)]));
            id.push(char::from(HEX[usize::from(b & 15)]));
        }
        id.push('@');
        id.push_str(domain);
        self.message_id = Some(id);
        self
    }

    /// Adds a header field (unstructured text, RFC 2047 encoded when needed). The MIME
    /// fields are refused at build time ([`BuildError::ReservedField`]).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, part: Part<'a>) -> Self {
        self.body = part;
        self
    }

    /// Sets a `text/plain` UTF-8 body.
    pub fn text(self, text: impl Into<Cow<'a, str>>) -> Self {
        self.body(Part::text(text))
    }

    /// What the transport allows (default [`Transport::SevenBit`]).
    pub fn transport(mut self, t: Transport) -> Self {
        self.transport = t;
        self
    }

    /// Entropy for multipart boundaries (from the caller's random source).
    pub fn boundary_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Every recipient address (`To`, `Cc`, `Bcc`, group members flattened): the SMTP
    /// envelope's `RCPT TO` list.
    pub fn recipients(&self) -> Vec<String> {
        self.to
            .iter()
            .chain(&self.cc)
            .chain(&self.bcc)
            .flat_map(Address::mailboxes)
            .map(Mailbox::address)
            .collect()
    }

    /// Encodes the message. Nothing is written yet; the result borrows attachment bytes
    /// from `self` and encodes them as it is written.
    pub fn build(&self) -> Result<Built<'_>, BuildError> {
        let mut b = Planner {
            transport: self.transport,
            seed: self.seed,
            counter: 0,
        };
        let segs = b.message(self, 0)?;
        Ok(Built { segs })
    }

    /// Builds and writes the message into `w`.
    pub fn write_to<W: Write>(&self, w: W) -> io::Result<()> {
        self.build().map_err(io::Error::other)?.write_to(w)
    }

    /// Builds the message into a vector.
    pub fn to_vec(&self) -> Result<Vec<u8>, BuildError> {
        Ok(self.build()?.to_vec())
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A piece of the output.
#[derive(Debug, Clone)]
enum Seg<'p> {
    /// Bytes ready to write.
    Owned(Vec<u8>),
    /// Bytes borrowed from the builder, written as they are.
    Raw(&'p [u8]),
    /// Bytes borrowed from the builder, base64-encoded (76 columns) as they are written.
    Base64(&'p [u8]),
}

impl Seg<'_> {
    /// Whether `needle` may occur in this segment's output (base64 output has no `_`).
    fn contains(&self, needle: &[u8]) -> bool {
        match self {
            Seg::Owned(v) => memmem::find(v, needle).is_some(),
            Seg::Raw(v) => memmem::find(v, needle).is_some(),
            Seg::Base64(_) => !needle.contains(&b'_'),
        }
    }

    fn has_8bit(&self) -> bool {
        match self {
            Seg::Owned(v) => v.iter().any(|&b| b >= 0x80),
            Seg::Raw(v) => v.iter().any(|&b| b >= 0x80),
            Seg::Base64(_) => false,
        }
    }

    fn len(&self) -> usize {
        match self {
            Seg::Owned(v) => v.len(),
            Seg::Raw(v) => v.len(),
            Seg::Base64(v) => base64_len(v.len()),
        }
    }
}

fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4 + n.div_ceil(57) * 2
}

struct Planner {
    transport: Transport,
    seed: u64,
    counter: u64,
}

/// Writes `name: value` folded at 78 columns (at whitespace), ending in CRLF. Unlike
/// [`fold_into`], never folds right after the colon: Python's `email` reads a value that
/// starts on a continuation line with a leading space.
fn field(out: &mut Vec<u8>, name: &str, value: &str) -> Result<(), BuildError> {
    let err = |source| BuildError::Header {
        field: name.to_owned(),
        source,
    };
    if !is_valid_field_name(name) {
        return Err(err(EncodeError::InvalidFieldName));
    }
    if let Some(offset) = value.bytes().position(|b| b == b'\r' || b == b'\n') {
        return Err(err(EncodeError::LineBreak { offset }));
    }
    let value = value.trim_start_matches([' ', '\t']);
    if value.is_empty() {
        // Let the shared folder handle the degenerate case the same way.
        return fold_into(out, name, value).map_err(err);
    }
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    let mut col = name.len() + 2;
    let v = value.as_bytes();
    let is_ws = |b: u8| b == b' ' || b == b'\t';
    // Chunks start at a whitespace byte followed by a non-whitespace byte.
    let mut start = 0;
    let push = |out: &mut Vec<u8>, chunk: &[u8], col: &mut usize, first: bool| {
        if !first && *col + chunk.len() > FOLD_WIDTH {
            out.extend_from_slice(b"\r\n");
            *col = 0;
        }
        out.extend_from_slice(chunk);
        *col += chunk.len();
        if *col > MAX_LINE {
            return Err(EncodeError::LineTooLong);
        }
        Ok(())
    };
    let mut i = 1;
    while i < v.len() {
        if v.get(i).copied().is_some_and(is_ws) && v.get(i + 1).is_some_and(|&b| !is_ws(b)) {
            push(
                out,
                v.get(start..i).unwrap_or_default(),
                &mut col,
                start == 0,
            )
            .map_err(err)?;
            start = i;
        }
        i += 1;
    }
    push(
        out,
        v.get(start..).unwrap_or_default(),
        &mut col,
        start == 0,
    )
    .map_err(err)?;
    out.extend_from_slice(b"\r\n");
    Ok(())
}

fn enc<T>(name: &str, r: Result<T, EncodeError>) -> Result<T, BuildError> {
    r.map_err(|source| BuildError::Header {
        field: name.to_owned(),
        source,
    })
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Line ends as CRLF.
fn crlf(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let clean = b.iter().enumerate().all(|(i, &c)| match c {
        b'\r' => b.get(i + 1) == Some(&b'\n'),
        b'\n' => i > 0 && b.get(i - 1) == Some(&b'\r'),
        _ => true,
    });
    if clean {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\r\n");
            }
            '\n' => out.push_str("\r\n"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn check_text(name: &str, value: &str) -> Result<(), BuildError> {
    if let Some(offset) = value.bytes().position(|b| b == b'\r' || b == b'\n') {
        return Err(BuildError::Header {
            field: name.to_owned(),
            source: EncodeError::LineBreak { offset },
        });
    }
    Ok(())
}

impl Planner {
    fn boundary(&mut self) -> String {
        const ALPHA: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut x = self.seed ^ self.counter.wrapping_mul(0xD6E8_FEB8_6659_FD93);
        self.counter += 1;
        let mut s = String::from("=_");
        for _ in 0..4 {
            let mut v = splitmix(&mut x);
            for _ in 0..7 {
                s.push(char::from(ALPHA[(v % 62) as usize]));
                v /= 62;
            }
        }
        s
    }

    fn message<'p>(
        &mut self,
        m: &'p MessageBuilder<'_>,
        depth: usize,
    ) -> Result<Vec<Seg<'p>>, BuildError> {
        let utf8 = self.transport.utf8_headers();
        let mut h = Vec::new();
        if let Some(d) = &m.date {
            field(&mut h, "Date", &d.to_rfc5322())?;
        }
        let lists: [(&str, &[Address<'_>], bool); 5] = [
            ("From", &m.from, true),
            ("Reply-To", &m.reply_to, true),
            ("To", &m.to, true),
            ("Cc", &m.cc, true),
            ("Bcc", &m.bcc, m.write_bcc),
        ];
        for (i, (name, list, write)) in lists.into_iter().enumerate() {
            if write && !list.is_empty() {
                let v = enc(name, encode_address_list(list, utf8))?;
                field(&mut h, name, &v)?;
            }
            if i == 0
                && let Some(s) = &m.sender
            {
                let v = enc(
                    "Sender",
                    encode_address_list(&[Address::Mailbox(s.clone())], utf8),
                )?;
                field(&mut h, "Sender", &v)?;
            }
        }
        if let Some(s) = &m.subject {
            let v = enc("Subject", encode_unstructured(s, utf8))?;
            field(&mut h, "Subject", &v)?;
        }
        if let Some(id) = &m.message_id {
            let v = enc("Message-ID", encode_msg_id(id))?;
            field(&mut h, "Message-ID", &v)?;
        }
        for (name, value) in &m.headers {
            if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
                return Err(BuildError::ReservedField(name.clone()));
            }
            let v = enc(name, encode_unstructured(value, utf8))?;
            field(&mut h, name, &v)?;
        }
        field(&mut h, "MIME-Version", "1.0")?;
        self.part(&m.body, h, depth)
    }

    /// Plans `p`, with `h` (fields already encoded) before its MIME fields.
    fn part<'p>(
        &mut self,
        p: &'p Part<'_>,
        mut h: Vec<u8>,
        depth: usize,
    ) -> Result<Vec<Seg<'p>>, BuildError> {
        if depth > MAX_DEPTH {
            return Err(BuildError::TooDeep);
        }
        let utf8 = self.transport.utf8_headers();
        let mut ct = ContentType::new(&p.mime_type, &p.subtype);
        for (k, v) in &p.params {
            check_text(k, v)?;
            ct = ct.with_param(k.clone(), v.clone());
        }
        let mut body: Vec<Seg<'p>> = Vec::new();
        let mut cte: Option<&str> = None;
        match &p.body {
            Body::Text(text) => {
                let charset = p.charset.as_deref().unwrap_or("utf-8");
                ct = ct.with_param("charset", charset.to_owned());
                let text = crlf(text);
                let bytes: Cow<'_, [u8]> = match text {
                    Cow::Borrowed(t) => {
                        encode_text(charset, t).ok_or_else(|| BuildError::Unencodable {
                            charset: charset.to_owned(),
                        })?
                    }
                    Cow::Owned(t) => Cow::Owned(
                        encode_text(charset, &t)
                            .ok_or_else(|| BuildError::Unencodable {
                                charset: charset.to_owned(),
                            })?
                            .into_owned(),
                    ),
                };
                let te = choose_encoding(&bytes, true, self.transport.allow_8bit());
                match te {
                    TransferEncoding::SevenBit | TransferEncoding::EightBit => {
                        cte = Some(if te == TransferEncoding::SevenBit {
                            "7bit"
                        } else {
                            "8bit"
                        });
                        body.push(match bytes {
                            Cow::Borrowed(b) => Seg::Raw(b),
                            Cow::Owned(v) => Seg::Owned(v),
                        });
                    }
                    TransferEncoding::QuotedPrintable => {
                        cte = Some("quoted-printable");
                        let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 4);
                        qp::encode(&bytes, QpMode::Text, &mut out);
                        body.push(Seg::Owned(out));
                    }
                    _ => {
                        cte = Some("base64");
                        body.push(match bytes {
                            Cow::Borrowed(b) => Seg::Base64(b),
                            Cow::Owned(v) => {
                                let mut out = Vec::with_capacity(base64_len(v.len()));
                                encode_lines(&v, 76, &mut out);
                                Seg::Owned(out)
                            }
                        });
                    }
                }
            }
            Body::Bytes(data) => {
                cte = Some("base64");
                body.push(Seg::Base64(data));
            }
            Body::Message(inner) => {
                body = self.message(inner, depth + 1)?;
                if body.iter().any(Seg::has_8bit) {
                    cte = Some("8bit");
                }
            }
            Body::Multipart(parts) => {
                let mut children = Vec::with_capacity(parts.len());
                for c in parts {
                    children.push(self.part(c, Vec::new(), depth + 1)?);
                }
                let boundary = self.free_boundary(&children, &h)?;
                ct = ct.with_param("boundary", boundary.clone());
                let mut first = true;
                for c in children {
                    let mut line = Vec::with_capacity(boundary.len() + 6);
                    if !first {
                        line.extend_from_slice(b"\r\n");
                    }
                    first = false;
                    line.extend_from_slice(b"--");
                    line.extend_from_slice(boundary.as_bytes());
                    line.extend_from_slice(b"\r\n");
                    body.push(Seg::Owned(line));
                    body.extend(c);
                }
                let mut close = Vec::with_capacity(boundary.len() + 8);
                if !first {
                    close.extend_from_slice(b"\r\n");
                }
                close.extend_from_slice(b"--");
                close.extend_from_slice(boundary.as_bytes());
                close.extend_from_slice(b"--\r\n");
                body.push(Seg::Owned(close));
            }
        }
        let mut ct_value = enc("Content-Type", ct.encode())?;
        if let Some(f) = &p.filename {
            ct_value.push_str("; ");
            ct_value.push_str(&enc("Content-Type", encode_param_rfc2047("name", f))?);
        }
        field(&mut h, "Content-Type", &ct_value)?;
        if let Some(c) = cte {
            field(&mut h, "Content-Transfer-Encoding", c)?;
        }
        if p.disposition.is_some() || p.filename.is_some() {
            let kind = p.disposition.clone().unwrap_or(Disposition::Attachment);
            let mut d = ContentDisposition::new(kind);
            if let Some(f) = &p.filename {
                d = d.with_param("filename", f.clone());
            }
            let v = enc("Content-Disposition", d.encode())?;
            field(&mut h, "Content-Disposition", &v)?;
        }
        if let Some(id) = &p.content_id {
            let v = enc("Content-ID", encode_msg_id(id))?;
            field(&mut h, "Content-ID", &v)?;
        }
        for (name, value) in &p.headers {
            if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
                return Err(BuildError::ReservedField(name.clone()));
            }
            let v = enc(name, encode_unstructured(value, utf8))?;
            field(&mut h, name, &v)?;
        }
        h.extend_from_slice(b"\r\n");
        let mut segs = Vec::with_capacity(body.len() + 1);
        segs.push(Seg::Owned(h));
        segs.extend(body);
        Ok(segs)
    }

    /// A boundary that occurs nowhere in the children's output (nor the fields above).
    fn free_boundary(&mut self, children: &[Vec<Seg<'_>>], h: &[u8]) -> Result<String, BuildError> {
        for _ in 0..64 {
            let b = self.boundary();
            let needle = b.as_bytes();
            let clash = memmem::find(h, needle).is_some()
                || children.iter().flatten().any(|s| s.contains(needle));
            if !clash {
                return Ok(b);
            }
        }
        Err(BuildError::NoBoundary)
    }
}

/// An encoded message, ready to be written. Attachment bytes are borrowed from the
/// builder and base64-encoded as they are written.
#[derive(Debug, Clone)]
pub struct Built<'p> {
    segs: Vec<Seg<'p>>,
}

impl<'p> Built<'p> {
    /// Size of the whole message in octets.
    pub fn len(&self) -> usize {
        self.segs.iter().map(Seg::len).sum()
    }

    /// Whether the message is empty (never, in practice).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the message into `w`.
    pub fn write_to<W: Write>(&self, mut w: W) -> io::Result<()> {
        let mut r = self.reader();
        while let Some(chunk) = r.next_chunk() {
            w.write_all(chunk)?;
        }
        Ok(())
    }

    /// The message as bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        let mut r = self.reader();
        while let Some(chunk) = r.next_chunk() {
            out.extend_from_slice(chunk);
        }
        out
    }

    /// A pull-style reader: [`Reader::next_chunk`] or [`std::io::Read`]. Attachments are
    /// encoded 57 KiB of input at a time.
    pub fn reader(&self) -> Reader<'_, 'p> {
        Reader {
            segs: &self.segs,
            seg: 0,
            pos: 0,
            buf: Vec::new(),
            buf_pos: 0,
        }
    }
}

/// Input bytes base64-encoded per chunk (a whole number of 57-byte lines).
const B64_CHUNK: usize = 57 * 1024;
/// Most bytes of an owned or raw segment returned per chunk.
const RAW_CHUNK: usize = 64 * 1024;

/// A pull-style writer over a [`Built`] message.
#[derive(Debug)]
pub struct Reader<'b, 'p> {
    segs: &'b [Seg<'p>],
    seg: usize,
    pos: usize,
    buf: Vec<u8>,
    buf_pos: usize,
}

impl Reader<'_, '_> {
    /// The next chunk of output, or `None` at the end.
    pub fn next_chunk(&mut self) -> Option<&[u8]> {
        loop {
            let seg = self.segs.get(self.seg)?;
            let (data, b64) = match seg {
                Seg::Owned(v) => (v.as_slice(), false),
                Seg::Raw(v) => (*v, false),
                Seg::Base64(v) => (*v, true),
            };
            let rest = data.get(self.pos..).unwrap_or_default();
            if rest.is_empty() {
                self.seg += 1;
                self.pos = 0;
                continue;
            }
            if b64 {
                let take = rest.len().min(B64_CHUNK);
                self.buf.clear();
                encode_lines(rest.get(..take).unwrap_or_default(), 76, &mut self.buf);
                self.pos += take;
                return Some(&self.buf);
            }
            let take = rest.len().min(RAW_CHUNK);
            self.pos += take;
            return rest.get(..take);
        }
    }
}

impl Read for Reader<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.buf_pos >= self.buf.len() {
            self.buf_pos = 0;
            let chunk = match self.next_chunk() {
                None => return Ok(0),
                Some(c) => c.to_vec(),
            };
            self.buf = chunk;
        }
        let avail = self.buf.get(self.buf_pos..).unwrap_or_default();
        let n = avail.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), avail.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.buf_pos += n;
        Ok(n)
    }
}

/// Checks a field name for [`MessageBuilder::header`] (exposed for callers validating
/// input early).
pub fn check_field_name(name: &str) -> Result<(), BuildError> {
    if is_valid_field_name(name) {
        Ok(())
    } else {
        Err(BuildError::Header {
            field: name.to_owned(),
            source: EncodeError::InvalidFieldName,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    #[test]
    fn boundary_never_in_content() {
        let mut p = Planner {
            transport: Transport::SevenBit,
            seed: 1,
            counter: 0,
        };
        let b0 = p.boundary();
        // Text containing the first boundary candidate forces another.
        let text = format!("x\r\n--{b0}\r\ny");
        let m = MessageBuilder::new()
            .boundary_seed(1)
            .body(Part::mixed(vec![Part::text(text.clone())]));
        let raw = m.to_vec().unwrap();
        let msg = Message::parse(&raw);
        assert_eq!(msg.part_by_number("1").unwrap().text(), text);
        assert!(
            !msg.root()
                .content_type()
                .boundary()
                .unwrap()
                .ends_with(b0.as_bytes())
        );
    }
}
