//! Sends a dot-stuffed body over a loopback TCP connection in odd-sized writes and decodes
//! it on the other side with correo-wire's streaming decoder.
//!
//! `cargo run -p correo-examples --example dot_over_tcp`

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use correo_wire::dot::{DotDecoder, DotEncoder, normalize_line_endings};

fn main() -> std::io::Result<()> {
    // A body with everything dot-stuffing must cope with: leading dots, a lone dot line,
    // bare LF and bare CR, and no final line ending.
    let mut body = b".starts with a dot\r\n.\r\n..two dots\nbare LF\rbare CR\r\n".repeat(500);
    body.extend_from_slice(b"last line without CRLF");

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let to_send = body.clone();
    let sender = thread::spawn(move || -> std::io::Result<()> {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let mut encoder = DotEncoder::new();
        // Odd-sized pieces, so CRLFs and dots straddle the writes.
        for piece in to_send.chunks(7) {
            let mut wire = Vec::new();
            encoder.encode_into(piece, &mut wire);
            stream.write_all(&wire)?;
        }
        let mut tail = Vec::new();
        encoder.finish(|t| tail.extend_from_slice(t));
        stream.write_all(&tail)?;
        stream.write_all(b"QUIT\r\n") // what comes after the body
    });

    let (mut stream, _) = listener.accept()?;
    let mut decoder = DotDecoder::default();
    let mut received = Vec::new();
    let mut after = Vec::new();
    let mut buf = [0u8; 1000];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        if decoder.is_complete() {
            after.extend_from_slice(chunk);
            continue;
        }
        let progress = decoder.decode_into(chunk, &mut received);
        after.extend_from_slice(&chunk[progress.consumed..]);
    }
    sender.join().expect("sender thread")?;

    assert!(decoder.is_complete(), "terminator not seen");
    assert_eq!(decoder.error(), None);
    assert_eq!(received, normalize_line_endings(&body));
    assert_eq!(after, b"QUIT\r\n");
    println!(
        "decoded {} body bytes from {} wire bytes; then {:?}",
        received.len(),
        decoder.consumed(),
        String::from_utf8_lossy(&after)
    );
    Ok(())
}
