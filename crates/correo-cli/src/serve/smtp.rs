//! The SMTP side of `correo serve`: correo-smtp's server machine over a socket, delivering
//! into the users' Maildirs.

use std::io::{self, Read, Write};
use std::sync::Arc;

use correo_mime::maildir::Flags;
use correo_smtp::server::AuthRequest;
use correo_smtp::{
    EnhancedCode, ForwardPath, Reply, ReplyCode, ReversePath, Server, ServerConfig, ServerEvent,
};
use correo_wire::sasl::scram::{ScramCredentials, ScramHash};
use correo_wire::sasl::{Mechanism, ServerConfig as SaslConfig};

use super::Ctx;
use crate::net::{self, Conn};

fn reply(code: ReplyCode, enhanced: (u8, u16, u16), text: &str) -> Reply<'static> {
    Reply::new(
        code,
        EnhancedCode::new(enhanced.0, enhanced.1, enhanced.2),
        text.to_owned(),
    )
}

fn sasl_config(ctx: &Ctx) -> SaslConfig {
    SaslConfig {
        scram_nonce: Some(net::random_token(24)),
        cram_challenge: Some(format!(
            "<{}.{}@{}>",
            net::random_token(12),
            net::unix_now(),
            ctx.hostname
        )),
        ..SaslConfig::default()
    }
}

/// RFC 5322 date for trace headers, in UTC.
pub(crate) fn rfc5322_now() -> String {
    let secs = net::unix_now();
    correo_mime::header::DateTime::from_unix(secs as i64, Some(0))
        .map_or_else(String::new, |d| d.to_rfc5322())
}

/// Serves one SMTP session.
pub(crate) fn handle(mut conn: Conn, ctx: &Ctx, implicit_tls: bool) -> io::Result<()> {
    let peer = conn.tcp().peer_addr().ok();
    let mut server = Server::new(ServerConfig {
        hostname: ctx.hostname.clone(),
        starttls: ctx.tls.is_some() && !implicit_tls,
        implicit_tls,
        auth_mechanisms: vec![
            Mechanism::ScramSha256,
            Mechanism::CramMd5,
            Mechanism::Plain,
            Mechanism::Login,
        ],
        auth_without_tls: ctx.insecure_auth,
        sasl: sasl_config(ctx),
        ..ServerConfig::default()
    });
    let mut from: Option<ReversePath<'static>> = None;
    let mut users: Vec<String> = Vec::new();
    let mut body: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let log = ctx.verbose;
    loop {
        flush(&mut server, &mut conn, log)?;
        let mut upgrade = false;
        while let Some(event) = server.poll_event() {
            match event {
                ServerEvent::MailFrom { from: f, .. } => {
                    from = Some(f);
                    users.clear();
                    body.clear();
                    server.accept();
                }
                ServerEvent::RcptTo { to, .. } => {
                    let user = match &to {
                        ForwardPath::Postmaster => {
                            ctx.users.names().first().map(|s| (*s).to_owned())
                        }
                        ForwardPath::Mailbox(m) => {
                            ctx.users.for_address(&m.local_part).map(str::to_owned)
                        }
                    };
                    match user {
                        Some(u) => {
                            users.push(u);
                            server.accept();
                        }
                        None => server.reject(reply(
                            ReplyCode::MAILBOX_UNAVAILABLE,
                            (5, 1, 1),
                            "Recipient address rejected: User unknown",
                        )),
                    }
                }
                ServerEvent::DataStart { .. } => body.clear(),
                ServerEvent::Data(chunk) => body.extend_from_slice(&chunk),
                ServerEvent::DataRejected(_) => body.clear(),
                ServerEvent::DataEnd { answers } => {
                    let peer_ip = peer.map(|p| p.ip().to_string());
                    let id = net::random_token(10);
                    let received =
                        server.received_header(peer_ip.as_deref(), Some(&id), &rfc5322_now());
                    let return_path = match &from {
                        Some(ReversePath::Mailbox(m)) => format!("Return-Path: <{m}>\r\n"),
                        _ => "Return-Path: <>\r\n".to_owned(),
                    };
                    let mut stored = Vec::with_capacity(body.len() + received.len() + 64);
                    stored.extend_from_slice(return_path.as_bytes());
                    stored.extend_from_slice(received.as_bytes());
                    if !received.ends_with("\r\n") {
                        stored.extend_from_slice(b"\r\n");
                    }
                    stored.extend_from_slice(&body);
                    let mut ok = true;
                    for user in &users {
                        if let Err(e) = ctx.store.deliver(user, "INBOX", &stored, Flags::EMPTY) {
                            ok = false;
                            if log {
                                eprintln!("correo serve: delivery to {user} failed: {e}");
                            }
                        }
                    }
                    for _ in 0..answers.max(1) {
                        if ok {
                            server.respond(reply(
                                ReplyCode::OK,
                                (2, 0, 0),
                                &format!("Ok: queued as {id}"),
                            ));
                        } else {
                            server.respond(reply(
                                ReplyCode::new(451).unwrap_or(ReplyCode::SERVICE_UNAVAILABLE),
                                (4, 3, 0),
                                "Error: local delivery failed",
                            ));
                        }
                    }
                    body = Vec::new();
                }
                ServerEvent::Auth(request) => answer_auth(&mut server, ctx, request),
                ServerEvent::Authenticated { .. } => server.set_sasl_config(sasl_config(ctx)),
                ServerEvent::Vrfy(_) | ServerEvent::Expn(_) | ServerEvent::Etrn(_) => {
                    server.respond(reply(
                        ReplyCode::CANNOT_VRFY,
                        (2, 0, 0),
                        "Cannot VRFY user, but will accept message",
                    ));
                }
                ServerEvent::Reset => {
                    users.clear();
                    body.clear();
                }
                ServerEvent::StartTls => upgrade = true,
                ServerEvent::Error(e) => {
                    if log {
                        eprintln!("correo serve: smtp: {e}");
                    }
                }
                ServerEvent::Closed => {
                    flush(&mut server, &mut conn, log)?;
                    return Ok(());
                }
                ServerEvent::Hello { .. } => {}
            }
        }
        flush(&mut server, &mut conn, log)?;
        if upgrade {
            let Some(tls) = &ctx.tls else {
                return Err(io::Error::other("STARTTLS without a certificate"));
            };
            conn = conn.into_tls_server(Arc::clone(tls))?;
            server.tls_established();
            continue;
        }
        if server.is_closed() {
            return Ok(());
        }
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        if log {
            eprint!(
                "{}",
                crate::transcript::printable(&buf[..n.min(4096)]).replace("\\x0d\\x0a", "\n")
            );
        }
        server.receive(&buf[..n]);
    }
}

fn answer_auth(server: &mut Server, ctx: &Ctx, request: AuthRequest) {
    let refused = || {
        reply(
            ReplyCode::AUTH_FAILED,
            (5, 7, 8),
            "Error: authentication failed",
        )
    };
    match request {
        AuthRequest::Password(check) => {
            if check.authzid.as_ref().is_none_or(|z| z == &check.username)
                && ctx.users.check(&check.username, &check.password)
            {
                server.accept();
            } else {
                server.reject(refused());
            }
        }
        AuthRequest::Token(_) => server.reject(refused()),
        AuthRequest::ScramCredentials { username, .. } => {
            // Only SCRAM-SHA-256 is offered.
            let hash = ScramHash::Sha256;
            // Unknown users get made-up credentials so the exchange does not reveal them.
            let password = ctx
                .users
                .password(&username)
                .map_or_else(|| net::random_token(16), str::to_owned);
            let salt = salt_for(&username);
            match ScramCredentials::derive(hash, &password, &salt, 4096) {
                Ok(creds) => server.auth_scram_credentials(&creds),
                Err(_) => server.reject(refused()),
            }
        }
        AuthRequest::CramSecret { username } => match ctx.users.password(&username) {
            Some(p) => server.auth_cram_secret(p.as_bytes()),
            None => server.reject(refused()),
        },
    }
}

/// A per-user salt (the demo server stores plain passwords, so it derives SCRAM keys on
/// the fly; a real server stores the derived keys and a random salt).
fn salt_for(user: &str) -> Vec<u8> {
    let mut salt = b"correo-serve:".to_vec();
    salt.extend_from_slice(user.as_bytes());
    salt
}

fn flush(server: &mut Server, conn: &mut Conn, log: bool) -> io::Result<()> {
    while let Some(bytes) = server.poll_transmit() {
        if log {
            eprint!("{}", String::from_utf8_lossy(&bytes));
        }
        conn.write_all(&bytes)?;
    }
    conn.flush()
}
