//! The POP3 side of `correo serve`: correo-pop3's server machine over a socket, reading the
//! same Maildirs the SMTP side writes. UIDL is the Maildir unique name (stable across
//! sessions); deletions happen only in the UPDATE state after `QUIT`.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use correo_pop3::server::{Event, MessageInfo, Server, ServerConfig, ServerPhase};
use correo_wire::sasl::scram::{ScramCredentials, ScramHash};
use correo_wire::sasl::{Mechanism, ServerConfig as SaslConfig};

use super::Ctx;
use super::store::StoredMessage;
use crate::net::{self, Conn};

const CHUNK: usize = 64 * 1024;

/// Serves one POP3 session.
pub(crate) fn handle(mut conn: Conn, ctx: &Ctx, implicit_tls: bool) -> io::Result<()> {
    let timestamp = format!(
        "<{}.{}@{}>",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros()),
        ctx.hostname
    );
    let mut server = Server::new(ServerConfig {
        greeting: b"correo POP3 server ready.".to_vec(),
        apop_timestamp: Some(timestamp.into_bytes()),
        stls: ctx.tls.is_some() && !implicit_tls,
        implicit_tls,
        allow_cleartext_login: ctx.insecure_auth,
        mechanisms: vec![
            Mechanism::ScramSha256,
            Mechanism::CramMd5,
            Mechanism::Plain,
            Mechanism::Login,
        ],
        sasl: SaslConfig {
            scram_nonce: Some(net::random_token(24)),
            cram_challenge: Some(format!("<{}@{}>", net::random_token(12), ctx.hostname)),
            ..SaslConfig::default()
        },
        implementation: Some(b"correo".to_vec()),
        ..ServerConfig::default()
    });
    let mut user: Option<String> = None;
    let mut messages: Vec<StoredMessage> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        flush(&mut server, &mut conn)?;
        let mut upgrade = false;
        while let Some(event) = server.poll_event() {
            match event {
                Event::CheckPassword {
                    user: name,
                    password,
                    authzid,
                } => {
                    let name = String::from_utf8_lossy(&name).into_owned();
                    let ok = authzid.as_ref().is_none_or(|z| *z == name)
                        && ctx.users.check(&name, &String::from_utf8_lossy(&password));
                    login(
                        &mut server,
                        ctx,
                        ok.then_some(name),
                        &mut user,
                        &mut messages,
                    )?;
                }
                Event::CheckApop {
                    user: name,
                    digest,
                    timestamp,
                } => {
                    let name = String::from_utf8_lossy(&name).into_owned();
                    let ok = ctx.users.password(&name).is_some_and(|secret| {
                        correo_pop3::codec::apop_digest_matches(
                            &correo_pop3::codec::apop_digest(&timestamp, secret.as_bytes()),
                            &digest,
                        )
                    });
                    login(
                        &mut server,
                        ctx,
                        ok.then_some(name),
                        &mut user,
                        &mut messages,
                    )?;
                }
                Event::NeedCramSecret { user: name } => match ctx.users.password(&name) {
                    Some(secret) => map(server.cram_secret(secret.as_bytes()))?,
                    None => login(&mut server, ctx, None, &mut user, &mut messages)?,
                },
                Event::NeedScramCredentials { user: name, .. } => {
                    // Unknown users get made-up credentials so the exchange does not reveal them.
                    let password = ctx
                        .users
                        .password(&name)
                        .map_or_else(|| net::random_token(16), str::to_owned);
                    let mut salt = b"correo-serve:".to_vec();
                    salt.extend_from_slice(name.as_bytes());
                    match ScramCredentials::derive(ScramHash::Sha256, &password, &salt, 4096) {
                        Ok(creds) => map(server.scram_credentials(&creds))?,
                        Err(_) => login(&mut server, ctx, None, &mut user, &mut messages)?,
                    }
                }
                Event::CheckToken(_) => login(&mut server, ctx, None, &mut user, &mut messages)?,
                Event::OpenMaildrop {
                    user: name,
                    authzid,
                } => {
                    let ok = authzid.as_ref().is_none_or(|z| *z == name)
                        && ctx.users.password(&name).is_some();
                    login(
                        &mut server,
                        ctx,
                        ok.then_some(name),
                        &mut user,
                        &mut messages,
                    )?;
                }
                Event::Retrieve { msg, .. } => {
                    let bytes = usize::try_from(msg)
                        .ok()
                        .and_then(|m| m.checked_sub(1))
                        .and_then(|i| messages.get(i))
                        .map(|m| std::fs::read(&m.path));
                    match bytes {
                        Some(Ok(bytes)) => {
                            for chunk in bytes.chunks(CHUNK) {
                                map(server.message_data(chunk))?;
                                if !server.wants_message_data() {
                                    break;
                                }
                            }
                            map(server.message_end())?;
                        }
                        _ => map(server.message_unavailable(b"message is gone"))?,
                    }
                }
                Event::Update { deleted } => {
                    let uids: Vec<u32> = deleted
                        .iter()
                        .filter_map(|d| messages.iter().find(|m| m.unique.as_bytes() == d.uid))
                        .map(|m| m.uid)
                        .collect();
                    let ok = match &user {
                        Some(u) => ctx.store.remove(u, "INBOX", &uids).is_ok(),
                        None => false,
                    };
                    map(server.update_complete(ok))?;
                }
                Event::StartTls => upgrade = true,
                Event::Closed => {
                    flush(&mut server, &mut conn)?;
                    return Ok(());
                }
            }
        }
        flush(&mut server, &mut conn)?;
        if upgrade {
            let Some(tls) = &ctx.tls else {
                return Err(io::Error::other("STLS without a certificate"));
            };
            conn = conn.into_tls_server(Arc::clone(tls))?;
            map(server.tls_established())?;
            continue;
        }
        if server.phase() == ServerPhase::Closed {
            return Ok(());
        }
        let n = conn.read(&mut buf)?;
        if n == 0 {
            // A dropped connection deletes nothing.
            server.connection_closed();
            return Ok(());
        }
        if let Err(e) = server.receive(&buf[..n])
            && ctx.verbose
        {
            eprintln!("correo serve: pop3: {e}");
        }
    }
}

fn login(
    server: &mut Server,
    ctx: &Ctx,
    name: Option<String>,
    user: &mut Option<String>,
    messages: &mut Vec<StoredMessage>,
) -> io::Result<()> {
    let Some(name) = name else {
        return map(server.reject_login(
            Some(correo_pop3::ResponseCode::Auth),
            b"Authentication failed.",
        ));
    };
    let state = ctx.store.scan(&name, "INBOX")?;
    let maildrop = state
        .messages
        .iter()
        .map(|m| MessageInfo {
            size: m.size,
            uid: m.unique.as_bytes().to_vec(),
        })
        .collect();
    *messages = state.messages;
    *user = Some(name);
    map(server.accept_login(maildrop))
}

fn map<E: std::fmt::Display>(r: Result<(), E>) -> io::Result<()> {
    r.map_err(|e| io::Error::other(e.to_string()))
}

fn flush(server: &mut Server, conn: &mut Conn) -> io::Result<()> {
    while let Some(bytes) = server.poll_transmit() {
        conn.write_all(&bytes)?;
    }
    conn.flush()
}
