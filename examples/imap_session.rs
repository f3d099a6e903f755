//! An IMAP session over a real `std::net::TcpStream`, both sides from correo-imap.
//!
//! `cargo run -p correo-examples --example imap_session [HOST:PORT USER PASS]`. Without an
//! address it starts a correo-imap server on 127.0.0.1 in a thread (INBOX with one
//! multipart message, user `alumno`, password `secreto`) and runs the seed's exercises 8-9
//! against it: CAPABILITY, LOGIN, SELECT INBOX, FETCH 1 (RFC822.SIZE BODYSTRUCTURE),
//! FETCH 1 BODY.PEEK[TEXT] streamed in chunks, LOGOUT. The server computes BODYSTRUCTURE
//! from the message with correo-mime (the `mime` feature).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use correo_imap::client::{Client, ClientConfig, Event};
use correo_imap::server::{
    Event as ServerEvent, MailboxView, MessageData, Server, ServerConfig, State,
};
use correo_imap::types::{FetchAttr, Section, SectionText, SequenceSet, Status};

const MESSAGE: &[u8] = b"From: feik@lab.it.uc3m.es\r\nTo: alumno@lab.it.uc3m.es\r\n\
Subject: prueba\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n\
--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHola, esto es una prueba.\r\n\
--b1\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\n\
R0lGODlhAQABAAAAACw=\r\n--b1--\r\n";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (addr, user, pass) = match args.as_slice() {
        [addr, user, pass] => (addr.clone(), user.clone(), pass.clone()),
        _ => {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let addr = listener.local_addr()?.to_string();
            std::thread::spawn(move || listener.accept().map(|(s, _)| serve(s)));
            (addr, "alumno".to_owned(), "secreto".to_owned())
        }
    };
    let mut socket = TcpStream::connect(&addr)?;
    // A loopback demo: plain TCP (`TlsMode::Plain` is the default).
    let mut client = Client::new(ClientConfig::default());
    let mut greeted = false;
    let mut step = 0;
    let mut text = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        while let Some(event) = client.poll_event() {
            match event {
                Event::Greeting(_) => greeted = true,
                Event::BodyChunk(chunk) => text.extend_from_slice(&chunk),
                Event::Completed { status, .. } if status != Status::Ok => {
                    return Err(format!("command failed: {status:?}").into());
                }
                _ => {}
            }
        }
        if greeted && client.pending() == 0 {
            step += 1;
            match step {
                1 => drop(client.capability()?),
                2 => drop(client.login(user.as_bytes(), pass.as_bytes())?),
                3 => drop(client.select("INBOX")?),
                4 => drop(client.fetch(
                    false,
                    SequenceSet::single(1),
                    vec![FetchAttr::Rfc822Size, FetchAttr::BodyStructure],
                )?),
                5 => drop(client.fetch(
                    false,
                    SequenceSet::single(1),
                    vec![FetchAttr::BodySection {
                        peek: true,
                        section: Section {
                            part: vec![],
                            text: Some(SectionText::Text),
                        },
                        partial: None,
                    }],
                )?),
                6 => {
                    println!("BODY[TEXT]: {} bytes streamed", text.len());
                    drop(client.logout()?);
                }
                _ => return Ok(()),
            }
        }
        while let Some(bytes) = client.poll_transmit() {
            print!("C: {}", String::from_utf8_lossy(&bytes));
            socket.write_all(&bytes)?;
        }
        let n = socket.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        print!("S: {}", String::from_utf8_lossy(&buf[..n]));
        client.receive(&buf[..n]);
    }
}

/// The server side: one user, INBOX with one message; everything else refused.
fn serve(mut socket: TcpStream) -> std::io::Result<()> {
    let mut server = Server::new(ServerConfig {
        allow_plaintext_auth: true, // a loopback demo without TLS
        ..ServerConfig::default()
    });
    let mut buf = [0u8; 4096];
    loop {
        while let Some(event) = server.poll_event() {
            match event {
                ServerEvent::Login { username, password } => {
                    if username == b"alumno" && password == b"secreto" {
                        server.accept_login();
                    } else {
                        server.reject_login("Authentication failed.");
                    }
                }
                ServerEvent::Select { .. } => server.select_ok(MailboxView {
                    uids: vec![1],
                    uid_validity: 1,
                    uid_next: 2,
                    ..MailboxView::default()
                }),
                ServerEvent::Fetch { messages, .. } => {
                    for m in messages {
                        server.fetch_message(
                            m.seq,
                            &MessageData {
                                uid: m.uid,
                                flags: Vec::new(),
                                internal_date: "26-Nov-2026 12:00:00 +0000".into(),
                                size: MESSAGE.len() as u64,
                                bytes: Some(MESSAGE),
                                envelope: None,
                                body_structure: None,
                            },
                        );
                    }
                    server.complete(Status::Ok, None, "Fetch completed.");
                }
                _ => server.complete(Status::No, None, "Not in this example."),
            }
        }
        while let Some(bytes) = server.poll_transmit() {
            socket.write_all(&bytes)?;
        }
        if server.state() == State::Logout {
            return Ok(());
        }
        let n = socket.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        server.receive(&buf[..n]);
    }
}
