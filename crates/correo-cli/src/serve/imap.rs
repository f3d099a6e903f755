//! The IMAP side of `correo serve`: correo-imap's server machine over a socket, serving the
//! same Maildirs the SMTP side writes (INBOX plus folders, delimiter `/`). UIDs come from
//! the store, so they are stable across sessions; flags are the Maildir letters
//! (`\Seen` S, `\Answered` R, `\Flagged` F, `\Deleted` T, `\Draft` D). IDLE wakes when
//! the store's change counter moves (SMTP delivery).

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use correo_imap::server::{Event, MailboxView, MessageData, Server, ServerConfig, needs_bytes};
use correo_imap::types::{Code, Flag, ListItem, Mailbox, StatusItem, StoreMode};
use correo_mime::maildir::Flags;

use super::Ctx;
use super::store::StoredMessage;
use crate::net::Conn;

const IDLE_POLL: Duration = Duration::from_millis(300);

struct Selected {
    name: String,
    messages: Vec<StoredMessage>,
}

/// Serves one IMAP session.
pub(crate) fn handle(mut conn: Conn, ctx: &Ctx, implicit_tls: bool) -> io::Result<()> {
    let mut server = Server::new(ServerConfig {
        implicit_tls,
        starttls: ctx.tls.is_some() && !implicit_tls,
        allow_plaintext_auth: ctx.insecure_auth,
        auth_mechanisms: vec!["PLAIN".into()],
        ..ServerConfig::default()
    });
    let mut user: Option<String> = None;
    let mut sel: Option<Selected> = None;
    let mut append: Vec<Vec<u8>> = Vec::new();
    let mut idling = false;
    let mut generation = ctx.store.generation();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        flush(&mut server, &mut conn)?;
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
                Event::Select { mailbox, .. } => {
                    sel = None;
                    let name = mbox_name(&mailbox);
                    let u = user.as_deref().unwrap_or_default();
                    if !ctx.store.mailbox_exists(u, &name) {
                        server.complete(
                            correo_imap::types::Status::No,
                            Some(Code::NonExistent),
                            "No such mailbox.",
                        );
                        continue;
                    }
                    match ctx.store.scan(u, &name) {
                        Ok(state) => {
                            let first_unseen = state
                                .messages
                                .iter()
                                .position(|m| !m.flags.contains(Flags::SEEN))
                                .and_then(|i| u32::try_from(i + 1).ok());
                            server.select_ok(MailboxView {
                                uids: state.messages.iter().map(|m| m.uid).collect(),
                                uid_validity: state.uid_validity,
                                uid_next: state.uid_next,
                                first_unseen,
                                ..MailboxView::default()
                            });
                            generation = ctx.store.generation();
                            sel = Some(Selected {
                                name,
                                messages: state.messages,
                            });
                        }
                        Err(e) => no(&mut server, &e),
                    }
                }
                Event::Create(mailbox) => {
                    let name = mbox_name(&mailbox);
                    let u = user.as_deref().unwrap_or_default();
                    if ctx.store.mailbox_exists(u, &name) {
                        server.complete(
                            correo_imap::types::Status::No,
                            Some(Code::AlreadyExists),
                            "Mailbox exists.",
                        );
                    } else {
                        result(&mut server, ctx.store.create_mailbox(u, &name));
                    }
                }
                Event::Delete(mailbox) => {
                    let name = mbox_name(&mailbox);
                    let u = user.as_deref().unwrap_or_default();
                    if ctx.store.mailbox_exists(u, &name) {
                        result(&mut server, ctx.store.delete_mailbox(u, &name));
                    } else {
                        server.complete(
                            correo_imap::types::Status::No,
                            Some(Code::NonExistent),
                            "No such mailbox.",
                        );
                    }
                }
                Event::Rename { .. } => server.complete(
                    correo_imap::types::Status::No,
                    Some(Code::Cannot),
                    "RENAME is not supported.",
                ),
                Event::List {
                    reference,
                    patterns,
                    ..
                } => {
                    let u = user.as_deref().unwrap_or_default();
                    let names = ctx.store.mailboxes(u).unwrap_or_default();
                    let refn = String::from_utf8_lossy(&reference.0).into_owned();
                    for p in &patterns {
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
                        for n in names
                            .iter()
                            .filter(|n| wildcard(pat.as_bytes(), n.as_bytes()))
                        {
                            let children = names
                                .iter()
                                .any(|c| c.len() > n.len() + 1 && c.starts_with(&format!("{n}/")));
                            let attr = if children {
                                "HasChildren"
                            } else {
                                "HasNoChildren"
                            };
                            server.list_item(ListItem {
                                attributes: vec![Flag::Extension(attr.into())],
                                delimiter: Some(b'/'),
                                mailbox: Mailbox(n.as_bytes().to_vec().into()),
                                extended: None,
                            });
                        }
                    }
                    server.complete(correo_imap::types::Status::Ok, None, "");
                }
                Event::Subscribe { .. } => {
                    server.complete(correo_imap::types::Status::Ok, None, "");
                }
                Event::Status { mailbox, items } => {
                    let name = mbox_name(&mailbox);
                    let u = user.as_deref().unwrap_or_default();
                    if !ctx.store.mailbox_exists(u, &name) {
                        server.complete(
                            correo_imap::types::Status::No,
                            Some(Code::NonExistent),
                            "No such mailbox.",
                        );
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
                                        _ => 0,
                                    };
                                    (i, v)
                                })
                                .collect();
                            server.status(mailbox, values);
                            server.complete(correo_imap::types::Status::Ok, None, "");
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
                        server.complete(
                            correo_imap::types::Status::No,
                            Some(Code::TryCreate),
                            "No such mailbox.",
                        );
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
                    messages, attrs, ..
                } => {
                    let want_bytes = attrs.iter().any(needs_bytes);
                    let stored = sel.as_ref().map_or(&[][..], |s| &s.messages[..]);
                    for m in messages {
                        let Some(msg) = stored.iter().find(|s| s.uid == m.uid) else {
                            continue;
                        };
                        let bytes = if want_bytes {
                            std::fs::read(&msg.path).ok()
                        } else {
                            None
                        };
                        let data = MessageData {
                            uid: msg.uid,
                            flags: to_imap(msg.flags),
                            internal_date: imap_date(msg.internal_date).into(),
                            size: bytes.as_ref().map_or(msg.size, |b| b.len() as u64),
                            bytes: bytes.as_deref(),
                            envelope: None,
                            body_structure: None,
                        };
                        server.fetch_message(m.seq, &data);
                    }
                    server.complete(correo_imap::types::Status::Ok, None, "");
                }
                Event::SeenSet { uid } => {
                    if let (Some(u), Some(s)) = (&user, &mut sel)
                        && let Some(m) = s.messages.iter_mut().find(|m| m.uid == uid)
                    {
                        let f = m.flags | Flags::SEEN;
                        if ctx.store.set_flags(u, &s.name, uid, f).is_ok() {
                            m.flags = f;
                        }
                        repath(ctx, u, s);
                    }
                }
                Event::Store {
                    messages,
                    mode,
                    flags,
                    ..
                } => {
                    let change = to_maildir(&flags);
                    let mut failed = None;
                    if let (Some(u), Some(s)) = (&user, &mut sel) {
                        for r in messages {
                            let Some(m) = s.messages.iter_mut().find(|m| m.uid == r.uid) else {
                                continue;
                            };
                            let f = match mode {
                                StoreMode::Replace => change,
                                StoreMode::Add => m.flags | change,
                                StoreMode::Remove => m.flags.without(change),
                            };
                            match ctx.store.set_flags(u, &s.name, m.uid, f) {
                                Ok(()) => {
                                    m.flags = f;
                                    server.store_flags(r.seq, to_imap(f));
                                }
                                Err(e) => failed = Some(e),
                            }
                        }
                        repath(ctx, u, s);
                    }
                    match failed {
                        Some(e) => no(&mut server, &e),
                        None => server.complete(correo_imap::types::Status::Ok, None, ""),
                    }
                }
                Event::Copy {
                    uids,
                    mailbox,
                    is_move,
                } => {
                    let dest = mbox_name(&mailbox);
                    let (Some(u), Some(s)) = (user.as_deref(), &mut sel) else {
                        server.complete(correo_imap::types::Status::Bad, None, "No mailbox.");
                        continue;
                    };
                    if !ctx.store.mailbox_exists(u, &dest) {
                        server.complete(
                            correo_imap::types::Status::No,
                            Some(Code::TryCreate),
                            "No such mailbox.",
                        );
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
                    server.complete(correo_imap::types::Status::Ok, None, "");
                }
                Event::Close { expunge: ex } => {
                    if ex {
                        expunge(&mut server, ctx, user.as_deref(), sel.as_mut(), None);
                    }
                    sel = None;
                    server.complete(correo_imap::types::Status::Ok, None, "");
                }
                Event::Search { uid, keys, .. } => {
                    let stored = sel.as_ref().map_or(&[][..], |s| &s.messages[..]);
                    let max_seq = u32::try_from(stored.len()).unwrap_or(u32::MAX);
                    let max_uid = stored.last().map_or(0, |m| m.uid);
                    let mut hits = Vec::new();
                    for (i, m) in stored.iter().enumerate() {
                        let seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
                        let bytes = std::fs::read(&m.path).unwrap_or_default();
                        let parsed = correo_mime::message::Message::parse(&bytes);
                        let flags = to_imap(m.flags);
                        let date = imap_date(m.internal_date);
                        let input = correo_imap::mime::search::SearchInput {
                            seq,
                            uid: m.uid,
                            max_seq,
                            max_uid,
                            flags: &flags,
                            recent: false,
                            internal_date: &date,
                            size: m.size,
                            message: Some(&parsed),
                        };
                        if correo_imap::mime::search::matches_all(&keys, &input) {
                            hits.push(if uid { m.uid } else { seq });
                        }
                    }
                    server.search_result(&hits);
                }
                Event::Noop => {
                    refresh(&mut server, ctx, user.as_deref(), sel.as_mut());
                    server.complete(correo_imap::types::Status::Ok, None, "");
                }
                Event::Idle => {
                    idling = true;
                    let _ = conn.tcp().set_read_timeout(Some(IDLE_POLL));
                }
                Event::IdleDone => {
                    idling = false;
                    let _ = conn.tcp().set_read_timeout(Some(Duration::from_secs(600)));
                }
                Event::Closed => {
                    flush(&mut server, &mut conn)?;
                    return Ok(());
                }
                _ => {}
            }
        }
        flush(&mut server, &mut conn)?;
        if upgrade {
            let Some(tls) = &ctx.tls else {
                return Err(io::Error::other("STARTTLS without a certificate"));
            };
            conn = conn.into_tls_server(Arc::clone(tls))?;
            server.tls_established();
            continue;
        }
        if idling {
            let now = ctx.store.generation();
            if now != generation {
                generation = now;
                refresh(&mut server, ctx, user.as_deref(), sel.as_mut());
                flush(&mut server, &mut conn)?;
            }
        }
        let n = match conn.read(&mut buf) {
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
        server.receive(buf.get(..n).unwrap_or_default());
    }
}

/// Follows renamed files (flag changes move them) without reporting anything.
fn repath(ctx: &Ctx, user: &str, sel: &mut Selected) {
    let Ok(state) = ctx.store.scan(user, &sel.name) else {
        return;
    };
    for m in &mut sel.messages {
        if let Some(n) = state.messages.iter().find(|n| n.uid == m.uid) {
            m.path.clone_from(&n.path);
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
        if !state.messages.iter().any(|m| m.uid == old.uid) {
            server.expunged(old.uid);
        }
    }
    for new in &state.messages {
        match s.messages.iter().find(|m| m.uid == new.uid) {
            None => server.exists(new.uid),
            Some(old) if old.flags != new.flags => {
                server.flags_changed(new.uid, to_imap(new.flags));
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
    server.complete(correo_imap::types::Status::No, None, &e.to_string());
}

fn result(server: &mut Server, r: io::Result<()>) {
    match r {
        Ok(()) => server.complete(correo_imap::types::Status::Ok, None, ""),
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

fn flush(server: &mut Server, conn: &mut Conn) -> io::Result<()> {
    while let Some(bytes) = server.poll_transmit() {
        conn.write_all(&bytes)?;
    }
    conn.flush()
}
