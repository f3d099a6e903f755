//! Response grammar (what a client parses).

use std::borrow::Cow;

use super::{P, R, is_atom_char};
use crate::ParseErrorKind;
use crate::frame::{BodyBegin, RawMessage};
use crate::types::*;
use crate::{Leniency, Limits};

/// Parses the server greeting (`* OK`, `* PREAUTH`, `* BYE`).
pub fn parse_greeting<'a>(
    msg: RawMessage<'a>,
    leniency: &Leniency,
    limits: &Limits,
) -> Result<Greeting<'a>, crate::ParseError> {
    let mut p = P::new(msg, *leniency, *limits);
    p.expect(b'*', "*")?;
    p.sp()?;
    let status = p.status_kw()?;
    if !matches!(status, Status::Ok | Status::PreAuth | Status::Bye) {
        return Err(p.err("OK, PREAUTH or BYE"));
    }
    let text = p.resp_text()?;
    p.end()?;
    Ok(Greeting { status, text })
}

/// Parses one response.
pub fn parse_response<'a>(
    msg: RawMessage<'a>,
    leniency: &Leniency,
    limits: &Limits,
) -> Result<Response<'a>, crate::ParseError> {
    let mut p = P::new(msg, *leniency, *limits);
    let r = p.response()?;
    p.end()?;
    Ok(r)
}

/// What a streamed literal is the value of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyTarget<'a> {
    /// Message sequence number of the FETCH.
    pub seq: u32,
    /// Items of the FETCH response before this one (the UID, if the server sent it first).
    pub before: Vec<FetchItem<'a>>,
    /// The item, with [`BodyData::Streamed`] as its value.
    pub item: FetchItem<'a>,
}

impl BodyTarget<'_> {
    /// The UID, if it came before the data.
    pub fn uid(&self) -> Option<u32> {
        self.before.iter().find_map(|i| match i {
            FetchItem::Uid(u) => Some(*u),
            _ => None,
        })
    }
}

/// Parses the prefix of a FETCH response up to a streamed literal
/// ([`BodyBegin`](crate::frame::BodyBegin)): which message, which item.
pub fn body_target<'a>(
    begin: &BodyBegin<'a>,
    leniency: &Leniency,
    limits: &Limits,
) -> Result<BodyTarget<'a>, crate::ParseError> {
    let prefix = begin.prefix;
    let mut p = P::new(RawMessage::new(prefix), *leniency, *limits);
    p.streamed = begin.streamed;
    p.stream_at_end = true;
    p.expect(b'*', "*")?;
    p.sp()?;
    let seq = p.number()?;
    p.sp()?;
    if !p.kw("FETCH") {
        return Err(p.err("FETCH"));
    }
    p.sp()?;
    p.expect(b'(', "(")?;
    let mut before = Vec::new();
    loop {
        let item = p.fetch_item()?;
        if p.pos >= prefix.len() {
            return Ok(BodyTarget { seq, before, item });
        }
        p.check_items(before.len())?;
        before.push(item);
        p.sp()?;
    }
}

impl<'a> P<'a> {
    /// Opens a THREAD parenthesis: one level of both depths.
    fn thread_enter(&mut self) -> R<()> {
        self.enter()?;
        self.thread_depth += 1;
        if self.thread_depth > self.limits.max_thread_depth {
            return Err(self.err_kind("shorter thread", ParseErrorKind::TooDeep));
        }
        Ok(())
    }

    /// Under leniency `double_space`, more spaces after an SP: between the tokens of a
    /// numbered response, and before the mailbox of LIST/LSUB and the 2nd and 3rd parts of
    /// NAMESPACE (the RFC 9051 examples print both).
    fn extra_spaces(&mut self) {
        if self.len.double_space {
            while self.eat(b' ') {}
        }
    }

    fn status_kw(&mut self) -> R<Status> {
        let start = self.pos;
        let a = self.atom()?;
        let st = match a.to_ascii_uppercase().as_str() {
            "OK" => Status::Ok,
            "NO" => Status::No,
            "BAD" => Status::Bad,
            "PREAUTH" => Status::PreAuth,
            "BYE" => Status::Bye,
            _ => {
                self.pos = start;
                return Err(self.err("OK, NO, BAD, PREAUTH or BYE"));
            }
        };
        if !self.len.lowercase_keywords && a != st.as_str() {
            self.pos = start;
            return Err(self.err("upper-case status keyword"));
        }
        Ok(st)
    }

    fn resp_text(&mut self) -> R<StatusText<'a>> {
        if self.at_end() {
            if self.len.status_without_text {
                return Ok(StatusText {
                    code: None,
                    text: Cow::Borrowed(b""),
                });
            }
            return Err(self.err("SP text"));
        }
        self.sp()?;
        let mut code = None;
        if self.peek() == Some(b'[') {
            self.pos += 1;
            code = Some(self.code()?);
            self.expect(b']', "]")?;
            if self.at_end() {
                if self.len.status_without_text {
                    return Ok(StatusText {
                        code,
                        text: Cow::Borrowed(b""),
                    });
                }
                return Err(self.err("SP text"));
            }
            self.sp()?;
        }
        // RFC 9051 `resp-text = ["[" resp-text-code "]" SP] [text]`: the text may be
        // empty after its SP (RFC 3501 wanted one character at least).
        let text = self.text();
        Ok(StatusText {
            code,
            text: Cow::Borrowed(text),
        })
    }

    fn uid_validity(&mut self) -> R<u32> {
        if self.len.uidvalidity_zero {
            self.number()
        } else {
            self.nz_number()
        }
    }

    fn code(&mut self) -> R<Code<'a>> {
        let name_start = self.pos;
        let name = self.atom()?;
        let upper = name.to_ascii_uppercase();
        for (n, c) in crate::types::SIMPLE_CODES {
            if *n == upper {
                return Ok(c.clone());
            }
        }
        Ok(match upper.as_str() {
            "CAPABILITY" => {
                self.sp()?;
                Code::Capability(self.capabilities(b']')?)
            }
            "PERMANENTFLAGS" => {
                self.sp()?;
                Code::PermanentFlags(self.flag_list(true)?)
            }
            "BADCHARSET" => {
                let mut v = Vec::new();
                if self.eat(b' ') {
                    let bare = self.peek() != Some(b'(') && self.len.bare_badcharset;
                    if !bare {
                        self.expect(b'(', "(")?;
                    }
                    // `(UTF-8 US-ASCII)`, or with `bare_badcharset` `UTF-8` up to the `]`.
                    loop {
                        self.check_items(v.len())?;
                        // Bare, a charset is an atom: `]` ends it.
                        v.push(if bare {
                            Cow::Borrowed(self.atom()?.as_bytes())
                        } else {
                            self.astring()?
                        });
                        if if bare {
                            self.peek() == Some(b']')
                        } else {
                            self.eat(b')')
                        } {
                            break;
                        }
                        self.sp()?;
                    }
                }
                Code::BadCharset(v)
            }
            "UIDNEXT" => {
                self.sp()?;
                Code::UidNext(self.uid_validity()?)
            }
            "UIDVALIDITY" => {
                self.sp()?;
                Code::UidValidity(self.uid_validity()?)
            }
            "UNSEEN" => {
                self.sp()?;
                Code::Unseen(self.number()?)
            }
            "APPENDUID" => {
                self.sp()?;
                let validity = self.uid_validity()?;
                self.sp()?;
                Code::AppendUid {
                    validity,
                    uids: self.sequence_set()?,
                }
            }
            "COPYUID" => {
                self.sp()?;
                let validity = self.uid_validity()?;
                self.sp()?;
                let source = self.sequence_set()?;
                self.sp()?;
                Code::CopyUid {
                    validity,
                    source,
                    destination: self.sequence_set()?,
                }
            }
            "HIGHESTMODSEQ" => {
                self.sp()?;
                Code::HighestModSeq(self.number64()?)
            }
            "MODIFIED" => {
                self.sp()?;
                Code::Modified(self.sequence_set()?)
            }
            "MAILBOXID" => {
                self.sp()?;
                self.expect(b'(', "(")?;
                let id = self.atom()?;
                self.expect(b')', ")")?;
                Code::MailboxId(Cow::Borrowed(id.as_bytes()))
            }
            _ => {
                let _ = name_start;
                let value = if self.eat(b' ') {
                    let s = self.pos;
                    let rest = self.b.get(s..).unwrap_or_default();
                    let n = rest
                        .iter()
                        .position(|&c| c == b']' || c == b'\r' || c == b'\n')
                        .unwrap_or(rest.len());
                    self.pos += n;
                    Some(Cow::Borrowed(rest.get(..n).unwrap_or_default()))
                } else {
                    None
                };
                Code::Other {
                    name: Cow::Owned(upper),
                    value,
                }
            }
        })
    }

    /// Capabilities separated by SP until `stop` (`]`) or the line end.
    fn capabilities(&mut self, stop: u8) -> R<Vec<Capability<'a>>> {
        let mut v = Vec::new();
        loop {
            let a = self.atom()?;
            self.check_items(v.len())?;
            v.push(Capability(Cow::Borrowed(a)));
            if self.peek() != Some(b' ') {
                return Ok(v);
            }
            // One space, or several under leniency.
            let save = self.pos;
            self.pos += 1;
            if self.peek() == Some(b' ') || self.peek() == Some(stop) || self.at_end() {
                if !self.len.capability_extra_space {
                    return Err(self.err("capability"));
                }
                while self.eat(b' ') {}
                if self.peek() == Some(stop) || self.at_end() {
                    if stop == b']' {
                        return Ok(v);
                    }
                    // Leave the trailing space to `end` (trailing_space) or reject.
                    self.pos = save;
                    if self.len.trailing_space || self.len.capability_extra_space {
                        while self.eat(b' ') {}
                    }
                    return Ok(v);
                }
            }
        }
    }

    fn response(&mut self) -> R<Response<'a>> {
        if self.eat(b'+') {
            if self.at_end() {
                if !self.len.bare_continuation {
                    return Err(self.err("SP after +"));
                }
                return Ok(Response::Continuation(Continuation {
                    text: Cow::Borrowed(b""),
                }));
            }
            self.sp()?;
            return Ok(Response::Continuation(Continuation {
                text: Cow::Borrowed(self.text()),
            }));
        }
        if self.eat(b'*') {
            self.sp()?;
            return Ok(Response::Untagged(self.untagged()?));
        }
        let tag = self.tag()?;
        self.sp()?;
        let status = self.status_kw()?;
        if !matches!(status, Status::Ok | Status::No | Status::Bad) {
            return Err(self.err("OK, NO or BAD"));
        }
        let text = self.resp_text()?;
        Ok(Response::Tagged(Tagged {
            tag: Tag(Cow::Borrowed(tag)),
            status,
            text,
        }))
    }

    fn untagged(&mut self) -> R<Untagged<'a>> {
        if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            let n = self.number()?;
            self.sp()?;
            self.extra_spaces();
            let name = self.atom()?;
            let upper = name.to_ascii_uppercase();
            return Ok(match upper.as_str() {
                "EXISTS" => Untagged::Exists(n),
                "RECENT" => Untagged::Recent(n),
                "EXPUNGE" => Untagged::Expunge(n),
                "FETCH" => {
                    self.sp()?;
                    self.extra_spaces();
                    Untagged::Fetch {
                        seq: n,
                        items: self.fetch_items()?,
                    }
                }
                _ => {
                    let raw = if self.eat(b' ') { self.text() } else { b"" };
                    Untagged::Other {
                        name: Cow::Owned(upper),
                        number: Some(n),
                        raw: Cow::Borrowed(raw),
                    }
                }
            });
        }
        let start = self.pos;
        let name = self.atom()?;
        let upper = name.to_ascii_uppercase();
        Ok(match upper.as_str() {
            "OK" | "NO" | "BAD" | "PREAUTH" | "BYE" => {
                self.pos = start;
                let status = self.status_kw()?;
                Untagged::State {
                    status,
                    text: self.resp_text()?,
                }
            }
            "CAPABILITY" => {
                self.sp()?;
                Untagged::Capability(self.capabilities(b'\n')?)
            }
            "ENABLED" => {
                let mut v = Vec::new();
                if self.eat(b' ') && !self.at_end() {
                    v = self.capabilities(b'\n')?;
                }
                Untagged::Enabled(v)
            }
            "FLAGS" => {
                self.sp()?;
                Untagged::Flags(self.flag_list(self.len.wildcard_in_flags)?)
            }
            "LIST" => {
                self.sp()?;
                Untagged::List(self.list_item()?)
            }
            "LSUB" => {
                self.sp()?;
                Untagged::Lsub(self.list_item()?)
            }
            "STATUS" => {
                self.sp()?;
                let args = self.pos;
                let mailbox = self.mailbox()?;
                self.sp()?;
                self.expect(b'(', "(")?;
                let mut items = Vec::new();
                loop {
                    if self.eat(b')') {
                        break;
                    }
                    if !items.is_empty() {
                        self.sp()?;
                        if self.len.trailing_space && self.eat(b')') {
                            break;
                        }
                    }
                    let k = StatusItem::from_name(self.atom()?);
                    self.sp()?;
                    if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        // A value that is not a number (`MAILBOXID (F2212ea8...)`, RFC
                        // 8474; `APPENDLIMIT NIL`, RFC 7889): the response is kept raw.
                        self.pos = args;
                        return self.raw_untagged(upper);
                    }
                    let v = self.number64()?;
                    self.check_items(items.len())?;
                    items.push((k, v));
                }
                Untagged::MailboxStatus { mailbox, items }
            }
            "SEARCH" | "SORT" => {
                let mut ids = Vec::new();
                let mut modseq = None;
                while self.eat(b' ') {
                    if self.at_end() && self.len.trailing_space {
                        break;
                    }
                    if self.eat(b'(') {
                        if !self.kw("MODSEQ") {
                            return Err(self.err("MODSEQ"));
                        }
                        self.sp()?;
                        modseq = Some(self.number64()?);
                        self.expect(b')', ")")?;
                        break;
                    }
                    self.check_items(ids.len())?;
                    ids.push(self.nz_number()?);
                }
                if upper == "SEARCH" {
                    Untagged::Search { ids, modseq }
                } else {
                    Untagged::Sort { ids, modseq }
                }
            }
            "THREAD" => {
                let mut v = Vec::new();
                self.eat(b' ');
                while self.peek() == Some(b'(') {
                    self.check_items(v.len())?;
                    v.push(self.thread_list()?);
                }
                Untagged::Thread(v)
            }
            "ESEARCH" => Untagged::ESearch(self.esearch()?),
            "VANISHED" => {
                self.sp()?;
                let earlier = if self.eat(b'(') {
                    if !self.kw("EARLIER") {
                        return Err(self.err("EARLIER"));
                    }
                    self.expect(b')', ")")?;
                    self.sp()?;
                    true
                } else {
                    false
                };
                Untagged::Vanished {
                    earlier,
                    uids: self.sequence_set()?,
                }
            }
            "NAMESPACE" => {
                self.sp()?;
                let personal = self.namespace()?;
                self.sp()?;
                self.extra_spaces();
                let other = self.namespace()?;
                self.sp()?;
                // RFC 9051 6.3.10 example 5 prints `NIL  NIL`.
                self.extra_spaces();
                let shared = self.namespace()?;
                Untagged::Namespace {
                    personal,
                    other,
                    shared,
                }
            }
            "ID" => {
                self.sp()?;
                Untagged::Id(self.id_params()?)
            }
            "QUOTA" => {
                self.sp()?;
                let root = self.astring()?;
                self.sp()?;
                self.expect(b'(', "(")?;
                let mut resources = Vec::new();
                while !self.eat(b')') {
                    if !resources.is_empty() {
                        self.sp()?;
                    }
                    let name = Cow::Borrowed(self.atom()?);
                    self.sp()?;
                    let usage = self.number64()?;
                    self.sp()?;
                    let limit = self.number64()?;
                    self.check_items(resources.len())?;
                    resources.push(QuotaResource { name, usage, limit });
                }
                Untagged::Quota { root, resources }
            }
            "QUOTAROOT" => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                let mut roots = Vec::new();
                while self.eat(b' ') {
                    if self.at_end() {
                        break;
                    }
                    self.check_items(roots.len())?;
                    roots.push(self.astring()?);
                }
                Untagged::QuotaRoot { mailbox, roots }
            }
            "METADATA" => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                self.sp()?;
                let s = self.pos;
                while !self.at_end() {
                    self.skip_value()?;
                    self.eat(b' ');
                }
                Untagged::Metadata {
                    mailbox,
                    raw: Cow::Borrowed(self.b.get(s..self.pos).unwrap_or_default()),
                }
            }
            _ => {
                if !self.eat(b' ') {
                    return Ok(Untagged::Other {
                        name: Cow::Owned(upper),
                        number: None,
                        raw: Cow::Borrowed(b""),
                    });
                }
                self.raw_untagged(upper)?
            }
        })
    }

    /// An untagged response kept raw: `name` and its arguments from here to the line
    /// end (values balanced, literals inline).
    fn raw_untagged(&mut self, name: String) -> R<Untagged<'a>> {
        let s = self.pos;
        while !self.at_end() {
            self.skip_value()?;
            self.eat(b' ');
        }
        Ok(Untagged::Other {
            name: Cow::Owned(name),
            number: None,
            raw: Cow::Borrowed(self.b.get(s..self.pos).unwrap_or_default()),
        })
    }

    pub(crate) fn mailbox(&mut self) -> R<Mailbox<'a>> {
        Ok(Mailbox::from_wire(self.astring()?))
    }

    fn list_item(&mut self) -> R<ListItem<'a>> {
        let attributes = self.flag_list(true)?;
        self.sp()?;
        let delimiter = if self.nil() {
            None
        } else {
            let q = self.quoted()?;
            match *q {
                [c] => Some(c),
                _ => return Err(self.err("one-character delimiter")),
            }
        };
        self.sp()?;
        // RFC 9051 6.3.9.8 example 11 prints `"."  "INBOX"`.
        self.extra_spaces();
        let mailbox = self.mailbox()?;
        let extended = if self.peek() == Some(b' ') && self.peek_at(1) == Some(b'(') {
            self.pos += 1;
            Some(Cow::Borrowed(self.skip_value()?))
        } else {
            None
        };
        Ok(ListItem {
            attributes,
            delimiter,
            mailbox,
            extended,
        })
    }

    fn namespace(&mut self) -> R<Namespaces<'a>> {
        if self.nil() {
            return Ok(None);
        }
        self.expect(b'(', "(")?;
        let mut v = Vec::new();
        while self.eat(b'(') {
            let prefix = self.string()?;
            self.sp()?;
            let delim = if self.nil() {
                None
            } else {
                match *self.quoted()? {
                    [c] => Some(c),
                    _ => return Err(self.err("one-character delimiter")),
                }
            };
            // namespace-response-extensions
            while self.eat(b' ') {
                self.skip_value()?;
            }
            self.expect(b')', ")")?;
            self.check_items(v.len())?;
            v.push((prefix, delim));
            self.eat(b' ');
        }
        self.expect(b')', ")")?;
        Ok(Some(v))
    }

    pub(crate) fn id_params(&mut self) -> R<IdParams<'a>> {
        if self.nil() {
            return Ok(None);
        }
        self.expect(b'(', "(")?;
        let mut v = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(Some(v));
            }
            if !v.is_empty() {
                self.sp()?;
            }
            let k = self.string()?;
            self.sp()?;
            let val = self.nstring()?;
            self.check_items(v.len())?;
            v.push((k, val));
        }
    }

    /// One `thread-list`, parsed with an explicit stack. Parentheses count against
    /// [`Limits::max_depth`]; the chain `(1 2 3)` nests as deep as it is long, so
    /// parentheses plus chain links count against [`Limits::max_thread_depth`] (the value
    /// is dropped and compared recursively).
    fn thread_list(&mut self) -> R<Thread> {
        struct Open {
            ids: Vec<u32>,
            nested: Vec<Thread>,
            /// Thread depth counted for this list: 1 for the parenthesis plus its links.
            counted: usize,
        }
        let mut stack: Vec<Open> = Vec::new();
        self.thread_enter()?;
        self.expect(b'(', "(")?;
        stack.push(Open {
            ids: Vec::new(),
            nested: Vec::new(),
            counted: 1,
        });
        loop {
            let Some(top) = stack.last_mut() else {
                return Err(self.err("thread list"));
            };
            if self.eat(b')') {
                let counted = top.counted;
                let done = stack.pop().unwrap_or(Open {
                    ids: Vec::new(),
                    nested: Vec::new(),
                    counted: 0,
                });
                self.leave();
                self.thread_depth = self.thread_depth.saturating_sub(counted);
                let thread = chain(done.ids, done.nested);
                match stack.last_mut() {
                    Some(parent) => {
                        self.check_items(parent.nested.len())?;
                        parent.nested.push(thread);
                        continue;
                    }
                    None => return Ok(thread),
                }
            }
            if self.peek() == Some(b'(') {
                self.thread_enter()?;
                self.pos += 1;
                stack.push(Open {
                    ids: Vec::new(),
                    nested: Vec::new(),
                    counted: 1,
                });
                continue;
            }
            if !top.ids.is_empty() || !top.nested.is_empty() {
                self.sp()?;
                if self.peek() == Some(b'(') {
                    continue;
                }
            }
            let Some(top) = stack.last_mut() else {
                return Err(self.err("thread list"));
            };
            if !top.nested.is_empty() {
                return Err(self.err("thread list"));
            }
            self.check_items(top.ids.len())?;
            let id = self.nz_number()?;
            if !top.ids.is_empty() {
                self.thread_depth += 1;
                if self.thread_depth > self.limits.max_thread_depth {
                    return Err(self.err_kind("shorter thread", ParseErrorKind::TooDeep));
                }
                top.counted += 1;
            }
            top.ids.push(id);
        }
    }

    fn esearch(&mut self) -> R<ESearch<'a>> {
        let mut e = ESearch {
            tag: None,
            uid: false,
            items: Vec::new(),
        };
        if self.peek() == Some(b' ') && self.peek_at(1) == Some(b'(') {
            self.pos += 2;
            if !self.kw("TAG") {
                return Err(self.err("TAG"));
            }
            self.sp()?;
            e.tag = Some(self.string()?);
            self.expect(b')', ")")?;
        }
        while self.eat(b' ') {
            if self.at_end() && self.len.trailing_space {
                break;
            }
            if self.kw("UID") {
                e.uid = true;
                continue;
            }
            let name = self.atom()?;
            self.sp()?;
            let upper = name.to_ascii_uppercase();
            let item = match upper.as_str() {
                "MIN" => ESearchItem::Min(self.nz_number()?),
                "MAX" => ESearchItem::Max(self.nz_number()?),
                "COUNT" => ESearchItem::Count(self.number()?),
                "ALL" => ESearchItem::All(self.sequence_set()?),
                "MODSEQ" => ESearchItem::ModSeq(self.number64()?),
                _ => ESearchItem::Other(Cow::Owned(upper), Cow::Borrowed(self.skip_value()?)),
            };
            self.check_items(e.items.len())?;
            e.items.push(item);
        }
        Ok(e)
    }

    pub(crate) fn fetch_items(&mut self) -> R<Vec<FetchItem<'a>>> {
        self.expect(b'(', "(")?;
        let mut v = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(v);
            }
            if !v.is_empty() {
                self.sp()?;
                if self.len.trailing_space && self.eat(b')') {
                    return Ok(v);
                }
            }
            self.check_items(v.len())?;
            v.push(self.fetch_item()?);
        }
    }

    fn fetch_item(&mut self) -> R<FetchItem<'a>> {
        let start = self.pos;
        let name = self.take_while(|c| is_atom_char(c) && c != b'[');
        let upper = name.to_ascii_uppercase();
        Ok(match upper.as_slice() {
            b"FLAGS" => {
                self.sp()?;
                FetchItem::Flags(self.flag_list(self.len.wildcard_in_flags)?)
            }
            b"ENVELOPE" => {
                self.sp()?;
                FetchItem::Envelope(Box::new(self.envelope()?))
            }
            b"INTERNALDATE" => {
                self.sp()?;
                FetchItem::InternalDate(self.quoted()?)
            }
            b"RFC822.SIZE" => {
                self.sp()?;
                FetchItem::Rfc822Size(self.number64()?)
            }
            b"RFC822" => {
                self.sp()?;
                FetchItem::Rfc822(self.body_data()?)
            }
            b"RFC822.HEADER" => {
                self.sp()?;
                FetchItem::Rfc822Header(self.body_data()?)
            }
            b"RFC822.TEXT" => {
                self.sp()?;
                FetchItem::Rfc822Text(self.body_data()?)
            }
            b"UID" => {
                self.sp()?;
                FetchItem::Uid(self.nz_number()?)
            }
            b"BODYSTRUCTURE" => {
                self.sp()?;
                FetchItem::BodyStructure(Box::new(self.body(true)?))
            }
            b"BODY" if self.peek() == Some(b'[') => {
                let section = self.section()?;
                let origin = self.origin()?;
                self.sp()?;
                FetchItem::BodySection {
                    section,
                    origin,
                    data: self.body_data()?,
                }
            }
            b"BODY" => {
                self.sp()?;
                FetchItem::Body(Box::new(self.body(false)?))
            }
            b"BINARY" => {
                let part = self.part()?;
                let origin = self.origin()?;
                self.sp()?;
                FetchItem::Binary {
                    part,
                    origin,
                    data: self.body_data()?,
                }
            }
            b"BINARY.SIZE" => {
                let part = self.part()?;
                self.sp()?;
                FetchItem::BinarySize {
                    part,
                    size: self.number64()?,
                }
            }
            b"MODSEQ" => {
                self.sp()?;
                self.expect(b'(', "(")?;
                let n = self.number64()?;
                self.expect(b')', ")")?;
                FetchItem::ModSeq(n)
            }
            b"X-GM-MSGID" => {
                self.sp()?;
                FetchItem::GmMsgId(self.number64()?)
            }
            b"X-GM-THRID" => {
                self.sp()?;
                FetchItem::GmThrId(self.number64()?)
            }
            b"X-GM-LABELS" => {
                self.sp()?;
                self.expect(b'(', "(")?;
                let mut v = Vec::new();
                loop {
                    if self.eat(b')') {
                        break;
                    }
                    if !v.is_empty() {
                        self.sp()?;
                    }
                    self.check_items(v.len())?;
                    // Labels may be system-flag-like (`\Inbox`).
                    let s = self.pos;
                    if self.eat(b'\\') {
                        self.atom()?;
                        v.push(Cow::Borrowed(self.b.get(s..self.pos).unwrap_or_default()));
                    } else {
                        v.push(self.astring()?);
                    }
                }
                FetchItem::GmLabels(v)
            }
            b"PREVIEW" => {
                self.sp()?;
                FetchItem::Preview(self.nstring()?)
            }
            b"EMAILID" => {
                self.sp()?;
                self.expect(b'(', "(")?;
                let id = self.atom()?;
                self.expect(b')', ")")?;
                FetchItem::EmailId(Cow::Borrowed(id.as_bytes()))
            }
            b"THREADID" => {
                self.sp()?;
                if self.nil() {
                    FetchItem::ThreadId(None)
                } else {
                    self.expect(b'(', "(")?;
                    let id = self.atom()?;
                    self.expect(b')', ")")?;
                    FetchItem::ThreadId(Some(Cow::Borrowed(id.as_bytes())))
                }
            }
            b"SAVEDATE" => {
                self.sp()?;
                if self.nil() {
                    FetchItem::SaveDate(None)
                } else {
                    FetchItem::SaveDate(Some(self.quoted()?))
                }
            }
            _ => {
                self.pos = start;
                return Err(self.err("FETCH data item"));
            }
        })
    }

    fn addresses(&mut self) -> R<Option<Vec<Address<'a>>>> {
        if self.nil() {
            return Ok(None);
        }
        self.expect(b'(', "(")?;
        let mut v = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(Some(v));
            }
            if !v.is_empty() {
                self.eat(b' ');
            }
            self.expect(b'(', "(")?;
            let name = self.nstring()?;
            self.sp()?;
            let adl = self.nstring()?;
            self.sp()?;
            let mailbox = self.nstring()?;
            self.sp()?;
            let host = self.nstring()?;
            self.expect(b')', ")")?;
            self.check_items(v.len())?;
            v.push(Address {
                name,
                adl,
                mailbox,
                host,
            });
        }
    }

    pub(crate) fn envelope(&mut self) -> R<Envelope<'a>> {
        self.expect(b'(', "(")?;
        let date = self.nstring()?;
        self.sp()?;
        let subject = self.nstring()?;
        self.sp()?;
        let from = self.addresses()?;
        self.sp()?;
        let sender = self.addresses()?;
        self.sp()?;
        let reply_to = self.addresses()?;
        self.sp()?;
        let to = self.addresses()?;
        self.sp()?;
        let cc = self.addresses()?;
        self.sp()?;
        let bcc = self.addresses()?;
        self.sp()?;
        let in_reply_to = self.nstring()?;
        self.sp()?;
        let message_id = self.nstring()?;
        self.expect(b')', ")")?;
        Ok(Envelope {
            date,
            subject,
            from,
            sender,
            reply_to,
            to,
            cc,
            bcc,
            in_reply_to,
            message_id,
        })
    }

    fn params(&mut self) -> R<Params<'a>> {
        if self.nil() {
            return Ok(None);
        }
        self.expect(b'(', "(")?;
        let mut v = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(Some(v));
            }
            if !v.is_empty() {
                self.sp()?;
            }
            let k = self.string()?;
            self.sp()?;
            let val = self.string()?;
            self.check_items(v.len())?;
            v.push((k, val));
        }
    }

    /// One `body-extension` value; nested lists are parsed with an explicit stack.
    fn body_ext_value(&mut self) -> R<BodyExtension<'a>> {
        // Open lists, innermost last.
        let mut stack: Vec<Vec<BodyExtension<'a>>> = Vec::new();
        loop {
            let mut value = if self.peek() == Some(b'(') {
                self.enter()?;
                self.pos += 1;
                stack.push(Vec::new());
                None
            } else if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                Some(BodyExtension::Number(self.number64()?))
            } else {
                Some(BodyExtension::Str(self.nstring()?))
            };
            // Close every list that ends here, handing each value to its parent.
            loop {
                let Some(top) = stack.last_mut() else {
                    // Only a complete value leaves the stack empty.
                    return value.ok_or_else(|| self.err("body extension"));
                };
                if let Some(v) = value.take() {
                    self.check_items(top.len())?;
                    top.push(v);
                }
                if self.eat(b')') {
                    self.leave();
                    let list = stack.pop().unwrap_or_default();
                    value = Some(BodyExtension::List(list));
                    continue;
                }
                if !top.is_empty() {
                    self.sp()?;
                }
                break;
            }
        }
    }

    fn common_ext(&mut self) -> R<CommonExtension<'a>> {
        let mut c = CommonExtension::default();
        if !self.eat(b' ') {
            return Ok(c);
        }
        c.disposition = Some(if self.nil() {
            None
        } else {
            self.expect(b'(', "(")?;
            let kind = self.string()?;
            self.sp()?;
            let params = self.params()?;
            self.expect(b')', ")")?;
            Some(Disposition { kind, params })
        });
        if !self.eat(b' ') {
            return Ok(c);
        }
        c.language = Some(if self.nil() {
            Language::Nil
        } else if self.eat(b'(') {
            let mut v = Vec::new();
            loop {
                if self.eat(b')') {
                    break;
                }
                if !v.is_empty() {
                    self.sp()?;
                }
                self.check_items(v.len())?;
                v.push(self.string()?);
            }
            Language::List(v)
        } else {
            Language::Single(self.string()?)
        });
        if !self.eat(b' ') {
            return Ok(c);
        }
        c.location = Some(self.nstring()?);
        while self.eat(b' ') {
            self.check_items(c.extra.len())?;
            c.extra.push(self.body_ext_value()?);
        }
        Ok(c)
    }

    /// `body` (BODYSTRUCTURE when `ext`, BODY otherwise; extension data is accepted in
    /// both when present).
    ///
    /// Iterative: open multiparts and MESSAGE/RFC822 parts waiting for their inner body sit
    /// on an explicit stack, so the depth is bounded by [`Limits::max_depth`] alone and a
    /// deep input yields [`ParseErrorKind::TooDeep`](crate::ParseErrorKind), never a stack
    /// overflow.
    pub(crate) fn body(&mut self, _ext: bool) -> R<BodyStructure<'a>> {
        let mut stack: Vec<OpenBody<'a>> = Vec::new();
        'start: loop {
            // A body starts here.
            self.enter()?;
            self.expect(b'(', "(")?;
            let mut done = if self.peek() == Some(b'(') {
                stack.push(OpenBody::Multi(Vec::new()));
                continue 'start;
            } else {
                match self.single_head()? {
                    Head::Empty(b) => {
                        // Gmail's empty multipart, closing paren consumed.
                        self.leave();
                        b
                    }
                    Head::Message(m) => {
                        stack.push(OpenBody::Message(m));
                        self.sp()?;
                        continue 'start;
                    }
                    Head::Part {
                        media_type,
                        subtype,
                        fields,
                        kind,
                    } => {
                        let b = self.single_tail(media_type, subtype, fields, kind)?;
                        self.expect(b')', ")")?;
                        self.leave();
                        b
                    }
                }
            };
            // A body ended: hand it to the innermost open one, closing those that end.
            loop {
                match stack.pop() {
                    None => return Ok(done),
                    Some(OpenBody::Multi(mut parts)) => {
                        self.check_items(parts.len())?;
                        parts.push(done);
                        if self.peek() == Some(b' ') && self.peek_at(1) == Some(b'(') {
                            self.pos += 1;
                        }
                        if self.peek() == Some(b'(') {
                            stack.push(OpenBody::Multi(parts));
                            continue 'start;
                        }
                        done = self.multi_tail(parts)?;
                    }
                    Some(OpenBody::Message(m)) => {
                        self.sp()?;
                        let lines = self.number64()?;
                        let kind = SinglePartKind::Message {
                            envelope: m.envelope,
                            body: Box::new(done),
                            lines,
                        };
                        done = self.single_tail(m.media_type, m.subtype, m.fields, kind)?;
                    }
                }
                self.expect(b')', ")")?;
                self.leave();
            }
        }
    }

    #[inline(never)]
    fn multi_tail(&mut self, parts: Vec<BodyStructure<'a>>) -> R<BodyStructure<'a>> {
        self.sp()?;
        let subtype = self.string()?;
        let extension = if self.eat(b' ') {
            let params = self.params()?;
            let common = self.common_ext()?;
            Some(MultiPartExtension { params, common })
        } else {
            None
        };
        Ok(BodyStructure::Multi {
            parts,
            subtype,
            extension,
        })
    }

    /// A non-multipart body after its `(`, up to its type-specific fields (for
    /// MESSAGE/RFC822, up to the envelope: the inner body comes next).
    #[inline(never)]
    fn single_head(&mut self) -> R<Head<'a>> {
        let media_type = self.string()?;
        if self.peek() == Some(b')') && self.len.empty_multipart {
            // Gmail: ("ALTERNATIVE") for a multipart without parts.
            self.pos += 1;
            return Ok(Head::Empty(BodyStructure::Multi {
                parts: Vec::new(),
                subtype: media_type,
                extension: None,
            }));
        }
        self.sp()?;
        let subtype = self.string()?;
        self.sp()?;
        let params = self.params()?;
        self.sp()?;
        let id = self.nstring()?;
        self.sp()?;
        let description = self.nstring()?;
        self.sp()?;
        let encoding = self.nstring()?;
        self.sp()?;
        let size = self.number64()?;
        let fields = BodyFields {
            params,
            id,
            description,
            encoding,
            size,
        };
        let kind = if media_type.eq_ignore_ascii_case(b"TEXT") {
            self.sp()?;
            SinglePartKind::Text {
                lines: self.number64()?,
            }
        } else if media_type.eq_ignore_ascii_case(b"MESSAGE")
            && (subtype.eq_ignore_ascii_case(b"RFC822") || subtype.eq_ignore_ascii_case(b"GLOBAL"))
            && self.peek() == Some(b' ')
            && self.peek_at(1) == Some(b'(')
        {
            self.sp()?;
            let envelope = Box::new(self.envelope()?);
            return Ok(Head::Message(OpenMessage {
                media_type,
                subtype,
                fields,
                envelope,
            }));
        } else {
            SinglePartKind::Basic
        };
        Ok(Head::Part {
            media_type,
            subtype,
            fields,
            kind,
        })
    }

    /// The extension data of a non-multipart body, and the value.
    #[inline(never)]
    fn single_tail(
        &mut self,
        media_type: Cow<'a, [u8]>,
        subtype: Cow<'a, [u8]>,
        fields: BodyFields<'a>,
        kind: SinglePartKind<'a>,
    ) -> R<BodyStructure<'a>> {
        let extension = if self.eat(b' ') {
            let md5 = self.nstring()?;
            let common = self.common_ext()?;
            Some(SinglePartExtension { md5, common })
        } else {
            None
        };
        Ok(BodyStructure::Single {
            media_type,
            subtype,
            fields,
            kind,
            extension,
        })
    }
}

/// A body whose parse is under way, on the explicit stack of [`P::body`].
enum OpenBody<'a> {
    /// A multipart: the parts so far.
    Multi(Vec<BodyStructure<'a>>),
    /// A MESSAGE/RFC822 part waiting for its inner body.
    Message(OpenMessage<'a>),
}

/// The fields of a MESSAGE/RFC822 part read before its inner body.
struct OpenMessage<'a> {
    media_type: Cow<'a, [u8]>,
    subtype: Cow<'a, [u8]>,
    fields: BodyFields<'a>,
    envelope: Box<Envelope<'a>>,
}

/// What [`P::single_head`] read.
enum Head<'a> {
    /// Gmail's `("SUBTYPE")`, closing parenthesis consumed.
    Empty(BodyStructure<'a>),
    /// A MESSAGE/RFC822 part: its inner body follows (after SP).
    Message(OpenMessage<'a>),
    /// Any other part, up to its extension data.
    Part {
        media_type: Cow<'a, [u8]>,
        subtype: Cow<'a, [u8]>,
        fields: BodyFields<'a>,
        kind: SinglePartKind<'a>,
    },
}

/// Builds the chain `ids[0] -> ids[1] -> ... -> nested` of a thread list.
fn chain(ids: Vec<u32>, mut nested: Vec<Thread>) -> Thread {
    let mut node: Option<Thread> = None;
    for id in ids.into_iter().rev() {
        let children = match node.take() {
            Some(n) => vec![n],
            None => std::mem::take(&mut nested),
        };
        node = Some(Thread {
            id: Some(id),
            children,
        });
    }
    node.unwrap_or(Thread {
        id: None,
        children: nested,
    })
}
