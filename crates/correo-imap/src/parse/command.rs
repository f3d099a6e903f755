//! Command grammar (what a server parses).

use std::borrow::Cow;

use super::{P, R, is_atom_char};
use crate::frame::RawMessage;
use crate::types::*;
use crate::{Leniency, Limits, ParseError};

/// What the server expects from the client at this point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientLineKind {
    /// A command.
    Command,
    /// A line of AUTHENTICATE data (or `*`).
    AuthenticateData,
    /// `DONE` (during IDLE).
    IdleDone,
}

/// Parses one command.
pub fn parse_command<'a>(
    msg: RawMessage<'a>,
    leniency: &Leniency,
    limits: &Limits,
) -> Result<Command<'a>, ParseError> {
    let mut p = P::new(msg, *leniency, *limits);
    let c = p.command()?;
    p.end()?;
    Ok(c)
}

/// Parses what a client sends, given what is expected.
pub fn parse_client_line<'a>(
    msg: RawMessage<'a>,
    kind: ClientLineKind,
    leniency: &Leniency,
    limits: &Limits,
) -> Result<ClientLine<'a>, ParseError> {
    let mut p = P::new(msg, *leniency, *limits);
    let r = match kind {
        ClientLineKind::Command => ClientLine::Command(p.command()?),
        ClientLineKind::AuthenticateData => {
            if p.eat(b'*') {
                ClientLine::AuthenticateData(None)
            } else {
                let t = p.text();
                if !t
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
                {
                    return Err(p.err("base64"));
                }
                ClientLine::AuthenticateData(Some(Cow::Borrowed(t)))
            }
        }
        ClientLineKind::IdleDone => {
            if !p.kw("DONE") {
                return Err(p.err("DONE"));
            }
            ClientLine::IdleDone
        }
    };
    p.end()?;
    Ok(r)
}

fn is_list_char(c: u8) -> bool {
    is_atom_char(c) || matches!(c, b'%' | b'*' | b']')
}

impl<'a> P<'a> {
    fn command(&mut self) -> R<Command<'a>> {
        let tag = self.tag()?;
        self.sp()?;
        let name = self.atom()?;
        let upper = name.to_ascii_uppercase();
        let body = self.command_body(&upper, false)?;
        Ok(Command {
            tag: Tag(Cow::Borrowed(tag)),
            body,
        })
    }

    fn list_mailbox(&mut self) -> R<Mailbox<'a>> {
        match self.peek() {
            Some(b'"') => Ok(Mailbox::from_wire(self.string()?)),
            _ if self.at_literal() => Ok(Mailbox::from_wire(self.string()?)),
            _ => {
                let s = self.pos;
                let rest = self.b.get(s..).unwrap_or_default();
                let n = rest
                    .iter()
                    .position(|&c| !is_list_char(c))
                    .unwrap_or(rest.len());
                if n == 0 {
                    return Err(self.err("list-mailbox"));
                }
                self.pos += n;
                Ok(Mailbox::from_wire(Cow::Borrowed(
                    rest.get(..n).unwrap_or_default(),
                )))
            }
        }
    }

    fn upper_atoms_in_parens(&mut self) -> R<Vec<Cow<'a, str>>> {
        self.expect(b'(', "(")?;
        let mut v = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(v);
            }
            if !v.is_empty() {
                self.sp()?;
            }
            self.check_items(v.len())?;
            v.push(Cow::Owned(self.atom()?.to_ascii_uppercase()));
        }
    }

    fn status_atts(&mut self) -> R<Vec<StatusItem<'a>>> {
        self.expect(b'(', "(")?;
        let mut v = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(v);
            }
            if !v.is_empty() {
                self.sp()?;
            }
            self.check_items(v.len())?;
            v.push(StatusItem::from_name(self.atom()?));
        }
    }

    fn command_body(&mut self, upper: &str, uid: bool) -> R<CommandBody<'a>> {
        use CommandBody as C;
        Ok(match upper {
            "CAPABILITY" if !uid => C::Capability,
            "NOOP" if !uid => C::Noop,
            "LOGOUT" if !uid => C::Logout,
            "STARTTLS" if !uid => C::StartTls,
            "NAMESPACE" if !uid => C::Namespace,
            "IDLE" if !uid => C::Idle,
            "CHECK" if !uid => C::Check,
            "CLOSE" if !uid => C::Close,
            "UNSELECT" if !uid => C::Unselect,
            "EXPUNGE" => {
                if uid {
                    self.sp()?;
                    C::Expunge {
                        uids: Some(self.sequence_set()?),
                    }
                } else {
                    C::Expunge { uids: None }
                }
            }
            "AUTHENTICATE" if !uid => {
                self.sp()?;
                let mechanism = Cow::Owned(self.atom()?.to_ascii_uppercase());
                let initial = if self.eat(b' ') {
                    let t = self.text();
                    if t.is_empty() {
                        return Err(self.err("initial response"));
                    }
                    Some(Cow::Borrowed(t))
                } else {
                    None
                };
                C::Authenticate { mechanism, initial }
            }
            "LOGIN" if !uid => {
                self.sp()?;
                let username = self.astring()?;
                self.sp()?;
                C::Login {
                    username,
                    password: self.astring()?,
                }
            }
            "ENABLE" if !uid => {
                let mut v = Vec::new();
                while self.eat(b' ') {
                    self.check_items(v.len())?;
                    v.push(Capability(Cow::Borrowed(self.atom()?)));
                }
                if v.is_empty() {
                    return Err(self.err("capability"));
                }
                C::Enable(v)
            }
            "SELECT" | "EXAMINE" if !uid => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                let mut condstore = false;
                let mut qresync = None;
                if self.eat(b' ') {
                    self.expect(b'(', "(")?;
                    let mut first = true;
                    loop {
                        if self.eat(b')') {
                            break;
                        }
                        if !first {
                            self.sp()?;
                        }
                        first = false;
                        if self.kw("CONDSTORE") {
                            condstore = true;
                        } else if self.kw("QRESYNC") {
                            self.sp()?;
                            let v = self.skip_value()?;
                            let inner = v.get(1..v.len().saturating_sub(1)).unwrap_or_default();
                            qresync = Some(Cow::Borrowed(inner));
                        } else {
                            // RFC 4466 select-param: none other is implemented, and a
                            // parameter dropped here would be silently not honoured.
                            return Err(
                                self.err("CONDSTORE or QRESYNC (the select parameters known)")
                            );
                        }
                    }
                }
                C::Select {
                    examine: upper == "EXAMINE",
                    mailbox,
                    condstore,
                    qresync,
                }
            }
            "CREATE" if !uid => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                let mut special_use = Vec::new();
                if self.eat(b' ') {
                    // create-params (RFC 4466): only `USE (...)` (RFC 6154) is known.
                    self.expect(b'(', "(")?;
                    if !self.kw("USE") {
                        return Err(self.err("USE (the one create parameter known)"));
                    }
                    self.sp()?;
                    special_use = self.flag_list(false)?;
                    self.expect(b')', ")")?;
                }
                C::Create {
                    mailbox,
                    special_use,
                }
            }
            "DELETE" if !uid => {
                self.sp()?;
                C::Delete(self.mailbox()?)
            }
            "RENAME" if !uid => {
                self.sp()?;
                let a = self.mailbox()?;
                self.sp()?;
                C::Rename(a, self.mailbox()?)
            }
            "SUBSCRIBE" if !uid => {
                self.sp()?;
                C::Subscribe(self.mailbox()?)
            }
            "UNSUBSCRIBE" if !uid => {
                self.sp()?;
                C::Unsubscribe(self.mailbox()?)
            }
            "LIST" if !uid => {
                self.sp()?;
                let mut options = ListOptions::default();
                if self.peek() == Some(b'(') {
                    options.select = Some(self.upper_atoms_in_parens()?);
                    self.sp()?;
                }
                let reference = self.mailbox()?;
                self.sp()?;
                let mut patterns = Vec::new();
                if self.eat(b'(') {
                    loop {
                        if self.eat(b')') {
                            break;
                        }
                        if !patterns.is_empty() {
                            self.sp()?;
                        }
                        self.check_items(patterns.len())?;
                        patterns.push(self.list_mailbox()?);
                    }
                } else {
                    patterns.push(self.list_mailbox()?);
                }
                if self.eat(b' ') {
                    if !self.kw("RETURN") {
                        return Err(self.err("RETURN"));
                    }
                    self.sp()?;
                    self.expect(b'(', "(")?;
                    let mut ret = Vec::new();
                    loop {
                        if self.eat(b')') {
                            break;
                        }
                        if !ret.is_empty() || options.status.is_some() {
                            self.sp()?;
                        }
                        if self.kw("STATUS") {
                            self.sp()?;
                            options.status = Some(self.status_atts()?);
                        } else {
                            self.check_items(ret.len())?;
                            ret.push(Cow::Owned(self.atom()?.to_ascii_uppercase()));
                        }
                    }
                    options.ret = Some(ret);
                }
                C::List {
                    reference,
                    patterns,
                    options,
                }
            }
            "LSUB" if !uid => {
                self.sp()?;
                let reference = self.mailbox()?;
                self.sp()?;
                C::Lsub {
                    reference,
                    pattern: self.list_mailbox()?,
                }
            }
            "STATUS" if !uid => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                self.sp()?;
                C::Status {
                    mailbox,
                    items: self.status_atts()?,
                }
            }
            "APPEND" if !uid => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                let mut messages = Vec::new();
                while self.eat(b' ') {
                    let flags = if self.peek() == Some(b'(') {
                        let f = self.flag_list(false)?;
                        self.sp()?;
                        Some(f)
                    } else {
                        None
                    };
                    let date = if self.peek() == Some(b'"') {
                        let d = self.quoted()?;
                        self.sp()?;
                        Some(d)
                    } else {
                        None
                    };
                    let (data, binary) = self.literal()?;
                    self.check_items(messages.len())?;
                    messages.push(AppendMessage {
                        flags,
                        date,
                        binary,
                        data,
                    });
                }
                if messages.is_empty() {
                    return Err(self.err("message literal"));
                }
                C::Append { mailbox, messages }
            }
            "SEARCH" => {
                let (ret, charset, keys) = self.search_args(true)?;
                C::Search {
                    uid,
                    ret,
                    charset,
                    keys,
                }
            }
            "FETCH" => {
                self.sp()?;
                let set = self.sequence_set()?;
                self.sp()?;
                let attrs = self.fetch_attrs()?;
                let mut modifiers = FetchModifiers::default();
                if self.eat(b' ') {
                    self.expect(b'(', "(")?;
                    let mut first = true;
                    loop {
                        if self.eat(b')') {
                            break;
                        }
                        if !first {
                            self.sp()?;
                        }
                        first = false;
                        if self.kw("CHANGEDSINCE") {
                            self.sp()?;
                            modifiers.changed_since = Some(self.number64()?);
                        } else if self.kw("VANISHED") {
                            modifiers.vanished = true;
                        } else {
                            return Err(self.err("CHANGEDSINCE or VANISHED"));
                        }
                    }
                }
                C::Fetch {
                    uid,
                    set,
                    attrs,
                    modifiers,
                }
            }
            "STORE" => {
                self.sp()?;
                let set = self.sequence_set()?;
                self.sp()?;
                let mut unchanged_since = None;
                if self.eat(b'(') {
                    if !self.kw("UNCHANGEDSINCE") {
                        return Err(self.err("UNCHANGEDSINCE"));
                    }
                    self.sp()?;
                    unchanged_since = Some(self.number64()?);
                    self.expect(b')', ")")?;
                    self.sp()?;
                }
                let mode = if self.eat(b'+') {
                    StoreMode::Add
                } else if self.eat(b'-') {
                    StoreMode::Remove
                } else {
                    StoreMode::Replace
                };
                let gm_labels = if self.kw("FLAGS") || self.kw("FLAGS.SILENT") {
                    false
                } else if self.kw("X-GM-LABELS") || self.kw("X-GM-LABELS.SILENT") {
                    true
                } else {
                    return Err(self.err("FLAGS"));
                };
                let silent = self.b.get(..self.pos).is_some_and(|b| {
                    b.len() >= 7 && b[b.len() - 7..].eq_ignore_ascii_case(b".SILENT")
                });
                self.sp()?;
                let flags = if self.peek() == Some(b'(') {
                    self.flag_list(false)?
                } else {
                    let mut v = vec![self.flag()?];
                    while self.eat(b' ') {
                        self.check_items(v.len())?;
                        v.push(self.flag()?);
                    }
                    v
                };
                C::Store {
                    uid,
                    set,
                    unchanged_since,
                    mode,
                    silent,
                    gm_labels,
                    flags,
                }
            }
            "COPY" | "MOVE" => {
                self.sp()?;
                let set = self.sequence_set()?;
                self.sp()?;
                let mailbox = self.mailbox()?;
                if upper == "COPY" {
                    C::Copy { uid, set, mailbox }
                } else {
                    C::Move { uid, set, mailbox }
                }
            }
            "UID" if !uid => {
                self.sp()?;
                let name = self.atom()?.to_ascii_uppercase();
                if !matches!(
                    name.as_str(),
                    "COPY" | "MOVE" | "FETCH" | "SEARCH" | "STORE" | "EXPUNGE" | "SORT" | "THREAD"
                ) {
                    return Err(self.err("UID command"));
                }
                return self.command_body(&name, true);
            }
            "ID" if !uid => {
                self.sp()?;
                C::Id(self.id_params()?)
            }
            "SORT" => {
                self.sp()?;
                let ret = if self.kw("RETURN") {
                    self.sp()?;
                    let r = self.search_return_list()?;
                    self.sp()?;
                    Some(r)
                } else {
                    None
                };
                let criteria = self.upper_atoms_in_parens()?;
                self.sp()?;
                let charset = self.astring()?;
                let keys = self.search_keys()?;
                C::Sort {
                    uid,
                    ret,
                    criteria,
                    charset,
                    keys,
                }
            }
            "THREAD" => {
                self.sp()?;
                let algorithm = Cow::Owned(self.atom()?.to_ascii_uppercase());
                self.sp()?;
                let charset = self.astring()?;
                let keys = self.search_keys()?;
                C::Thread {
                    uid,
                    algorithm,
                    charset,
                    keys,
                }
            }
            "GETQUOTA" if !uid => {
                self.sp()?;
                C::GetQuota(self.astring()?)
            }
            "GETQUOTAROOT" if !uid => {
                self.sp()?;
                C::GetQuotaRoot(self.mailbox()?)
            }
            "COMPRESS" if !uid => {
                self.sp()?;
                C::Compress(Cow::Owned(self.atom()?.to_ascii_uppercase()))
            }
            _ if !uid => {
                let raw = if self.eat(b' ') {
                    let s = self.pos;
                    while !self.at_end() {
                        self.skip_value()?;
                        self.eat(b' ');
                    }
                    self.b.get(s..self.pos).unwrap_or_default()
                } else {
                    b""
                };
                C::Other {
                    name: Cow::Owned(upper.to_owned()),
                    raw: Cow::Borrowed(raw),
                }
            }
            _ => return Err(self.err("command")),
        })
    }

    #[allow(clippy::type_complexity)]
    fn search_args(
        &mut self,
        allow_return: bool,
    ) -> R<(
        Option<Vec<SearchReturn>>,
        Option<Cow<'a, [u8]>>,
        Vec<SearchKey<'a>>,
    )> {
        let mut ret = None;
        let mut charset = None;
        let save = self.pos;
        if allow_return && self.eat(b' ') && self.kw("RETURN") {
            self.sp()?;
            ret = Some(self.search_return_list()?);
        } else {
            self.pos = save;
        }
        let save = self.pos;
        if self.eat(b' ') && self.kw("CHARSET") {
            self.sp()?;
            charset = Some(self.astring()?);
        } else {
            self.pos = save;
        }
        let keys = self.search_keys()?;
        Ok((ret, charset, keys))
    }

    /// `(MIN MAX ALL COUNT SAVE)` after `RETURN SP` (SEARCH and SORT).
    fn search_return_list(&mut self) -> R<Vec<SearchReturn>> {
        self.expect(b'(', "(")?;
        let mut v = Vec::new();
        loop {
            if self.eat(b')') {
                break;
            }
            if !v.is_empty() {
                self.sp()?;
            }
            let a = self.atom()?.to_ascii_uppercase();
            v.push(match a.as_str() {
                "MIN" => SearchReturn::Min,
                "MAX" => SearchReturn::Max,
                "ALL" => SearchReturn::All,
                "COUNT" => SearchReturn::Count,
                "SAVE" => SearchReturn::Save,
                _ => return Err(self.err("search return option")),
            });
            self.check_items(v.len())?;
        }
        Ok(v)
    }

    fn search_keys(&mut self) -> R<Vec<SearchKey<'a>>> {
        let mut keys = Vec::new();
        while self.eat(b' ') {
            self.check_items(keys.len())?;
            keys.push(self.search_key()?);
        }
        if keys.is_empty() {
            return Err(self.err("search key"));
        }
        Ok(keys)
    }

    /// One search key. Iterative: parentheses, NOT and OR open frames on an explicit
    /// stack, each counted against [`Limits::max_depth`](crate::Limits).
    fn search_key(&mut self) -> R<SearchKey<'a>> {
        use SearchKey as K;
        enum Open<'a> {
            And(Vec<SearchKey<'a>>),
            Not,
            OrFirst,
            OrSecond(SearchKey<'a>),
        }
        let mut stack: Vec<Open<'a>> = Vec::new();
        loop {
            // A key starts here.
            self.enter()?;
            if self.eat(b'(') {
                stack.push(Open::And(Vec::new()));
                continue;
            } else if self.kw("NOT") {
                self.sp()?;
                stack.push(Open::Not);
                continue;
            } else if self.kw("OR") {
                self.sp()?;
                stack.push(Open::OrFirst);
                continue;
            }
            let mut done = self.search_leaf()?;
            self.leave();
            // A key ended: hand it to the innermost open one, closing those that end.
            loop {
                match stack.pop() {
                    None => return Ok(done),
                    Some(Open::And(mut v)) => {
                        v.push(done);
                        self.check_items(v.len())?;
                        if self.eat(b')') {
                            self.leave();
                            done = K::And(v);
                            continue;
                        }
                        self.sp()?;
                        stack.push(Open::And(v));
                    }
                    Some(Open::Not) => {
                        self.leave();
                        done = K::Not(Box::new(done));
                        continue;
                    }
                    Some(Open::OrFirst) => {
                        self.sp()?;
                        stack.push(Open::OrSecond(done));
                    }
                    Some(Open::OrSecond(a)) => {
                        self.leave();
                        done = K::Or(Box::new(a), Box::new(done));
                        continue;
                    }
                }
                break;
            }
        }
    }

    #[inline(never)]
    fn search_leaf(&mut self) -> R<SearchKey<'a>> {
        use SearchKey as K;
        if matches!(self.peek(), Some(b'0'..=b'9' | b'*' | b'$')) {
            return Ok(K::SequenceSet(self.sequence_set()?));
        }
        let start = self.pos;
        let name = self.atom()?.to_ascii_uppercase();
        macro_rules! arg {
            () => {{
                self.sp()?;
                self.astring()?
            }};
        }
        macro_rules! num {
            () => {{
                self.sp()?;
                self.number64()?
            }};
        }
        Ok(match name.as_str() {
            "ALL" => K::All,
            "ANSWERED" => K::Answered,
            "BCC" => K::Bcc(arg!()),
            "BEFORE" => K::Before(arg!()),
            "BODY" => K::Body(arg!()),
            "CC" => K::Cc(arg!()),
            "DELETED" => K::Deleted,
            "DRAFT" => K::Draft,
            "FLAGGED" => K::Flagged,
            "FROM" => K::From(arg!()),
            "HEADER" => {
                let a = arg!();
                K::Header(a, arg!())
            }
            "KEYWORD" => {
                self.sp()?;
                K::Keyword(Cow::Borrowed(self.atom()?))
            }
            "LARGER" => K::Larger(num!()),
            "NEW" => K::New,
            "OLD" => K::Old,
            "ON" => K::On(arg!()),
            "RECENT" => K::Recent,
            "SEEN" => K::Seen,
            "SENTBEFORE" => K::SentBefore(arg!()),
            "SENTON" => K::SentOn(arg!()),
            "SENTSINCE" => K::SentSince(arg!()),
            "SINCE" => K::Since(arg!()),
            "SMALLER" => K::Smaller(num!()),
            "SUBJECT" => K::Subject(arg!()),
            "TEXT" => K::Text(arg!()),
            "TO" => K::To(arg!()),
            "UID" => {
                self.sp()?;
                K::Uid(self.sequence_set()?)
            }
            "UNANSWERED" => K::Unanswered,
            "UNDELETED" => K::Undeleted,
            "UNDRAFT" => K::Undraft,
            "UNFLAGGED" => K::Unflagged,
            "UNKEYWORD" => {
                self.sp()?;
                K::Unkeyword(Cow::Borrowed(self.atom()?))
            }
            "UNSEEN" => K::Unseen,
            "MODSEQ" => {
                self.sp()?;
                // Optional entry-name SP entry-type-req.
                if self.peek() == Some(b'"') {
                    self.quoted()?;
                    self.sp()?;
                    self.atom()?;
                    self.sp()?;
                }
                K::ModSeq(self.number64()?)
            }
            "OLDER" => K::Older(num!()),
            "YOUNGER" => K::Younger(num!()),
            "SAVEDBEFORE" => K::SavedBefore(arg!()),
            "SAVEDON" => K::SavedOn(arg!()),
            "SAVEDSINCE" => K::SavedSince(arg!()),
            "SAVEDATESUPPORTED" => K::SaveDateSupported,
            "EMAILID" => K::EmailId(arg!()),
            "THREADID" => K::ThreadId(arg!()),
            "X-GM-RAW" => K::GmRaw(arg!()),
            "X-GM-MSGID" => K::GmMsgId(num!()),
            "X-GM-THRID" => K::GmThrId(num!()),
            "X-GM-LABELS" => K::GmLabels(arg!()),
            _ => {
                self.pos = start;
                return Err(self.err("search key"));
            }
        })
    }

    fn fetch_attrs(&mut self) -> R<FetchAttrs<'a>> {
        if self.kw("ALL") {
            return Ok(FetchAttrs::All);
        }
        if self.kw("FAST") {
            return Ok(FetchAttrs::Fast);
        }
        if self.kw("FULL") {
            return Ok(FetchAttrs::Full);
        }
        if self.eat(b'(') {
            let mut items = Vec::new();
            loop {
                if self.eat(b')') {
                    return Ok(FetchAttrs::List { items, paren: true });
                }
                if !items.is_empty() {
                    self.sp()?;
                }
                self.check_items(items.len())?;
                items.push(self.fetch_attr()?);
            }
        }
        Ok(FetchAttrs::List {
            items: vec![self.fetch_attr()?],
            paren: false,
        })
    }

    fn partial(&mut self) -> R<Option<(u32, u32)>> {
        if self.eat(b'<') {
            let a = self.number()?;
            self.expect(b'.', ".")?;
            let b = self.nz_number()?;
            self.expect(b'>', ">")?;
            Ok(Some((a, b)))
        } else {
            Ok(None)
        }
    }

    fn fetch_attr(&mut self) -> R<FetchAttr<'a>> {
        use FetchAttr as F;
        let start = self.pos;
        let name = self.take_while_pub(|c| is_atom_char(c) && c != b'[');
        let upper = name.to_ascii_uppercase();
        Ok(match upper.as_slice() {
            b"ENVELOPE" => F::Envelope,
            b"FLAGS" => F::Flags,
            b"INTERNALDATE" => F::InternalDate,
            b"RFC822" => F::Rfc822,
            b"RFC822.HEADER" => F::Rfc822Header,
            b"RFC822.SIZE" => F::Rfc822Size,
            b"RFC822.TEXT" => F::Rfc822Text,
            b"BODYSTRUCTURE" => F::BodyStructure,
            b"UID" => F::Uid,
            b"BODY" | b"BODY.PEEK" if self.peek() == Some(b'[') => {
                let section = self.section()?;
                F::BodySection {
                    peek: upper.len() > 4,
                    section,
                    partial: self.partial()?,
                }
            }
            b"BODY" => F::Body,
            b"BINARY" | b"BINARY.PEEK" => {
                let part = self.part()?;
                F::Binary {
                    peek: upper.len() > 6,
                    part,
                    partial: self.partial()?,
                }
            }
            b"BINARY.SIZE" => F::BinarySize(self.part()?),
            b"MODSEQ" => F::ModSeq,
            b"X-GM-MSGID" => F::GmMsgId,
            b"X-GM-THRID" => F::GmThrId,
            b"X-GM-LABELS" => F::GmLabels,
            b"PREVIEW" => {
                let lazy = if self.peek() == Some(b' ') && self.peek_at(1) == Some(b'(') {
                    self.pos += 2;
                    if !self.kw("LAZY") {
                        return Err(self.err("LAZY"));
                    }
                    self.expect(b')', ")")?;
                    true
                } else {
                    false
                };
                F::Preview { lazy }
            }
            b"EMAILID" => F::EmailId,
            b"THREADID" => F::ThreadId,
            b"SAVEDATE" => F::SaveDate,
            _ => {
                self.pos = start;
                return Err(self.err("fetch attribute"));
            }
        })
    }

    fn take_while_pub(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        let b = self.b;
        let rest = b.get(start..).unwrap_or_default();
        let n = rest.iter().position(|&c| !f(c)).unwrap_or(rest.len());
        self.pos += n;
        rest.get(..n).unwrap_or_default()
    }
}
