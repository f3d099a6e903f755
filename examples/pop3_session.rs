//! A POP3 session over a real `std::net::TcpStream`, both sides from correo-pop3.
//!
//! `cargo run -p correo-examples --example pop3_session [HOST:PORT USER PASS]`. Without an
//! address it starts a correo-pop3 server on 127.0.0.1 in a thread (one message in the
//! maildrop, user `alumno`, password `secreto`) and runs the seed's exercise 6 against it:
//! USER/PASS, STAT, LIST, TOP 1 0, RETR 1, DELE 1, RSET, QUIT.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use correo_pop3::client::{Client, ClientConfig, Event};
use correo_pop3::server::{Event as ServerEvent, MessageInfo, Server, ServerConfig, ServerPhase};

const MESSAGE: &[u8] =
    b"From: feik@lab.it.uc3m.es\r\nSubject: Test mail\r\n\r\n.a line that starts with a dot\r\nbye\r\n";

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
    // Loopback demo without TLS: cleartext login has to be allowed explicitly.
    let mut client = Client::new(ClientConfig {
        allow_cleartext_login: true,
        ..ClientConfig::default()
    });
    let mut buf = [0u8; 16 * 1024];
    let mut step = 0;
    let mut greeted = false;
    let mut body = Vec::new();
    loop {
        while let Some(event) = client.poll_event() {
            match event {
                Event::BodyChunk(chunk) => body.extend_from_slice(&chunk),
                Event::Greeting { .. } => greeted = true,
                Event::Closed { deleted } => {
                    println!("closed; deleted at QUIT: {deleted:?}");
                    return Ok(());
                }
                Event::Stat(stat) => println!("  -> {} messages, {} octets", stat.count, stat.size),
                Event::MessageEnd { msg, size, .. } => {
                    println!("  -> message {msg}: {size} octets");
                }
                _ => {}
            }
        }
        // One command at a time once the previous one is answered.
        if greeted && !client.is_busy() {
            step += 1;
            match step {
                1 => client.login(user.as_bytes(), pass.as_bytes())?,
                2 => client.stat()?,
                3 => client.list(None)?,
                4 => client.top(1, 0)?,
                5 => {
                    body.clear(); // drop what TOP 1 0 returned
                    client.retr(1)?;
                }
                6 => {
                    println!("RETR 1 body: {} bytes (un-stuffed)", body.len());
                    client.dele(1)?;
                }
                7 => client.rset()?,
                _ => client.quit()?,
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
        client.receive(&buf[..n])?;
    }
}

/// The server side: one user, one message.
fn serve(mut socket: TcpStream) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut server = Server::new(ServerConfig {
        allow_cleartext_login: true,
        ..ServerConfig::default()
    });
    let mut buf = [0u8; 4096];
    loop {
        while let Some(event) = server.poll_event() {
            match event {
                ServerEvent::CheckPassword { user, password, .. } => {
                    if user == b"alumno" && password == b"secreto" {
                        server.accept_login(vec![MessageInfo {
                            size: MESSAGE.len() as u64,
                            uid: b"msg-1".to_vec(),
                        }])?;
                    } else {
                        server.reject_login(None, b"Authentication failed.")?;
                    }
                }
                ServerEvent::Retrieve { .. } => {
                    // TOP n 0 is answered by the machine from the same bytes.
                    server.message_data(MESSAGE)?;
                    server.message_end()?;
                }
                ServerEvent::Update { .. } => server.update_complete(true)?,
                _ => {}
            }
        }
        while let Some(bytes) = server.poll_transmit() {
            socket.write_all(&bytes)?;
        }
        if server.phase() == ServerPhase::Closed {
            return Ok(());
        }
        let n = socket.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        server.receive(&buf[..n])?;
    }
}
