//! Sends one message with correo-smtp's client machine over a `std::net::TcpStream`.
//!
//! `cargo run -p correo-examples --example smtp_client [HOST:PORT]`. Without an address it
//! first starts a tiny correo-smtp server on 127.0.0.1 in a thread and sends to that.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use correo_smtp::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = match std::env::args().nth(1) {
        Some(a) => a,
        None => {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let addr = listener.local_addr()?.to_string();
            std::thread::spawn(move || listener.accept().map(|(s, _)| serve(s)));
            addr
        }
    };
    let mut socket = TcpStream::connect(&addr)?;
    let mut client = Client::new(ClientConfig {
        tls: TlsMode::None,
        ..ClientConfig::default()
    });
    let envelope = Envelope::new(
        ReversePath::Mailbox(Mailbox::new("feik", "lab.it.uc3m.es")),
        vec![ForwardPath::Mailbox(Mailbox::new(
            "alumno",
            "lab.it.uc3m.es",
        ))],
    );
    let message = b"Subject: Test mail\r\n\r\nWe've been trying to reach you.\r\n.dot\r\n";
    let mut buf = [0u8; 4096];
    loop {
        while let Some(bytes) = client.poll_transmit() {
            print!("C: {}", String::from_utf8_lossy(&bytes));
            socket.write_all(&bytes)?;
        }
        while let Some(event) = client.poll_event() {
            match event {
                ClientEvent::Ready(_) => client.send_mail(envelope.clone())?,
                ClientEvent::SendBody => client.send_body(message, true)?,
                ClientEvent::TransactionDone { delivered, .. } => {
                    println!("delivered: {delivered}");
                    client.quit();
                }
                ClientEvent::Closed => return Ok(()),
                _ => {}
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

/// The server side: accepts everything.
fn serve(mut socket: TcpStream) -> std::io::Result<()> {
    let mut server = Server::new(ServerConfig::default());
    let mut buf = [0u8; 4096];
    loop {
        while let Some(event) = server.poll_event() {
            if let ServerEvent::MailFrom { .. }
            | ServerEvent::RcptTo { .. }
            | ServerEvent::DataEnd { .. } = event
            {
                server.accept();
            }
        }
        while let Some(bytes) = server.poll_transmit() {
            socket.write_all(&bytes)?;
        }
        if server.is_closed() {
            return Ok(());
        }
        let n = socket.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        server.receive(&buf[..n]);
    }
}
