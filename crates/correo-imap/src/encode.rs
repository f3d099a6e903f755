//! Encoders for both directions. Always strict: the output follows the grammar whatever
//! leniency the parser allows.
//!
//! Strings are written as atoms, quoted strings or literals, whichever the content allows
//! (atom when every byte is an atom character, quoted when the content is short 7-bit text,
//! a literal otherwise). Client-side literals honour LITERAL+ / LITERAL- as announced
//! ([`EncodeOptions`]): a synchronising literal ends a [`Fragment`] and the client waits for
//! a continuation request before sending the next one.

use std::borrow::Cow;
use std::io::Write as _;

use crate::parse::is_atom_char;
use crate::types::*;

/// The part written for a multipart that has none (Dovecot's choice).
const EMPTY_PART: &str = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)";

/// What the peer announced and what is enabled, for the encoder's choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EncodeOptions {
    /// The server announced `LITERAL+`: every literal is sent non-synchronising (`{n+}`).
    pub literal_plus: bool,
    /// The server announced `LITERAL-`: literals up to 4096 bytes are non-synchronising.
    pub literal_minus: bool,
    /// `UTF8=ACCEPT` is enabled: UTF-8 may go in quoted strings.
    pub utf8: bool,
}

/// What comes after a fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Next {
    /// Nothing: the message is complete.
    Done,
    /// Wait for a continuation request (`+`), then send the next fragment.
    Continuation,
    /// The caller sends `length` bytes of message data (a streamed APPEND body or FETCH
    /// value) — after a continuation request when `sync` — then the next fragment.
    Body {
        /// Number of bytes the caller must send.
        length: u64,
        /// Whether to wait for a continuation request first.
        sync: bool,
    },
}

/// A piece of an encoded message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fragment {
    /// Bytes to send.
    pub bytes: Vec<u8>,
    /// What follows.
    pub next: Next,
}

/// Joins fragments into one byte string, ignoring the waits (for tests, logs, and
/// responses, which have no synchronising literal). Streamed bodies are left out.
pub fn join(fragments: &[Fragment]) -> Vec<u8> {
    let mut v = Vec::new();
    for f in fragments {
        v.extend_from_slice(&f.bytes);
    }
    v
}

struct W {
    opts: EncodeOptions,
    client: bool,
    parts: Vec<Fragment>,
    cur: Vec<u8>,
}

fn is_astring_char(c: u8) -> bool {
    is_atom_char(c) || c == b']'
}

impl W {
    fn new(opts: EncodeOptions, client: bool) -> W {
        W {
            opts,
            client,
            parts: Vec::new(),
            cur: Vec::with_capacity(64),
        }
    }

    fn raw(&mut self, b: &[u8]) {
        self.cur.extend_from_slice(b);
    }

    fn s(&mut self, s: &str) {
        self.cur.extend_from_slice(s.as_bytes());
    }

    fn sp(&mut self) {
        self.cur.push(b' ');
    }

    fn num(&mut self, n: u64) {
        // Digits without the formatting machinery (SEARCH results are long lists).
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        let mut v = n;
        loop {
            i -= 1;
            if let Some(d) = buf.get_mut(i) {
                *d = b'0' + (v % 10) as u8;
            }
            v /= 10;
            if v == 0 || i == 0 {
                break;
            }
        }
        self.cur.extend_from_slice(buf.get(i..).unwrap_or_default());
    }

    fn quotable(&self, b: &[u8]) -> bool {
        b.len() <= 1024
            && b.iter().all(|&c| c != b'\r' && c != b'\n' && c != 0)
            && (b.is_ascii() || (self.opts.utf8 && std::str::from_utf8(b).is_ok()))
    }

    fn quoted(&mut self, b: &[u8]) {
        self.cur.push(b'"');
        for &c in b {
            if c == b'"' || c == b'\\' {
                self.cur.push(b'\\');
            }
            self.cur.push(c);
        }
        self.cur.push(b'"');
    }

    /// A value the grammar requires quoted (dates, hierarchy delimiters). Bytes no quoted
    /// string can hold (NUL, CR, LF, which no parse yields) become `?`; anything else is
    /// kept as it is, so that a value read under leniency (an 8-bit delimiter) comes back
    /// the same.
    fn quoted_only(&mut self, b: &[u8]) {
        if b.iter().all(|&c| !matches!(c, 0 | b'\r' | b'\n')) {
            self.quoted(b);
        } else {
            let clean: Vec<u8> = b
                .iter()
                .map(|&c| {
                    if matches!(c, 0 | b'\r' | b'\n') {
                        b'?'
                    } else {
                        c
                    }
                })
                .collect();
            self.quoted(&clean);
        }
    }

    fn literal(&mut self, b: &[u8], binary: bool) {
        if binary {
            self.cur.push(b'~');
        }
        let n = b.len() as u64;
        let sync =
            self.client && !(self.opts.literal_plus || (self.opts.literal_minus && n <= 4096));
        let _ = write!(self.cur, "{{{n}");
        if self.client && !sync {
            self.cur.push(b'+');
        }
        self.cur.extend_from_slice(b"}\r\n");
        if sync {
            let bytes = std::mem::take(&mut self.cur);
            self.parts.push(Fragment {
                bytes,
                next: Next::Continuation,
            });
        }
        self.cur.extend_from_slice(b);
    }

    fn streamed(&mut self, n: u64, binary: bool) {
        if binary {
            self.cur.push(b'~');
        }
        let sync =
            self.client && !(self.opts.literal_plus || (self.opts.literal_minus && n <= 4096));
        let _ = write!(self.cur, "{{{n}");
        if self.client && !sync {
            self.cur.push(b'+');
        }
        self.cur.extend_from_slice(b"}\r\n");
        let bytes = std::mem::take(&mut self.cur);
        self.parts.push(Fragment {
            bytes,
            next: Next::Body { length: n, sync },
        });
    }

    fn string(&mut self, b: &[u8]) {
        if self.quotable(b) {
            self.quoted(b);
        } else {
            self.literal(b, false);
        }
    }

    fn astring(&mut self, b: &[u8]) {
        if !b.is_empty() && b.iter().all(|&c| is_astring_char(c)) && !b.eq_ignore_ascii_case(b"NIL")
        {
            self.raw(b);
        } else {
            self.string(b);
        }
    }

    fn nstring(&mut self, b: Option<&[u8]>) {
        match b {
            None => self.s("NIL"),
            Some(b) => self.string(b),
        }
    }

    fn body_data(&mut self, d: &BodyData<'_>, binary: bool) {
        match d {
            BodyData::Nil => self.s("NIL"),
            BodyData::Bytes(b) if !binary && self.quotable(b) && !b.is_empty() => self.quoted(b),
            BodyData::Bytes(b) => self.literal(b, binary),
            BodyData::Streamed(n) => self.streamed(*n, binary),
        }
    }

    fn mailbox(&mut self, m: &Mailbox<'_>) {
        self.astring(m.as_bytes());
    }

    fn list_mailbox(&mut self, m: &Mailbox<'_>) {
        let b = m.as_bytes();
        if !b.is_empty()
            && b.iter()
                .all(|&c| is_astring_char(c) || c == b'%' || c == b'*')
        {
            self.raw(b);
        } else {
            self.string(b);
        }
    }

    fn flag(&mut self, f: &Flag<'_>) {
        let w = f.to_wire();
        self.s(&w);
    }

    fn flags(&mut self, v: &[Flag<'_>]) {
        self.cur.push(b'(');
        for (i, f) in v.iter().enumerate() {
            if i > 0 {
                self.sp();
            }
            self.flag(f);
        }
        self.cur.push(b')');
    }

    fn seq_num(&mut self, n: SeqNum) {
        match n {
            SeqNum::Value(v) => self.num(u64::from(v)),
            SeqNum::Largest => self.cur.push(b'*'),
        }
    }

    fn set(&mut self, s: &SequenceSet) {
        match s {
            SequenceSet::Saved => self.cur.push(b'$'),
            SequenceSet::Ranges(r) => {
                for (i, r) in r.iter().enumerate() {
                    if i > 0 {
                        self.cur.push(b',');
                    }
                    match *r {
                        SeqRange::Single(a) => self.seq_num(a),
                        SeqRange::Range(a, b) => {
                            self.seq_num(a);
                            self.cur.push(b':');
                            self.seq_num(b);
                        }
                    }
                }
            }
        }
    }

    fn part(&mut self, part: &[u32]) {
        for (i, p) in part.iter().enumerate() {
            if i > 0 {
                self.cur.push(b'.');
            }
            self.num(u64::from(*p));
        }
    }

    fn section(&mut self, s: &Section<'_>) {
        self.cur.push(b'[');
        self.part(&s.part);
        if let Some(t) = &s.text {
            if !s.part.is_empty() {
                self.cur.push(b'.');
            }
            let names = match t {
                SectionText::Header => {
                    self.s("HEADER");
                    None
                }
                SectionText::HeaderFields(v) => {
                    self.s("HEADER.FIELDS (");
                    Some(v)
                }
                SectionText::HeaderFieldsNot(v) => {
                    self.s("HEADER.FIELDS.NOT (");
                    Some(v)
                }
                SectionText::Text => {
                    self.s("TEXT");
                    None
                }
                SectionText::Mime => {
                    self.s("MIME");
                    None
                }
            };
            if let Some(v) = names {
                for (i, n) in v.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    if !n.is_empty() && n.iter().all(|&c| is_atom_char(c)) {
                        self.raw(n);
                    } else {
                        self.string(n);
                    }
                }
                self.cur.push(b')');
            }
        }
        self.cur.push(b']');
    }

    fn finish(mut self) -> Vec<Fragment> {
        self.cur.extend_from_slice(b"\r\n");
        let bytes = std::mem::take(&mut self.cur);
        self.parts.push(Fragment {
            bytes,
            next: Next::Done,
        });
        self.parts
    }

    // ---- responses ----

    fn code(&mut self, c: &Code<'_>) {
        for (n, simple) in SIMPLE_CODES {
            if simple == c {
                self.s(n);
                return;
            }
        }
        match c {
            Code::BadCharset(v) => {
                self.s("BADCHARSET");
                if !v.is_empty() {
                    self.s(" (");
                    for (i, c) in v.iter().enumerate() {
                        if i > 0 {
                            self.sp();
                        }
                        self.astring(c);
                    }
                    self.s(")");
                }
            }
            Code::Capability(v) => {
                self.s("CAPABILITY");
                for c in v {
                    self.sp();
                    self.s(&c.0);
                }
            }
            Code::PermanentFlags(v) => {
                self.s("PERMANENTFLAGS ");
                self.flags(v);
            }
            Code::UidNext(n) => {
                self.s("UIDNEXT ");
                self.num(u64::from(*n));
            }
            Code::UidValidity(n) => {
                self.s("UIDVALIDITY ");
                self.num(u64::from(*n));
            }
            Code::Unseen(n) => {
                self.s("UNSEEN ");
                self.num(u64::from(*n));
            }
            Code::AppendUid { validity, uids } => {
                self.s("APPENDUID ");
                self.num(u64::from(*validity));
                self.sp();
                self.set(uids);
            }
            Code::CopyUid {
                validity,
                source,
                destination,
            } => {
                self.s("COPYUID ");
                self.num(u64::from(*validity));
                self.sp();
                self.set(source);
                self.sp();
                self.set(destination);
            }
            Code::HighestModSeq(n) => {
                self.s("HIGHESTMODSEQ ");
                self.num(*n);
            }
            Code::Modified(s) => {
                self.s("MODIFIED ");
                self.set(s);
            }
            Code::MailboxId(id) => {
                self.s("MAILBOXID (");
                self.raw(id);
                self.s(")");
            }
            Code::Other { name, value } => {
                self.s(name);
                if let Some(v) = value {
                    self.sp();
                    self.raw(v);
                }
            }
            _ => {}
        }
    }

    fn status_text(&mut self, t: &StatusText<'_>) {
        self.sp();
        if let Some(c) = &t.code {
            self.cur.push(b'[');
            self.code(c);
            self.s("] ");
        }
        // RFC 9051 (Appendix E, 23): the text may be empty; the SP before it is kept, as
        // its errata advise for clients that still expect it.
        if !t.text.is_empty() {
            let text: &[u8] = &t.text;
            let clean: Cow<'_, [u8]> = if text.iter().any(|&c| c == b'\r' || c == b'\n') {
                Cow::Owned(
                    text.iter()
                        .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c })
                        .collect(),
                )
            } else {
                Cow::Borrowed(text)
            };
            self.raw(&clean);
        }
    }

    fn addresses(&mut self, a: Option<&Vec<Address<'_>>>) {
        match a {
            None => self.s("NIL"),
            Some(v) => {
                self.cur.push(b'(');
                for a in v {
                    self.cur.push(b'(');
                    self.nstring(a.name.as_deref());
                    self.sp();
                    self.nstring(a.adl.as_deref());
                    self.sp();
                    self.nstring(a.mailbox.as_deref());
                    self.sp();
                    self.nstring(a.host.as_deref());
                    self.cur.push(b')');
                }
                self.cur.push(b')');
            }
        }
    }

    fn envelope(&mut self, e: &Envelope<'_>) {
        self.cur.push(b'(');
        self.nstring(e.date.as_deref());
        self.sp();
        self.nstring(e.subject.as_deref());
        for a in [&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc] {
            self.sp();
            self.addresses(a.as_ref());
        }
        self.sp();
        self.nstring(e.in_reply_to.as_deref());
        self.sp();
        self.nstring(e.message_id.as_deref());
        self.cur.push(b')');
    }

    fn params(&mut self, p: &Params<'_>) {
        match p {
            None => self.s("NIL"),
            Some(v) => {
                self.cur.push(b'(');
                for (i, (k, val)) in v.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    self.string(k);
                    self.sp();
                    self.string(val);
                }
                self.cur.push(b')');
            }
        }
    }

    fn body_ext(&mut self, e: &BodyExtension<'_>) {
        match e {
            BodyExtension::Str(s) => self.nstring(s.as_deref()),
            BodyExtension::Number(n) => self.num(*n),
            BodyExtension::List(v) => {
                self.cur.push(b'(');
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    self.body_ext(x);
                }
                self.cur.push(b')');
            }
        }
    }

    fn common_ext(&mut self, c: &CommonExtension<'_>) {
        let Some(d) = &c.disposition else { return };
        self.sp();
        match d {
            None => self.s("NIL"),
            Some(d) => {
                self.cur.push(b'(');
                self.string(&d.kind);
                self.sp();
                self.params(&d.params);
                self.cur.push(b')');
            }
        }
        let Some(l) = &c.language else { return };
        self.sp();
        match l {
            Language::Nil => self.s("NIL"),
            Language::Single(s) => self.string(s),
            Language::List(v) => {
                self.cur.push(b'(');
                for (i, s) in v.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    self.string(s);
                }
                self.cur.push(b')');
            }
        }
        let Some(loc) = &c.location else { return };
        self.sp();
        self.nstring(loc.as_deref());
        for e in &c.extra {
            self.sp();
            self.body_ext(e);
        }
    }

    fn body(&mut self, b: &BodyStructure<'_>) {
        self.cur.push(b'(');
        match b {
            BodyStructure::Multi {
                parts,
                subtype,
                extension,
            } => {
                for p in parts {
                    self.body(p);
                }
                if parts.is_empty() {
                    // A multipart needs one part at least (`1*body`); for one without any
                    // (Gmail's `("ALTERNATIVE")`, a message whose boundary never occurs)
                    // write what Dovecot writes: one empty text part.
                    self.s(EMPTY_PART);
                }
                self.sp();
                self.string(subtype);
                if let Some(e) = extension {
                    self.sp();
                    self.params(&e.params);
                    self.common_ext(&e.common);
                }
            }
            BodyStructure::Single {
                media_type,
                subtype,
                fields,
                kind,
                extension,
            } => {
                self.string(media_type);
                self.sp();
                self.string(subtype);
                self.sp();
                self.params(&fields.params);
                self.sp();
                self.nstring(fields.id.as_deref());
                self.sp();
                self.nstring(fields.description.as_deref());
                self.sp();
                self.nstring(fields.encoding.as_deref());
                self.sp();
                self.num(fields.size);
                match kind {
                    SinglePartKind::Text { lines } => {
                        self.sp();
                        self.num(*lines);
                    }
                    SinglePartKind::Message {
                        envelope,
                        body,
                        lines,
                    } => {
                        self.sp();
                        self.envelope(envelope);
                        self.sp();
                        self.body(body);
                        self.sp();
                        self.num(*lines);
                    }
                    SinglePartKind::Basic => {}
                }
                if let Some(e) = extension {
                    self.sp();
                    self.nstring(e.md5.as_deref());
                    self.common_ext(&e.common);
                }
            }
        }
        self.cur.push(b')');
    }

    fn fetch_item(&mut self, i: &FetchItem<'_>) {
        match i {
            FetchItem::Flags(v) => {
                self.s("FLAGS ");
                self.flags(v);
            }
            FetchItem::Envelope(e) => {
                self.s("ENVELOPE ");
                self.envelope(e);
            }
            FetchItem::InternalDate(d) => {
                self.s("INTERNALDATE ");
                self.quoted_only(d);
            }
            FetchItem::Rfc822Size(n) => {
                self.s("RFC822.SIZE ");
                self.num(*n);
            }
            FetchItem::Uid(n) => {
                self.s("UID ");
                self.num(u64::from(*n));
            }
            FetchItem::BodyStructure(b) => {
                self.s("BODYSTRUCTURE ");
                self.body(b);
            }
            FetchItem::Body(b) => {
                self.s("BODY ");
                self.body(b);
            }
            FetchItem::BodySection {
                section,
                origin,
                data,
            } => {
                self.s("BODY");
                self.section(section);
                if let Some(o) = origin {
                    self.cur.push(b'<');
                    self.num(u64::from(*o));
                    self.cur.push(b'>');
                }
                self.sp();
                self.body_data(data, false);
            }
            FetchItem::Binary { part, origin, data } => {
                self.s("BINARY[");
                self.part(part);
                self.cur.push(b']');
                if let Some(o) = origin {
                    self.cur.push(b'<');
                    self.num(u64::from(*o));
                    self.cur.push(b'>');
                }
                self.sp();
                let binary = matches!(data, BodyData::Bytes(b) if b.contains(&0));
                self.body_data(data, binary);
            }
            FetchItem::BinarySize { part, size } => {
                self.s("BINARY.SIZE[");
                self.part(part);
                self.s("] ");
                self.num(*size);
            }
            FetchItem::Rfc822(d) => {
                self.s("RFC822 ");
                self.body_data(d, false);
            }
            FetchItem::Rfc822Header(d) => {
                self.s("RFC822.HEADER ");
                self.body_data(d, false);
            }
            FetchItem::Rfc822Text(d) => {
                self.s("RFC822.TEXT ");
                self.body_data(d, false);
            }
            FetchItem::ModSeq(n) => {
                self.s("MODSEQ (");
                self.num(*n);
                self.s(")");
            }
            FetchItem::GmMsgId(n) => {
                self.s("X-GM-MSGID ");
                self.num(*n);
            }
            FetchItem::GmThrId(n) => {
                self.s("X-GM-THRID ");
                self.num(*n);
            }
            FetchItem::GmLabels(v) => {
                self.s("X-GM-LABELS (");
                for (i, l) in v.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    if l.first() == Some(&b'\\')
                        && l.len() > 1
                        && l[1..].iter().all(|&c| is_atom_char(c))
                    {
                        self.raw(l);
                    } else {
                        self.astring(l);
                    }
                }
                self.s(")");
            }
            FetchItem::Preview(p) => {
                self.s("PREVIEW ");
                self.nstring(p.as_deref());
            }
            FetchItem::EmailId(id) => {
                self.s("EMAILID (");
                self.raw(id);
                self.s(")");
            }
            FetchItem::ThreadId(id) => match id {
                None => self.s("THREADID NIL"),
                Some(id) => {
                    self.s("THREADID (");
                    self.raw(id);
                    self.s(")");
                }
            },
            FetchItem::SaveDate(d) => match d {
                None => self.s("SAVEDATE NIL"),
                Some(d) => {
                    self.s("SAVEDATE ");
                    self.quoted_only(d);
                }
            },
        }
    }

    fn id_params(&mut self, v: Option<&IdParamList<'_>>) {
        match v {
            None => self.s("NIL"),
            Some(v) => {
                self.cur.push(b'(');
                for (i, (k, val)) in v.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    self.string(k);
                    self.sp();
                    self.nstring(val.as_deref());
                }
                self.cur.push(b')');
            }
        }
    }

    fn namespace(&mut self, v: Option<&NamespaceList<'_>>) {
        match v {
            None => self.s("NIL"),
            Some(v) => {
                self.cur.push(b'(');
                for (p, d) in v {
                    self.cur.push(b'(');
                    self.string(p);
                    self.sp();
                    match d {
                        None => self.s("NIL"),
                        Some(d) => self.quoted_only(&[*d]),
                    }
                    self.cur.push(b')');
                }
                self.cur.push(b')');
            }
        }
    }

    fn thread(&mut self, t: &Thread) {
        self.cur.push(b'(');
        self.thread_members(t);
        self.cur.push(b')');
    }

    fn thread_members(&mut self, t: &Thread) {
        // A chain `1 2 3` is a loop, not recursion: chains are as long as a thread.
        let mut t = t;
        loop {
            match t.id {
                Some(id) => {
                    self.num(u64::from(id));
                    match t.children.as_slice() {
                        [] => return,
                        [one] if one.id.is_some() => {
                            self.sp();
                            t = one;
                        }
                        many => {
                            self.sp();
                            for c in many {
                                self.thread(c);
                            }
                            return;
                        }
                    }
                }
                None => {
                    for c in &t.children {
                        self.thread(c);
                    }
                    return;
                }
            }
        }
    }

    fn untagged(&mut self, u: &Untagged<'_>) {
        self.s("* ");
        match u {
            Untagged::State { status, text } => {
                self.s(status.as_str());
                self.status_text(text);
            }
            Untagged::Capability(v) => {
                self.s("CAPABILITY");
                for c in v {
                    self.sp();
                    self.s(&c.0);
                }
            }
            Untagged::Enabled(v) => {
                self.s("ENABLED");
                for c in v {
                    self.sp();
                    self.s(&c.0);
                }
            }
            Untagged::Flags(v) => {
                self.s("FLAGS ");
                self.flags(v);
            }
            Untagged::List(l) | Untagged::Lsub(l) => {
                self.s(if matches!(u, Untagged::List(_)) {
                    "LIST "
                } else {
                    "LSUB "
                });
                self.flags(&l.attributes);
                self.sp();
                match l.delimiter {
                    None => self.s("NIL"),
                    Some(d) => self.quoted_only(&[d]),
                }
                self.sp();
                self.mailbox(&l.mailbox);
                if let Some(x) = &l.extended {
                    self.sp();
                    self.raw(x);
                }
            }
            Untagged::MailboxStatus { mailbox, items } => {
                self.s("STATUS ");
                self.mailbox(mailbox);
                self.s(" (");
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    self.s(k.name());
                    self.sp();
                    self.num(*v);
                }
                self.s(")");
            }
            Untagged::Search { ids, modseq } | Untagged::Sort { ids, modseq } => {
                self.s(if matches!(u, Untagged::Search { .. }) {
                    "SEARCH"
                } else {
                    "SORT"
                });
                for id in ids {
                    self.sp();
                    self.num(u64::from(*id));
                }
                if let Some(m) = modseq {
                    self.s(" (MODSEQ ");
                    self.num(*m);
                    self.s(")");
                }
            }
            Untagged::Thread(v) => {
                self.s("THREAD");
                if !v.is_empty() {
                    self.sp();
                }
                for t in v {
                    self.thread(t);
                }
            }
            Untagged::ESearch(e) => {
                self.s("ESEARCH");
                if let Some(t) = &e.tag {
                    self.s(" (TAG ");
                    self.string(t);
                    self.s(")");
                }
                if e.uid {
                    self.s(" UID");
                }
                for i in &e.items {
                    self.sp();
                    match i {
                        ESearchItem::Min(n) => {
                            self.s("MIN ");
                            self.num(u64::from(*n));
                        }
                        ESearchItem::Max(n) => {
                            self.s("MAX ");
                            self.num(u64::from(*n));
                        }
                        ESearchItem::Count(n) => {
                            self.s("COUNT ");
                            self.num(u64::from(*n));
                        }
                        ESearchItem::All(s) => {
                            self.s("ALL ");
                            self.set(s);
                        }
                        ESearchItem::ModSeq(n) => {
                            self.s("MODSEQ ");
                            self.num(*n);
                        }
                        ESearchItem::Other(n, v) => {
                            self.s(n);
                            self.sp();
                            self.raw(v);
                        }
                    }
                }
            }
            Untagged::Exists(n) => {
                self.num(u64::from(*n));
                self.s(" EXISTS");
            }
            Untagged::Recent(n) => {
                self.num(u64::from(*n));
                self.s(" RECENT");
            }
            Untagged::Expunge(n) => {
                self.num(u64::from(*n));
                self.s(" EXPUNGE");
            }
            Untagged::Fetch { seq, items } => {
                self.num(u64::from(*seq));
                self.s(" FETCH (");
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    self.fetch_item(it);
                }
                self.s(")");
            }
            Untagged::Vanished { earlier, uids } => {
                self.s("VANISHED ");
                if *earlier {
                    self.s("(EARLIER) ");
                }
                self.set(uids);
            }
            Untagged::Namespace {
                personal,
                other,
                shared,
            } => {
                self.s("NAMESPACE ");
                self.namespace(personal.as_ref());
                self.sp();
                self.namespace(other.as_ref());
                self.sp();
                self.namespace(shared.as_ref());
            }
            Untagged::Id(v) => {
                self.s("ID ");
                self.id_params(v.as_ref());
            }
            Untagged::Quota { root, resources } => {
                self.s("QUOTA ");
                self.astring(root);
                self.s(" (");
                for (i, r) in resources.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    self.s(&r.name);
                    self.sp();
                    self.num(r.usage);
                    self.sp();
                    self.num(r.limit);
                }
                self.s(")");
            }
            Untagged::QuotaRoot { mailbox, roots } => {
                self.s("QUOTAROOT ");
                self.mailbox(mailbox);
                for r in roots {
                    self.sp();
                    self.astring(r);
                }
            }
            Untagged::Metadata { mailbox, raw } => {
                self.s("METADATA ");
                self.mailbox(mailbox);
                self.sp();
                self.raw(raw);
            }
            Untagged::Other { name, number, raw } => {
                if let Some(n) = number {
                    self.num(u64::from(*n));
                    self.sp();
                }
                self.s(name);
                if !raw.is_empty() {
                    self.sp();
                    self.raw(raw);
                }
            }
        }
    }

    // ---- commands ----

    /// `RETURN (MIN MAX ...)`.
    fn search_return(&mut self, r: &[SearchReturn]) {
        self.s("RETURN (");
        for (i, r) in r.iter().enumerate() {
            if i > 0 {
                self.sp();
            }
            self.s(match r {
                SearchReturn::Min => "MIN",
                SearchReturn::Max => "MAX",
                SearchReturn::All => "ALL",
                SearchReturn::Count => "COUNT",
                SearchReturn::Save => "SAVE",
            });
        }
        self.s(")");
    }

    fn search_key(&mut self, k: &SearchKey<'_>) {
        use SearchKey as K;
        let (name, arg): (&str, Option<&[u8]>) = match k {
            K::All => ("ALL", None),
            K::Answered => ("ANSWERED", None),
            K::Bcc(s) => ("BCC", Some(s)),
            K::Before(s) => ("BEFORE", Some(s)),
            K::Body(s) => ("BODY", Some(s)),
            K::Cc(s) => ("CC", Some(s)),
            K::Deleted => ("DELETED", None),
            K::Draft => ("DRAFT", None),
            K::Flagged => ("FLAGGED", None),
            K::From(s) => ("FROM", Some(s)),
            K::New => ("NEW", None),
            K::Old => ("OLD", None),
            K::On(s) => ("ON", Some(s)),
            K::Recent => ("RECENT", None),
            K::Seen => ("SEEN", None),
            K::SentBefore(s) => ("SENTBEFORE", Some(s)),
            K::SentOn(s) => ("SENTON", Some(s)),
            K::SentSince(s) => ("SENTSINCE", Some(s)),
            K::Since(s) => ("SINCE", Some(s)),
            K::Subject(s) => ("SUBJECT", Some(s)),
            K::Text(s) => ("TEXT", Some(s)),
            K::To(s) => ("TO", Some(s)),
            K::Unanswered => ("UNANSWERED", None),
            K::Undeleted => ("UNDELETED", None),
            K::Undraft => ("UNDRAFT", None),
            K::Unflagged => ("UNFLAGGED", None),
            K::Unseen => ("UNSEEN", None),
            K::SavedBefore(s) => ("SAVEDBEFORE", Some(s)),
            K::SavedOn(s) => ("SAVEDON", Some(s)),
            K::SavedSince(s) => ("SAVEDSINCE", Some(s)),
            K::SaveDateSupported => ("SAVEDATESUPPORTED", None),
            K::EmailId(s) => ("EMAILID", Some(s)),
            K::ThreadId(s) => ("THREADID", Some(s)),
            K::GmRaw(s) => ("X-GM-RAW", Some(s)),
            K::GmLabels(s) => ("X-GM-LABELS", Some(s)),
            K::Header(a, b) => {
                self.s("HEADER ");
                self.astring(a);
                self.sp();
                self.astring(b);
                return;
            }
            K::Keyword(s) | K::Unkeyword(s) => {
                self.s(if matches!(k, K::Keyword(_)) {
                    "KEYWORD "
                } else {
                    "UNKEYWORD "
                });
                self.s(s);
                return;
            }
            K::Larger(n)
            | K::Smaller(n)
            | K::ModSeq(n)
            | K::Older(n)
            | K::Younger(n)
            | K::GmMsgId(n)
            | K::GmThrId(n) => {
                self.s(match k {
                    K::Larger(_) => "LARGER ",
                    K::Smaller(_) => "SMALLER ",
                    K::ModSeq(_) => "MODSEQ ",
                    K::Older(_) => "OLDER ",
                    K::Younger(_) => "YOUNGER ",
                    K::GmMsgId(_) => "X-GM-MSGID ",
                    _ => "X-GM-THRID ",
                });
                self.num(*n);
                return;
            }
            K::Not(k) => {
                self.s("NOT ");
                self.search_key(k);
                return;
            }
            K::Or(a, b) => {
                self.s("OR ");
                self.search_key(a);
                self.sp();
                self.search_key(b);
                return;
            }
            K::Uid(s) => {
                self.s("UID ");
                self.set(s);
                return;
            }
            K::SequenceSet(s) => {
                self.set(s);
                return;
            }
            K::And(v) => {
                self.cur.push(b'(');
                for (i, k) in v.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    self.search_key(k);
                }
                self.cur.push(b')');
                return;
            }
        };
        self.s(name);
        if let Some(a) = arg {
            self.sp();
            self.astring(a);
        }
    }

    fn fetch_attr(&mut self, a: &FetchAttr<'_>) {
        use FetchAttr as F;
        let partial = |w: &mut W, p: &Option<(u32, u32)>| {
            if let Some((o, n)) = p {
                let _ = write!(w.cur, "<{o}.{n}>");
            }
        };
        match a {
            F::Envelope => self.s("ENVELOPE"),
            F::Flags => self.s("FLAGS"),
            F::InternalDate => self.s("INTERNALDATE"),
            F::Rfc822 => self.s("RFC822"),
            F::Rfc822Header => self.s("RFC822.HEADER"),
            F::Rfc822Size => self.s("RFC822.SIZE"),
            F::Rfc822Text => self.s("RFC822.TEXT"),
            F::Body => self.s("BODY"),
            F::BodyStructure => self.s("BODYSTRUCTURE"),
            F::Uid => self.s("UID"),
            F::BodySection {
                peek,
                section,
                partial: p,
            } => {
                self.s(if *peek { "BODY.PEEK" } else { "BODY" });
                self.section(section);
                partial(self, p);
            }
            F::Binary {
                peek,
                part,
                partial: p,
            } => {
                self.s(if *peek { "BINARY.PEEK[" } else { "BINARY[" });
                self.part(part);
                self.cur.push(b']');
                partial(self, p);
            }
            F::BinarySize(part) => {
                self.s("BINARY.SIZE[");
                self.part(part);
                self.cur.push(b']');
            }
            F::ModSeq => self.s("MODSEQ"),
            F::GmMsgId => self.s("X-GM-MSGID"),
            F::GmThrId => self.s("X-GM-THRID"),
            F::GmLabels => self.s("X-GM-LABELS"),
            F::Preview { lazy } => self.s(if *lazy { "PREVIEW (LAZY)" } else { "PREVIEW" }),
            F::EmailId => self.s("EMAILID"),
            F::ThreadId => self.s("THREADID"),
            F::SaveDate => self.s("SAVEDATE"),
        }
    }

    fn status_items(&mut self, v: &[StatusItem<'_>]) {
        self.cur.push(b'(');
        for (i, s) in v.iter().enumerate() {
            if i > 0 {
                self.sp();
            }
            self.s(s.name());
        }
        self.cur.push(b')');
    }

    fn command(&mut self, c: &Command<'_>) {
        use CommandBody as C;
        self.s(c.tag.as_str());
        self.sp();
        let uid = |w: &mut W, u: bool| {
            if u {
                w.s("UID ");
            }
        };
        match &c.body {
            C::Capability => self.s("CAPABILITY"),
            C::Noop => self.s("NOOP"),
            C::Logout => self.s("LOGOUT"),
            C::StartTls => self.s("STARTTLS"),
            C::Namespace => self.s("NAMESPACE"),
            C::Idle => self.s("IDLE"),
            C::Check => self.s("CHECK"),
            C::Close => self.s("CLOSE"),
            C::Unselect => self.s("UNSELECT"),
            C::Expunge { uids } => match uids {
                None => self.s("EXPUNGE"),
                Some(s) => {
                    self.s("UID EXPUNGE ");
                    self.set(s);
                }
            },
            C::Authenticate { mechanism, initial } => {
                self.s("AUTHENTICATE ");
                self.s(mechanism);
                if let Some(i) = initial {
                    self.sp();
                    self.raw(i);
                }
            }
            C::Login { username, password } => {
                self.s("LOGIN ");
                self.astring(username);
                self.sp();
                self.astring(password);
            }
            C::Enable(v) => {
                self.s("ENABLE");
                for c in v {
                    self.sp();
                    self.s(&c.0);
                }
            }
            C::Select {
                examine,
                mailbox,
                condstore,
                qresync,
            } => {
                self.s(if *examine { "EXAMINE " } else { "SELECT " });
                self.mailbox(mailbox);
                if *condstore || qresync.is_some() {
                    self.s(" (");
                    if *condstore {
                        self.s("CONDSTORE");
                    }
                    if let Some(q) = qresync {
                        if *condstore {
                            self.sp();
                        }
                        self.s("QRESYNC (");
                        self.raw(q);
                        self.s(")");
                    }
                    self.s(")");
                }
            }
            C::Create {
                mailbox,
                special_use,
            } => {
                self.s("CREATE ");
                self.mailbox(mailbox);
                if !special_use.is_empty() {
                    self.s(" (USE ");
                    self.flags(special_use);
                    self.s(")");
                }
            }
            C::Delete(m) => {
                self.s("DELETE ");
                self.mailbox(m);
            }
            C::Rename(a, b) => {
                self.s("RENAME ");
                self.mailbox(a);
                self.sp();
                self.mailbox(b);
            }
            C::Subscribe(m) => {
                self.s("SUBSCRIBE ");
                self.mailbox(m);
            }
            C::Unsubscribe(m) => {
                self.s("UNSUBSCRIBE ");
                self.mailbox(m);
            }
            C::List {
                reference,
                patterns,
                options,
            } => {
                self.s("LIST ");
                if let Some(sel) = &options.select {
                    self.cur.push(b'(');
                    for (i, s) in sel.iter().enumerate() {
                        if i > 0 {
                            self.sp();
                        }
                        self.s(s);
                    }
                    self.s(") ");
                }
                self.mailbox(reference);
                self.sp();
                if patterns.len() == 1 {
                    if let Some(p) = patterns.first() {
                        self.list_mailbox(p);
                    }
                } else {
                    self.cur.push(b'(');
                    for (i, p) in patterns.iter().enumerate() {
                        if i > 0 {
                            self.sp();
                        }
                        self.list_mailbox(p);
                    }
                    self.cur.push(b')');
                }
                if options.ret.is_some() || options.status.is_some() {
                    self.s(" RETURN (");
                    let mut first = true;
                    for r in options.ret.iter().flatten() {
                        if !first {
                            self.sp();
                        }
                        first = false;
                        self.s(r);
                    }
                    if let Some(st) = &options.status {
                        if !first {
                            self.sp();
                        }
                        self.s("STATUS ");
                        self.status_items(st);
                    }
                    self.s(")");
                }
            }
            C::Lsub { reference, pattern } => {
                self.s("LSUB ");
                self.mailbox(reference);
                self.sp();
                self.list_mailbox(pattern);
            }
            C::Status { mailbox, items } => {
                self.s("STATUS ");
                self.mailbox(mailbox);
                self.sp();
                self.status_items(items);
            }
            C::Append { mailbox, messages } => {
                self.s("APPEND ");
                self.mailbox(mailbox);
                for m in messages {
                    self.sp();
                    if let Some(f) = &m.flags {
                        self.flags(f);
                        self.sp();
                    }
                    if let Some(d) = &m.date {
                        self.quoted_only(d);
                        self.sp();
                    }
                    match &m.data {
                        BodyData::Bytes(b) => self.literal(b, m.binary),
                        BodyData::Streamed(n) => self.streamed(*n, m.binary),
                        BodyData::Nil => self.literal(b"", m.binary),
                    }
                }
            }
            C::Search {
                uid: u,
                ret,
                charset,
                keys,
            } => {
                uid(self, *u);
                self.s("SEARCH");
                if let Some(r) = ret {
                    self.s(" ");
                    self.search_return(r);
                }
                if let Some(c) = charset {
                    self.s(" CHARSET ");
                    self.astring(c);
                }
                for k in keys {
                    self.sp();
                    self.search_key(k);
                }
            }
            C::Fetch {
                uid: u,
                set,
                attrs,
                modifiers,
            } => {
                uid(self, *u);
                self.s("FETCH ");
                self.set(set);
                self.sp();
                match attrs {
                    FetchAttrs::All => self.s("ALL"),
                    FetchAttrs::Fast => self.s("FAST"),
                    FetchAttrs::Full => self.s("FULL"),
                    FetchAttrs::List { items, paren } => {
                        let paren = *paren || items.len() != 1;
                        if paren {
                            self.cur.push(b'(');
                        }
                        for (i, a) in items.iter().enumerate() {
                            if i > 0 {
                                self.sp();
                            }
                            self.fetch_attr(a);
                        }
                        if paren {
                            self.cur.push(b')');
                        }
                    }
                }
                if modifiers.changed_since.is_some() || modifiers.vanished {
                    self.s(" (");
                    if let Some(n) = modifiers.changed_since {
                        self.s("CHANGEDSINCE ");
                        self.num(n);
                        if modifiers.vanished {
                            self.sp();
                        }
                    }
                    if modifiers.vanished {
                        self.s("VANISHED");
                    }
                    self.s(")");
                }
            }
            C::Store {
                uid: u,
                set,
                unchanged_since,
                mode,
                silent,
                gm_labels,
                flags,
            } => {
                uid(self, *u);
                self.s("STORE ");
                self.set(set);
                self.sp();
                if let Some(n) = unchanged_since {
                    self.s("(UNCHANGEDSINCE ");
                    self.num(*n);
                    self.s(") ");
                }
                self.s(match mode {
                    StoreMode::Replace => "",
                    StoreMode::Add => "+",
                    StoreMode::Remove => "-",
                });
                self.s(if *gm_labels { "X-GM-LABELS" } else { "FLAGS" });
                if *silent {
                    self.s(".SILENT");
                }
                self.sp();
                self.flags(flags);
            }
            C::Copy {
                uid: u,
                set,
                mailbox,
            }
            | C::Move {
                uid: u,
                set,
                mailbox,
            } => {
                uid(self, *u);
                self.s(if matches!(c.body, C::Copy { .. }) {
                    "COPY "
                } else {
                    "MOVE "
                });
                self.set(set);
                self.sp();
                self.mailbox(mailbox);
            }
            C::Id(v) => {
                self.s("ID ");
                self.id_params(v.as_ref());
            }
            C::Sort {
                uid: u,
                ret,
                criteria,
                charset,
                keys,
            } => {
                uid(self, *u);
                self.s("SORT ");
                if let Some(r) = ret {
                    self.search_return(r);
                    self.sp();
                }
                self.s("(");
                for (i, c) in criteria.iter().enumerate() {
                    if i > 0 {
                        self.sp();
                    }
                    self.s(c);
                }
                self.s(") ");
                self.astring(charset);
                for k in keys {
                    self.sp();
                    self.search_key(k);
                }
            }
            C::Thread {
                uid: u,
                algorithm,
                charset,
                keys,
            } => {
                uid(self, *u);
                self.s("THREAD ");
                self.s(algorithm);
                self.sp();
                self.astring(charset);
                for k in keys {
                    self.sp();
                    self.search_key(k);
                }
            }
            C::GetQuota(r) => {
                self.s("GETQUOTA ");
                self.astring(r);
            }
            C::GetQuotaRoot(m) => {
                self.s("GETQUOTAROOT ");
                self.mailbox(m);
            }
            C::Compress(m) => {
                self.s("COMPRESS ");
                self.s(m);
            }
            C::Other { name, raw } => {
                self.s(name);
                if !raw.is_empty() {
                    self.sp();
                    self.raw(raw);
                }
            }
        }
    }
}

/// Encodes a command into fragments (see [`Fragment`]).
pub fn encode_command(c: &Command<'_>, opts: &EncodeOptions) -> Vec<Fragment> {
    let mut w = W::new(*opts, true);
    w.command(c);
    w.finish()
}

/// Encodes a response. Literals are written in full, except [`BodyData::Streamed`] ones,
/// whose announcement ends a fragment with [`Next::Body`]: the caller writes the data.
pub fn encode_response(r: &Response<'_>, opts: &EncodeOptions) -> Vec<Fragment> {
    let mut w = W::new(*opts, false);
    w.response(r);
    w.finish()
}

/// Encodes a response into `out`, after what it holds (streamed literals' data is not
/// included). Literal bytes are copied once, straight into `out`'s buffer.
pub fn encode_response_to(r: &Response<'_>, opts: &EncodeOptions, out: &mut Vec<u8>) {
    let mut w = W::new(*opts, false);
    w.cur = std::mem::take(out);
    w.response(r);
    let mut parts = w.finish().into_iter();
    if let Some(first) = parts.next() {
        *out = first.bytes;
    }
    for f in parts {
        out.extend_from_slice(&f.bytes);
    }
}

impl W {
    fn response(&mut self, r: &Response<'_>) {
        match r {
            Response::Untagged(u) => self.untagged(u),
            Response::Tagged(t) => {
                self.s(t.tag.as_str());
                self.sp();
                self.s(t.status.as_str());
                self.status_text(&t.text);
            }
            Response::Continuation(c) => {
                // `+ ` alone is an empty base64 challenge (RFC 3501 `base64` may be empty;
                // an AUTHENTICATE with nothing to say must not send `+ OK`, which would
                // decode as data).
                self.s("+ ");
                self.raw(&c.text);
            }
        }
    }
}

/// Encodes a greeting.
pub fn encode_greeting(g: &Greeting<'_>) -> Vec<u8> {
    let mut w = W::new(EncodeOptions::default(), false);
    w.s("* ");
    w.s(g.status.as_str());
    w.status_text(&g.text);
    join(&w.finish())
}
