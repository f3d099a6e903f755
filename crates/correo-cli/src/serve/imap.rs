//! The IMAP side of `correo serve`: correo-imap's server machine over a socket, serving the
//! same Maildirs the SMTP side writes (INBOX plus folders, delimiter `/`). UIDs come from
//! the store, so they are stable across sessions; flags are the Maildir letters
//! (`\Seen` S, `\Answered` R, `\Flagged` F, `\Deleted` T, `\Draft` D). IDLE wakes when
//! the store's change counter moves (SMTP delivery).
//!
//! Extensions served: CONDSTORE and QRESYNC (mod-sequences kept by the store),
//! SORT and THREAD (computed with `correo_imap::mime::sort`), SEARCHRES (in the machine),
//! COMPRESS=DEFLATE (the socket switches to raw DEFLATE both ways), RENAME (INBOX
//! semantics included), DELETE with inferiors, SUBSCRIBE/LSUB.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use correo_imap::mime::search::{SearchInput, matches_all};
use correo_imap::mime::sort::SortKeys;
use correo_imap::server::{
    ChangedMessage, Event, MailboxView, MessageData, Server, ServerConfig, needs_bytes,
};
use correo_imap::types::{
    Code, FetchAttr, Flag, ListItem, Mailbox, SearchKey, Status, StatusItem, StoreMode,
};
use correo_mime::maildir::Flags;

use super::Ctx;
use super::store::StoredMessage;
use crate::net::{Conn, Deflate};

const IDLE_POLL: Duration = Duration::from_millis(300);

struct Selected {
    name: String,
    messages: Vec<StoredMessage>,
    /// EXAMINE.
    read_only: bool,
}

/// One session's connection: the socket and, once COMPRESS is on, the DEFLATE state.
struct Link {
    conn: Conn,
    deflate: Option<Deflate>,
}

/// Serves one IMAP session.
pub(crate) fn handle(conn: Conn, ctx: &Ctx, implicit_tls: bool) -> io::Result<()> {
    let mut server = Server::new(ServerConfig {
        implicit_tls,
        starttls: ctx.tls.is_some() && !implicit_tls,
        allow_plaintext_auth: ctx.insecure_auth,
        auth_mechanisms: vec!["PLAIN".into()],
        condstore: true,
        qresync: true,
        sort: true,
        thread: true,
        searchres: true,
        compress: true,
        ..ServerConfig::default()
    });
    let mut link = Link {
        conn,
        deflate: None,
    };
    let mut user: Option<String> = None;
    let mut sel: Option<Selected> = None;
    let mut append: Vec<Vec<u8>> = Vec::new();
    let mut idling = false;
    let mut generation = ctx.store.generation();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        flush(&mut server, &mut link)?;
        let mut upgrade = false;
        while let Some(event) = server.poll_event() {
            match event {
                Event::Login { username, password } => {
                    let name = String::from_utf8_lossy(&username).into_owned();
                    if ctx.users.check(&name, &String::from_utf8_lossy(&password)) {
                        user = Some(name);
                        server.accept_login();
                    } else {
                        server.reject_login("Authentication failed.");
                    }
                }
                Event::Authenticate { initial, .. } => match initial {
                    Some(ir) => plain(&mut server, ctx, &ir, &mut user),
                    None => server.auth_challenge(b""),
                },
                Event::AuthResponse(data) => plain(&mut server, ctx, &data, &mut user),
                Event::StartTls => upgrade = true,
                Event::Compress => {
                    // The OK goes out uncompressed; everything after it is compressed.
                    flush(&mut server, &mut link)?;
                    link.deflate = Some(Deflate::new());
                    server.compression_started();
                }
                Event::Select {
                    mailbox,
                    qresync,
                    examine,
                    ..
                } => {
                    sel = None;
                    let name = mbox_name(&mailbox);
                    let u = user.as_deref().unwrap_or_default();
                    if !ctx.store.mailbox_exists(u, &name) {
                        server.complete(Status::No, Some(Code::NonExistent), "No such mailbox.");
                        continue;
                    }
                    match ctx.store.scan(u, &name) {
                        Ok(state) => {
                            let first_unseen = state
                                .messages
                                .iter()
                                .position(|m| !m.flags.contains(Flags::SEEN))
                                .and_then(|i| u32::try_from(i + 1).ok());
                            let (vanished, changed) = match &qresync {
                                Some(q) => (
                                    state.vanished_since(q.modseq),
                                    state
                                        .messages
                                        .iter()
                                        .filter(|m| m.modseq > q.modseq)
                                        .map(|m| ChangedMessage {
                                            uid: m.uid,
                                            flags: to_imap(m.flags),
                                            modseq: m.modseq,
                                        })
                                        .collect(),
                                ),
                                None => (Vec::new(), Vec::new()),
                            };
                            server.select_ok(MailboxView {
                                uids: state.messages.iter().map(|m| m.uid).collect(),
                                uid_validity: state.uid_validity,
                                uid_next: state.uid_next,
                                first_unseen,
                                highest_modseq: Some(state.highest_modseq),
                                vanished,
                                changed,
                                ..MailboxView::default()
                            });
                            generation = ctx.store.generation();
                            sel = Some(Selected {
                                name,
                                messages: state.messages,
                                read_only: examine,
                            });
                        }
                        Err(e) => no(&mut server, &e),
                    }
                }
                Event::Create { mailbox, .. } => {
                    // ServerConfig::create_special_use stays off: a CREATE with USE is
                    // answered NO [USEATTR] by the machine and never reaches here.
                    let name = mbox_name(&mailbox);
                    let u = user.as_deref().unwrap_or_default();
                    if ctx.store.mailbox_exists(u, &name) {
                        server.complete(Status::No, Some(Code::AlreadyExists), "Mailbox exists.");
                    } else {
                        result(&mut server, ctx.store.create_mailbox(u, &name));
                    }
                }
                Event::Delete(mailbox) => {
                    let name = mbox_name(&mailbox);
                    let u = user.as_deref().unwrap_or_default();
                    if name == "INBOX" {
                        server.complete(Status::No, Some(Code::Cannot), "INBOX can't be deleted.");
                    } else if ctx.store.mailbox_exists(u, &name) {
                        // Inferior names stay; the name lives on as \Noselect through them.
                        if sel.as_ref().is_some_and(|s| s.name == name) {
                            sel = None;
                        }
                        result(&mut server, ctx.store.delete_mailbox(u, &name));
                    } else if ctx.store.has_children(u, &name) {
                        server.complete(
                            Status::No,
                            Some(Code::HasChildren),
                            "Mailbox has children, delete them first.",
                        );
                    } else {
                        server.complete(Status::No, Some(Code::NonExistent), "No such mailbox.");
                    }
                }
                Event::Rename { from, to } => {
                    let (from, to) = (mbox_name(&from), mbox_name(&to));
                    let u = user.as_deref().unwrap_or_default();
                    match ctx.store.rename_mailbox(u, &from, &to) {
                        Ok(()) => {
                            if from != "INBOX"
                                && let Some(s) = sel.as_mut()
                                && (s.name == from || s.name.starts_with(&format!("{from}/")))
                            {
                                s.name = format!("{to}{}", &s.name[from.len()..]);
                            }
                            server.complete(Status::Ok, None, "");
                        }
                        Err(e) => {
                            let code = match e.kind() {
                                io::ErrorKind::NotFound => Some(Code::NonExistent),
                                io::ErrorKind::AlreadyExists => Some(Code::AlreadyExists),
                                io::ErrorKind::InvalidInput => Some(Code::Cannot),
                                _ => None,
                            };
                            server.complete(Status::No, code, &e.to_string());
                        }
                    }
                }
                Event::List {
                    reference,
                    patterns,
                    lsub,
                    options,
                } => {
                    let u = user.as_deref().unwrap_or_default();
                    list(&mut server, ctx, u, &reference, &patterns, lsub, &options);
                    server.complete(Status::Ok, None, "");
                }
                Event::Subscribe { mailbox, subscribe } => {
                    let u = user.as_deref().unwrap_or_default();
                    let name = mbox_name(&mailbox);
                    if subscribe && !ctx.store.mailbox_exists(u, &name) {
                        server.complete(Status::No, Some(Code::NonExistent), "No such mailbox.");
                    } else {
                        result(&mut server, ctx.store.subscribe(u, &name, subscribe));
                    }
                }
                Event::Status { mailbox, items } => {
                    let name = mbox_name(&mailbox);
                    let u = user.as_deref().unwrap_or_default();
                    if !ctx.store.mailbox_exists(u, &name) {
                        server.complete(Status::No, Some(Code::NonExistent), "No such mailbox.");
                        continue;
                    }
                    match ctx.store.scan(u, &name) {
                        Ok(state) => {
                            let count = |f: &dyn Fn(&StoredMessage) -> bool| {
                                state.messages.iter().filter(|m| f(m)).count() as u64
                            };
                            let values = items
                                .into_iter()
                                .map(|i| {
                                    let v = match i {
                                        StatusItem::Messages => state.messages.len() as u64,
                                        StatusItem::UidNext => u64::from(state.uid_next),
                                        StatusItem::UidValidity => u64::from(state.uid_validity),
                                        StatusItem::Unseen => {
                                            count(&|m| !m.flags.contains(Flags::SEEN))
                                        }
                                        StatusItem::Deleted => {
                                            count(&|m| m.flags.contains(Flags::TRASHED))
                                        }
                                        StatusItem::Size => {
                                            state.messages.iter().map(|m| m.size).sum()
                                        }
                                        StatusItem::HighestModSeq => state.highest_modseq,
                                        _ => 0,
                                    };
                                    (i, v)
                                })
                                .collect();
                            server.status(mailbox, values);
                            server.complete(Status::Ok, None, "");
                        }
                        Err(e) => no(&mut server, &e),
                    }
                }
                Event::AppendBegin { .. } => append.push(Vec::new()),
                Event::AppendData(d) => {
                    if let Some(last) = append.last_mut() {
                        last.extend_from_slice(&d);
                    }
                }
                Event::AppendEnd => {}
                Event::Append { mailbox, messages } => {
                    let name = mbox_name(&mailbox);
                    let u = user.as_deref().unwrap_or_default().to_owned();
                    let bodies = std::mem::take(&mut append);
                    if !ctx.store.mailbox_exists(&u, &name) {
                        server.complete(Status::No, Some(Code::TryCreate), "No such mailbox.");
                        continue;
                    }
                    let mut uids = Vec::new();
                    let mut err = None;
                    for (body, (flags, _date)) in bodies.iter().zip(messages.iter()) {
                        let f = flags.as_deref().map_or(Flags::EMPTY, to_maildir);
                        match ctx.store.deliver(&u, &name, body, f) {
                            Ok(uid) => uids.push(uid),
                            Err(e) => err = Some(e),
                        }
                    }
                    match err {
                        Some(e) => no(&mut server, &e),
                        None => {
                            let validity = ctx.store.scan(&u, &name).map_or(0, |s| s.uid_validity);
                            server.append_ok(Some((validity, uids)));
                        }
                    }
                }
                Event::Fetch {
                    messages,
                    attrs,
                    changed_since,
                    vanished,
                    ..
                } => {
                    if vanished
                        && let (Some(u), Some(s)) = (user.as_deref(), sel.as_ref())
                        && let Ok(state) = ctx.store.scan(u, &s.name)
                    {
                        server.vanished_earlier(&state.vanished_since(changed_since.unwrap_or(0)));
                    }
                    let want_bytes = attrs.iter().any(needs_bytes);
                    let sets_seen = sel.as_ref().is_some_and(|s| !s.read_only)
                        && attrs.iter().any(|a| {
                            matches!(
                                a,
                                FetchAttr::BodySection { peek: false, .. }
                                    | FetchAttr::Binary { peek: false, .. }
                                    | FetchAttr::Rfc822
                                    | FetchAttr::Rfc822Text
                            )
                        });
                    // \Seen implied by the FETCH is stored first (one scan for all the
                    // messages), so each message's one FETCH line carries it with the new
                    // mod-sequence (RFC 7162 3.1.4.1). `before`: (UID, flags before).
                    let mut before: Vec<(u32, Flags)> = Vec::new();
                    if sets_seen && let (Some(u), Some(s)) = (user.as_deref(), sel.as_mut()) {
                        let mut want: Vec<u32> = messages
                            .iter()
                            .filter_map(|m| super::store::by_uid(&s.messages, m.uid))
                            .filter(|m| changed_since.is_none_or(|c| m.modseq > c))
                            .filter(|m| !m.flags.contains(Flags::SEEN))
                            .map(|m| m.uid)
                            .collect();
                        want.sort_unstable();
                        if !want.is_empty()
                            && let Ok(state) = ctx.store.update_flags(u, &s.name, |m| {
                                if m.flags.contains(Flags::SEEN)
                                    || want.binary_search(&m.uid).is_err()
                                {
                                    return None;
                                }
                                before.push((m.uid, m.flags));
                                Some(m.flags | Flags::SEEN)
                            })
                        {
                            adopt(s, &state, &before);
                        } else {
                            before.clear();
                        }
                    }
                    let stored = sel.as_ref().map_or(&[][..], |s| &s.messages[..]);
                    for m in messages {
                        let Some(msg) = super::store::by_uid(stored, m.uid) else {
                            continue;
                        };
                        let was = before
                            .binary_search_by_key(&msg.uid, |b| b.0)
                            .ok()
                            .and_then(|i| before.get(i))
                            .map(|b| b.1);
                        if was.is_none() && changed_since.is_some_and(|c| msg.modseq <= c) {
                            continue;
                        }
                        let bytes = if want_bytes {
                            std::fs::read(&msg.path).ok()
                        } else {
                            None
                        };
                        let data = MessageData {
                            uid: msg.uid,
                            flags: to_imap(was.unwrap_or(msg.flags)),
                            internal_date: imap_date(msg.internal_date).into(),
                            size: bytes.as_ref().map_or(msg.size, |b| b.len() as u64),
                            bytes: bytes.as_deref(),
                            envelope: None,
                            body_structure: None,
                        };
                        if was.is_some() {
                            server.fetch_message_seen_stored(m.seq, &data, Some(msg.modseq));
                        } else {
                            // Not stored above (e.g. the store failed): the machine asks
                            // with SeenSet.
                            server.fetch_message_modseq(m.seq, &data, Some(msg.modseq));
                        }
                    }
                    server.complete(Status::Ok, None, "");
                }
                Event::SeenSet { uid } => {
                    mark_seen(&mut server, ctx, user.as_deref(), sel.as_mut(), uid);
                }
                Event::Store {
                    messages,
                    mode,
                    flags,
                    unchanged_since,
                    ..
                } => {
                    let change = to_maildir(&flags);
                    let mut failed = None;
                    if let (Some(u), Some(s)) = (&user, &mut sel) {
                        // One scan: the closure sees fresh flags and mod-sequences (another
                        // session may have changed them), for UNCHANGEDSINCE too.
                        let mut want: Vec<(u32, u32)> = messages
                            .iter()
                            .filter(|r| super::store::by_uid(&s.messages, r.uid).is_some())
                            .map(|r| (r.uid, r.seq))
                            .collect();
                        want.sort_unstable();
                        let mut modified = Vec::new();
                        let mut done: Vec<(u32, u32)> = Vec::new();
                        let res = ctx.store.update_flags(u, &s.name, |m| {
                            let i = want.binary_search_by_key(&m.uid, |w| w.0).ok()?;
                            let seq = want.get(i)?.1;
                            if unchanged_since.is_some_and(|c| m.modseq > c) {
                                modified.push(seq);
                                return None;
                            }
                            done.push((m.uid, seq));
                            Some(match mode {
                                StoreMode::Replace => change,
                                StoreMode::Add => m.flags | change,
                                StoreMode::Remove => m.flags.without(change),
                            })
                        });
                        modified.sort_unstable();
                        for seq in modified {
                            server.store_modified(seq);
                        }
                        match res {
                            Ok(state) => {
                                let changed: Vec<(u32, Flags)> =
                                    done.iter().map(|&(uid, _)| (uid, Flags::EMPTY)).collect();
                                adopt(s, &state, &changed);
                                done.sort_unstable_by_key(|d| d.1);
                                for (uid, seq) in done {
                                    if let Ok(i) =
                                        state.messages.binary_search_by_key(&uid, |m| m.uid)
                                        && let Some(m) = state.messages.get(i)
                                    {
                                        server.store_result(seq, to_imap(m.flags), Some(m.modseq));
                                    }
                                }
                            }
                            Err(e) => {
                                repath(ctx, u, s);
                                failed = Some(e);
                            }
                        }
                    }
                    match failed {
                        Some(e) => no(&mut server, &e),
                        None => server.complete(Status::Ok, None, ""),
                    }
                }
                Event::Copy {
                    uids,
                    mailbox,
                    is_move,
                } => {
                    let dest = mbox_name(&mailbox);
                    let (Some(u), Some(s)) = (user.as_deref(), &mut sel) else {
                        server.complete(Status::Bad, None, "No mailbox.");
                        continue;
                    };
                    if !ctx.store.mailbox_exists(u, &dest) {
                        server.complete(Status::No, Some(Code::TryCreate), "No such mailbox.");
                        continue;
                    }
                    let mut src = Vec::new();
                    let mut dst = Vec::new();
                    let mut err = None;
                    for uid in uids {
                        match ctx.store.copy(u, &s.name, uid, &dest) {
                            Ok(n) => {
                                src.push(uid);
                                dst.push(n);
                            }
                            Err(e) => err = Some(e),
                        }
                    }
                    if let Some(e) = err {
                        no(&mut server, &e);
                        continue;
                    }
                    if is_move {
                        if let Err(e) = ctx.store.remove(u, &s.name, &src) {
                            no(&mut server, &e);
                            continue;
                        }
                        s.messages.retain(|m| !src.contains(&m.uid));
                        for &uid in &src {
                            server.expunged(uid);
                        }
                    }
                    let validity = ctx.store.scan(u, &dest).map_or(0, |st| st.uid_validity);
                    server.copy_ok(Some((validity, src, dst)));
                }
                Event::Expunge { uids } => {
                    expunge(
                        &mut server,
                        ctx,
                        user.as_deref(),
                        sel.as_mut(),
                        uids.as_deref(),
                    );
                    let code = highest(ctx, user.as_deref(), sel.as_ref())
                        .filter(|_| server.condstore_enabled())
                        .map(Code::HighestModSeq);
                    server.complete(Status::Ok, code, "");
                }
                Event::Close { expunge: ex } => {
                    if ex {
                        expunge(&mut server, ctx, user.as_deref(), sel.as_mut(), None);
                    }
                    sel = None;
                    server.complete(Status::Ok, None, "");
                }
                Event::Search { uid, keys, .. } => {
                    let stored = sel.as_ref().map_or(&[][..], |s| &s.messages[..]);
                    let hits = search(stored, &keys);
                    let modseq = hits.iter().map(|&(i, _)| stored[i].modseq).max();
                    let ids: Vec<u32> = hits
                        .iter()
                        .map(|&(i, seq)| if uid { stored[i].uid } else { seq })
                        .collect();
                    server.search_result_modseq(&ids, modseq);
                }
                Event::Sort {
                    uid,
                    criteria,
                    keys,
                } => {
                    let stored = sel.as_ref().map_or(&[][..], |s| &s.messages[..]);
                    let k = sort_keys(stored, &keys, uid);
                    server.sort_result(&correo_imap::mime::sort::sort(&criteria, &k));
                }
                Event::Thread {
                    uid,
                    algorithm,
                    keys,
                } => {
                    let stored = sel.as_ref().map_or(&[][..], |s| &s.messages[..]);
                    let k = sort_keys(stored, &keys, uid);
                    server.thread_result(correo_imap::mime::sort::thread(algorithm, &k));
                }
                Event::Noop => {
                    refresh(&mut server, ctx, user.as_deref(), sel.as_mut());
                    server.complete(Status::Ok, None, "");
                }
                Event::Idle => {
                    idling = true;
                    let _ = link.conn.tcp().set_read_timeout(Some(IDLE_POLL));
                }
                Event::IdleDone => {
                    idling = false;
                    let _ = link
                        .conn
                        .tcp()
                        .set_read_timeout(Some(Duration::from_secs(600)));
                }
                Event::Closed => {
                    flush(&mut server, &mut link)?;
                    return Ok(());
                }
                _ => {}
            }
        }
        flush(&mut server, &mut link)?;
        if upgrade {
            let Some(tls) = &ctx.tls else {
                return Err(io::Error::other("STARTTLS without a certificate"));
            };
            link.conn = link.conn.into_tls_server(Arc::clone(tls))?;
            server.tls_established();
            continue;
        }
        if idling {
            let now = ctx.store.generation();
            if now != generation {
                generation = now;
                refresh(&mut server, ctx, user.as_deref(), sel.as_mut());
                flush(&mut server, &mut link)?;
            }
        }
        let n = match link.conn.read(&mut buf) {
            Ok(n) => n,
            Err(e)
                if idling
                    && matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
            {
                continue;
            }
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(());
        }
        let data = buf.get(..n).unwrap_or_default();
        match link.deflate.as_mut() {
            Some(d) => d.decompress(data, |plain| server.receive(plain))?,
            None => server.receive(data),
        }
    }
}

/// Stores `\Seen` set by a body fetch (once). With CONDSTORE enabled, the new flags and
/// mod-sequence are reported (the FETCH line carried the old mod-sequence).
fn mark_seen(
    server: &mut Server,
    ctx: &Ctx,
    user: Option<&str>,
    sel: Option<&mut Selected>,
    uid: u32,
) {
    let (Some(u), Some(s)) = (user, sel) else {
        return;
    };
    if !s
        .messages
        .iter()
        .any(|m| m.uid == uid && !m.flags.contains(Flags::SEEN))
    {
        return;
    }
    let mut changed = Vec::new();
    let Ok(state) = ctx.store.update_flags(u, &s.name, |m| {
        (m.uid == uid && !m.flags.contains(Flags::SEEN)).then(|| {
            changed.push((m.uid, m.flags));
            m.flags | Flags::SEEN
        })
    }) else {
        return;
    };
    adopt(s, &state, &changed);
    if server.condstore_enabled()
        && let Some(m) = super::store::by_uid(&s.messages, uid)
    {
        server.message_changed(uid, to_imap(m.flags), Some(m.modseq));
    }
}

/// The highest mod-sequence of the selected mailbox now.
fn highest(ctx: &Ctx, user: Option<&str>, sel: Option<&Selected>) -> Option<u64> {
    let (u, s) = (user?, sel?);
    ctx.store.scan(u, &s.name).ok().map(|st| st.highest_modseq)
}

/// The messages matching `keys`: (index in `stored`, sequence number).
fn search(stored: &[StoredMessage], keys: &[SearchKey<'_>]) -> Vec<(usize, u32)> {
    let max_seq = u32::try_from(stored.len()).unwrap_or(u32::MAX);
    let max_uid = stored.last().map_or(0, |m| m.uid);
    let mut hits = Vec::new();
    for (i, m) in stored.iter().enumerate() {
        let seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let bytes = std::fs::read(&m.path).unwrap_or_default();
        let parsed = correo_mime::message::Message::parse(&bytes);
        let flags = to_imap(m.flags);
        let date = imap_date(m.internal_date);
        let input = SearchInput {
            seq,
            uid: m.uid,
            max_seq,
            max_uid,
            flags: &flags,
            recent: false,
            internal_date: &date,
            size: m.size,
            message: Some(&parsed),
            modseq: m.modseq,
        };
        if matches_all(keys, &input) {
            hits.push((i, seq));
        }
    }
    hits
}

/// SORT/THREAD keys of the messages matching `keys` (the header is all they need).
fn sort_keys(stored: &[StoredMessage], keys: &[SearchKey<'_>], uid: bool) -> Vec<SortKeys> {
    search(stored, keys)
        .into_iter()
        .filter_map(|(i, seq)| {
            let m = stored.get(i)?;
            let bytes = std::fs::read(&m.path).unwrap_or_default();
            let end = correo_mime::header::find_block_end(&bytes).unwrap_or(bytes.len());
            let header = correo_mime::header::parse_block(bytes.get(..end).unwrap_or_default());
            Some(SortKeys::from_header(
                if uid { m.uid } else { seq },
                seq,
                m.size,
                &imap_date(m.internal_date),
                &header,
            ))
        })
        .collect()
}

/// LIST / LSUB (and LIST-EXTENDED `(SUBSCRIBED)` selection and return option).
fn list(
    server: &mut Server,
    ctx: &Ctx,
    user: &str,
    reference: &Mailbox<'_>,
    patterns: &[Mailbox<'_>],
    lsub: bool,
    options: &correo_imap::types::ListOptions<'_>,
) {
    let has = |v: &Option<Vec<std::borrow::Cow<'_, str>>>, w: &str| {
        v.as_ref()
            .is_some_and(|v| v.iter().any(|x| x.eq_ignore_ascii_case(w)))
    };
    let only_subscribed = lsub || has(&options.select, "SUBSCRIBED");
    let show_subscribed = has(&options.ret, "SUBSCRIBED") || has(&options.select, "SUBSCRIBED");
    let subs = ctx.store.subscriptions(user).unwrap_or_default();
    let tree = ctx.store.hierarchy(user).unwrap_or_default();
    let mut entries: Vec<(String, bool)> = if only_subscribed {
        subs.iter()
            .map(|n| {
                let noselect = !tree.iter().any(|(t, ns)| t == n && !ns);
                (n.clone(), noselect)
            })
            .collect()
    } else {
        tree.clone()
    };
    entries.sort_by(|a, b| {
        (a.0 != "INBOX")
            .cmp(&(b.0 != "INBOX"))
            .then_with(|| a.0.cmp(&b.0))
    });
    let refn = String::from_utf8_lossy(&reference.0).into_owned();
    for p in patterns {
        let pat = format!("{refn}{}", String::from_utf8_lossy(&p.0));
        if pat.is_empty() {
            server.list_item(ListItem {
                attributes: vec![Flag::Extension("Noselect".into())],
                delimiter: Some(b'/'),
                mailbox: Mailbox(b"".as_slice().into()),
                extended: None,
            });
            continue;
        }
        for (n, noselect) in entries
            .iter()
            .filter(|(n, _)| wildcard(pat.as_bytes(), n.as_bytes()))
        {
            let prefix = format!("{n}/");
            let children = tree.iter().any(|(c, _)| c.starts_with(&prefix));
            let mut attributes = Vec::new();
            if *noselect {
                attributes.push(Flag::Extension("Noselect".into()));
            }
            if !lsub {
                attributes.push(Flag::Extension(
                    if children {
                        "HasChildren"
                    } else {
                        "HasNoChildren"
                    }
                    .into(),
                ));
            }
            if show_subscribed && subs.contains(n) {
                attributes.push(Flag::Extension("Subscribed".into()));
            }
            server.list_item(ListItem {
                attributes,
                delimiter: Some(b'/'),
                mailbox: Mailbox(n.as_bytes().to_vec().into()),
                extended: None,
            });
        }
    }
}

/// Follows renamed files (flag changes move them) without reporting anything.
fn repath(ctx: &Ctx, user: &str, sel: &mut Selected) {
    let Ok(state) = ctx.store.scan(user, &sel.name) else {
        return;
    };
    for m in &mut sel.messages {
        if let Some(n) = super::store::by_uid(&state.messages, m.uid) {
            m.path.clone_from(&n.path);
            m.modseq = n.modseq;
        }
    }
}

/// Takes paths and mod-sequences from `state` (a scan just made); the flags too for the
/// messages in `changed` (UIDs in ascending order; the flags there are not used), which
/// this session changed itself. Other flag changes are left for [`refresh`] to report.
fn adopt(sel: &mut Selected, state: &super::store::MailboxState, changed: &[(u32, Flags)]) {
    for m in &mut sel.messages {
        if let Ok(i) = state.messages.binary_search_by_key(&m.uid, |n| n.uid)
            && let Some(n) = state.messages.get(i)
        {
            m.path.clone_from(&n.path);
            m.modseq = n.modseq;
            if changed.binary_search_by_key(&m.uid, |c| c.0).is_ok() {
                m.flags = n.flags;
            }
        }
    }
}

/// Rescans the selected mailbox and reports new and vanished messages.
fn refresh(server: &mut Server, ctx: &Ctx, user: Option<&str>, sel: Option<&mut Selected>) {
    let (Some(u), Some(s)) = (user, sel) else {
        return;
    };
    let Ok(state) = ctx.store.scan(u, &s.name) else {
        return;
    };
    for old in &s.messages {
        if super::store::by_uid(&state.messages, old.uid).is_none() {
            server.expunged(old.uid);
        }
    }
    for new in &state.messages {
        match super::store::by_uid(&s.messages, new.uid) {
            None => server.exists(new.uid),
            Some(old) if old.flags != new.flags => {
                server.message_changed(new.uid, to_imap(new.flags), Some(new.modseq));
            }
            Some(_) => {}
        }
    }
    s.messages = state.messages;
}

fn expunge(
    server: &mut Server,
    ctx: &Ctx,
    user: Option<&str>,
    sel: Option<&mut Selected>,
    only: Option<&[u32]>,
) {
    let (Some(u), Some(s)) = (user, sel) else {
        return;
    };
    let gone: Vec<u32> = s
        .messages
        .iter()
        .filter(|m| m.flags.contains(Flags::TRASHED))
        .filter(|m| only.is_none_or(|o| o.contains(&m.uid)))
        .map(|m| m.uid)
        .collect();
    if gone.is_empty() || ctx.store.remove(u, &s.name, &gone).is_err() {
        return;
    }
    s.messages.retain(|m| !gone.contains(&m.uid));
    for uid in gone {
        server.expunged(uid);
    }
}

/// AUTHENTICATE PLAIN: `authzid NUL user NUL password`.
fn plain(server: &mut Server, ctx: &Ctx, data: &[u8], user: &mut Option<String>) {
    let mut parts = data.split(|&b| b == 0);
    let (Some(authz), Some(name), Some(pass), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        server.reject_login("Malformed PLAIN response.");
        return;
    };
    let name = String::from_utf8_lossy(name).into_owned();
    if (authz.is_empty() || authz == name.as_bytes())
        && ctx.users.check(&name, &String::from_utf8_lossy(pass))
    {
        *user = Some(name);
        server.accept_login();
    } else {
        server.reject_login("Authentication failed.");
    }
}

fn mbox_name(m: &Mailbox<'_>) -> String {
    let s = String::from_utf8_lossy(&m.0).into_owned();
    if s.eq_ignore_ascii_case("INBOX") {
        "INBOX".into()
    } else {
        s
    }
}

fn no(server: &mut Server, e: &io::Error) {
    server.complete(Status::No, None, &e.to_string());
}

fn result(server: &mut Server, r: io::Result<()>) {
    match r {
        Ok(()) => server.complete(Status::Ok, None, ""),
        Err(e) => no(server, &e),
    }
}

/// IMAP LIST pattern: `*` matches anything, `%` anything but the delimiter.
fn wildcard(pat: &[u8], name: &[u8]) -> bool {
    match pat.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => {
            (0..=name.len()).any(|i| wildcard(rest, name.get(i..).unwrap_or_default()))
        }
        Some((b'%', rest)) => {
            let stop = name.iter().position(|&b| b == b'/').unwrap_or(name.len());
            (0..=stop).any(|i| wildcard(rest, name.get(i..).unwrap_or_default()))
        }
        Some((c, rest)) => name
            .split_first()
            .is_some_and(|(n, nr)| n == c && wildcard(rest, nr)),
    }
}

fn to_maildir(flags: &[Flag<'_>]) -> Flags {
    let mut f = Flags::EMPTY;
    for flag in flags {
        f |= match flag {
            Flag::Seen => Flags::SEEN,
            Flag::Answered => Flags::REPLIED,
            Flag::Flagged => Flags::FLAGGED,
            Flag::Deleted => Flags::TRASHED,
            Flag::Draft => Flags::DRAFT,
            _ => Flags::EMPTY,
        };
    }
    f
}

fn to_imap(f: Flags) -> Vec<Flag<'static>> {
    [
        (Flags::REPLIED, Flag::Answered),
        (Flags::FLAGGED, Flag::Flagged),
        (Flags::TRASHED, Flag::Deleted),
        (Flags::SEEN, Flag::Seen),
        (Flags::DRAFT, Flag::Draft),
    ]
    .into_iter()
    .filter(|(m, _)| f.contains(*m))
    .map(|(_, fl)| fl)
    .collect()
}

/// Seconds since the epoch as an IMAP date-time (`22-Nov-2026 23:20:45 +0000`).
fn imap_date(secs: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let month = usize::try_from(m - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("Jan");
    format!(
        "{d:02}-{month}-{y} {:02}:{:02}:{:02} +0000",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn flush(server: &mut Server, link: &mut Link) -> io::Result<()> {
    let mut out = Vec::new();
    while let Some(bytes) = server.poll_transmit() {
        out.extend_from_slice(&bytes);
    }
    if out.is_empty() {
        return Ok(());
    }
    match link.deflate.as_mut() {
        Some(d) => {
            let z = d.compress(&out)?;
            link.conn.write_all(&z)?;
        }
        None => link.conn.write_all(&out)?,
    }
    link.conn.flush()
}
