//! Interop: Python's poplib against correo's server machine, behind a `std::net` loopback
//! listener run by this test, with an in-memory maildrop. The seed's exercise: STAT, LIST,
//! TOP 4 0, RETR 4, DELE 4, RSET, QUIT, reconnect and check the message is still there;
//! then DELE 4 + QUIT, reconnect and check it is gone.
//!
//! Skipped (with a message) when `python3` is missing, unless `CORREO_INTEROP=1`, which
//! makes a missing `python3` a failure.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::Store;
use correo_pop3::server::{Server, ServerConfig, ServerPhase};

fn python() -> Option<&'static str> {
    let ok = Command::new("python3")
        .arg("-c")
        .arg("import poplib")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some("python3")
}

fn serve_one(stream: TcpStream, store: &Mutex<Store>) {
    let mut stream = stream;
    let mut s = Server::new(ServerConfig {
        greeting: b"correo ready.".to_vec(),
        allow_cleartext_login: true,
        ..ServerConfig::default()
    });
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        store.lock().unwrap().serve(&mut s);
        while let Some(out) = s.poll_transmit() {
            if stream.write_all(&out).is_err() {
                return;
            }
        }
        if s.phase() == ServerPhase::Closed {
            return;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => {
                s.connection_closed();
                return;
            }
            Ok(n) => {
                if s.receive(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[test]
fn poplib_runs_the_seed_exercise() {
    let Some(py) = python() else {
        assert!(
            std::env::var("CORREO_INTEROP").as_deref() != Ok("1"),
            "interop_poplib: python3 with poplib is required (CORREO_INTEROP=1)"
        );
        eprintln!("interop_poplib::poplib_runs_the_seed_exercise skipped: python3 not found");
        return;
    };
    let m1 = b"Subject: uno\r\n\r\nhola\r\n".to_vec();
    let m2 = b"Subject: dos\n\nbare LF storage\n.leading dot\n".to_vec();
    let m3 = b"Subject: tres\r\n\r\n".to_vec();
    let mut m4 = b"From: <100429021@alumnos.uc3m.es>\r\nSubject: GIF\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    for _ in 0..2000 {
        m4.extend_from_slice(b"R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==\r\n");
    }
    m4.extend_from_slice(b".\r\n..\r\nend\r\n");
    let store = Arc::new(Mutex::new(
        Store {
            piece: 1000,
            ..Store::default()
        }
        .user("0429021", "MiSuperContraseña", &[&m1, &m2, &m3, &m4]),
    ));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server_store = Arc::clone(&store);
    let server = std::thread::spawn(move || {
        for stream in listener.incoming().take(3) {
            serve_one(stream.unwrap(), &server_store);
        }
    });

    let sizes: Vec<usize> = [&m1, &m2, &m3, &m4]
        .iter()
        .map(|m| correo_wire::dot::normalize_line_endings(m).len())
        .collect();
    let total: usize = sizes.iter().sum();
    let header_end = m4.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let script = format!(
        r#"
import poplib, sys
port = {port}
m4 = bytes.fromhex("{m4}")
sizes = {sizes:?}
total = {total}
def login():
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    p.user("0429021")
    p.pass_("MiSuperContraseña")
    return p
p = login()
assert p.stat() == (4, total), p.stat()
resp, listing, _ = p.list()
assert [int(l.split()[1]) for l in listing] == sizes, listing
resp, lines, _ = p.top(4, 0)
assert b"\r\n".join(lines) + b"\r\n" == m4[:{header_end}] + b"\r\n\r\n", lines[:3]
resp, lines, octets = p.retr(4)
assert resp.startswith(b"+OK"), resp
assert b"\r\n".join(lines) + b"\r\n" == m4, "RETR 4 differs"
assert p.dele(4).startswith(b"+OK")
assert p.stat() == (3, total - sizes[3])
assert p.rset().startswith(b"+OK")
assert p.stat() == (4, total)
p.quit()
p = login()
assert p.stat() == (4, total), "message 4 must still be there after RSET"
p.dele(4)
p.quit()
p = login()
assert p.stat() == (3, total - sizes[3]), "message 4 must be gone after DELE + QUIT"
p.quit()
print("poplib ok")
"#,
        m4 = hex(&m4),
        sizes = sizes,
    );
    let mut child = Command::new(py)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        // Only then did the three sessions happen (otherwise the listener may still wait).
        server.join().unwrap();
    }
    assert!(
        out.status.success(),
        "poplib failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "poplib ok");
    assert_eq!(store.lock().unwrap().users[&b"0429021"[..]].1.len(), 3);
}
