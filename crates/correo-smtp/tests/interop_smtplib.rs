//! Interop: Python's smtplib (EHLO, AUTH PLAIN, `send_message` with 8-bit and SMTPUTF8
//! content) against the server state machine, driven by a tiny `std::net` loop on
//! 127.0.0.1. Skipped (with a message) when `python3` is missing, unless
//! `CORREO_INTEROP=1`, in which case a missing `python3` fails the test.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command as Process;
use std::time::Duration;

use correo_smtp::server::AuthRequest;
use correo_smtp::*;
use correo_wire::sasl::Mechanism;

#[derive(Debug)]
struct Message {
    from: String,
    recipients: Vec<String>,
    params: Vec<String>,
    body: Vec<u8>,
}

fn python3() -> Option<String> {
    let ok = Process::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("python3".into());
    }
    assert!(
        std::env::var("CORREO_INTEROP").as_deref() != Ok("1"),
        "interop_smtplib: python3 is required when CORREO_INTEROP=1"
    );
    eprintln!("interop_smtplib: skipped, python3 not found");
    None
}

/// Serves one connection with the server machine; returns the messages received.
fn serve_one(listener: &TcpListener) -> Vec<Message> {
    let (mut sock, _) = listener.accept().expect("accept");
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut server = Server::new(ServerConfig {
        hostname: "mx.example.test".into(),
        auth_mechanisms: vec![Mechanism::Plain, Mechanism::Login],
        auth_without_tls: true, // loopback test only
        require_auth: true,
        ..ServerConfig::default()
    });
    let mut messages = Vec::new();
    let mut current: Option<Message> = None;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        while let Some(out) = server.poll_transmit() {
            sock.write_all(&out).unwrap();
        }
        let mut closed = false;
        while let Some(ev) = server.poll_event() {
            match ev {
                ServerEvent::Auth(AuthRequest::Password(p)) => {
                    if p.username == "alice" && p.password == "secret" {
                        server.accept();
                    } else {
                        server.reject(Reply::new(ReplyCode::AUTH_FAILED, None, "bad credentials"));
                    }
                }
                ServerEvent::MailFrom { from, params } => {
                    current = Some(Message {
                        from: from.to_string(),
                        recipients: Vec::new(),
                        params: params.iter().map(ToString::to_string).collect(),
                        body: Vec::new(),
                    });
                    server.accept();
                }
                ServerEvent::RcptTo { to, .. } => {
                    if let Some(m) = current.as_mut() {
                        m.recipients.push(to.to_string());
                    }
                    server.accept();
                }
                ServerEvent::Data(d) => {
                    if let Some(m) = current.as_mut() {
                        m.body.extend_from_slice(&d);
                    }
                }
                ServerEvent::DataEnd { .. } => {
                    messages.extend(current.take());
                    server.accept();
                }
                ServerEvent::Closed => closed = true,
                ServerEvent::Error(e) => panic!("server error: {e}"),
                _ => {}
            }
        }
        while let Some(out) = server.poll_transmit() {
            sock.write_all(&out).unwrap();
        }
        if closed {
            return messages;
        }
        let n = sock.read(&mut buf).expect("read");
        if n == 0 {
            return messages;
        }
        server.receive(&buf[..n]);
    }
}

const SCRIPT: &str = r"
import smtplib, sys
from email.message import EmailMessage
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='client.example.org', timeout=20)
s.ehlo()
assert s.has_extn('pipelining') and s.has_extn('smtputf8') and s.has_extn('8bitmime')
s.login('alice', 'secret')
m = EmailMessage()
m['From'] = 'tester@example.org'
m['To'] = 'alice@localhost'
m['Subject'] = 'correo interop: smtplib'
m.set_content('Hola Alice,\n.leading dot\n\u00bfLlegan bien?\n', cte='8bit')
s.send_message(m)
m = EmailMessage()
m['From'] = 'jos\u00e9@example.org'
m['To'] = 'alice@localhost'
m['Subject'] = 'UTF-8 \u2713'
m.set_content('UTF-8 \u2713\n')
s.send_message(m)
s.quit()
";

#[test]
fn smtplib_sends_8bit_and_smtputf8_messages() {
    let Some(python) = python3() else { return };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || serve_one(&listener));
    let out = Process::new(python)
        .args(["-c", SCRIPT, &port.to_string()])
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "smtplib failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let messages = handle.join().expect("server thread");
    assert_eq!(messages.len(), 2, "{messages:?}");
    let first = &messages[0];
    assert_eq!(first.from, "<tester@example.org>");
    assert_eq!(first.recipients, vec!["<alice@localhost>"]);
    assert!(
        first.params.iter().any(|p| p.starts_with("SIZE=")),
        "{:?}",
        first.params
    );
    let body = String::from_utf8(first.body.clone()).unwrap();
    assert!(
        body.contains("Subject: correo interop: smtplib\r\n"),
        "{body}"
    );
    // smtplib dot-stuffed the line; the server un-stuffed it.
    assert!(body.contains("\r\n.leading dot\r\n"), "{body}");
    assert!(body.contains("\u{bf}Llegan bien?"), "{body}");
    assert!(body.ends_with("\r\n"));
    let second = &messages[1];
    assert_eq!(second.from, "<jos\u{e9}@example.org>");
    assert!(
        second.params.iter().any(|p| p == "SMTPUTF8"),
        "{:?}",
        second.params
    );
    assert!(String::from_utf8_lossy(&second.body).contains("UTF-8 \u{2713}"));
}
