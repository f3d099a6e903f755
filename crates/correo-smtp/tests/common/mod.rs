//! Shared helpers for the integration tests: transcript loading, canonical command
//! streams, and drivers for the server and client machines.
#![allow(dead_code, unreachable_pub)]

use correo_smtp::reply::ReplyLimits;
use correo_smtp::{Command, ParseOptions, Reply};

/// Who sent a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// The client.
    C,
    /// The server.
    S,
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");

/// Decodes a JSON string literal body (between the quotes) to latin-1 bytes.
fn json_string(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(u8::try_from(u32::from(c)).expect("latin-1"));
            continue;
        }
        match chars.next().expect("escape") {
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            'b' => out.push(8),
            'f' => out.push(12),
            '/' => out.push(b'/'),
            '\\' => out.push(b'\\'),
            '"' => out.push(b'"'),
            'u' => {
                let hex: String = chars.by_ref().take(4).collect();
                let v = u32::from_str_radix(&hex, 16).expect("hex");
                out.push(u8::try_from(v).expect("latin-1"));
            }
            other => panic!("bad escape {other}"),
        }
    }
    out
}

/// Loads a `.jsonl` transcript: (direction, bytes) in the original chunking.
pub fn load_jsonl(name: &str) -> Vec<(Dir, Vec<u8>)> {
    let text = std::fs::read_to_string(format!("{DATA}{name}")).expect("transcript");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let dir = if l.contains("\"dir\": \"C\"") {
                Dir::C
            } else {
                Dir::S
            };
            let start = l.find("\"data\": \"").expect("data") + 9;
            let end = l.rfind('"').expect("end");
            (dir, json_string(&l[start..end]))
        })
        .collect()
}

/// Loads a `C:`/`S:` text session: every line sent with CRLF, consecutive lines of one
/// side merged into one chunk.
pub fn load_txt(name: &str) -> Vec<(Dir, Vec<u8>)> {
    let text = std::fs::read_to_string(format!("{DATA}{name}")).expect("session");
    let mut out: Vec<(Dir, Vec<u8>)> = Vec::new();
    for line in text.lines() {
        let (dir, rest) = if let Some(r) = line.strip_prefix("C: ") {
            (Dir::C, r)
        } else if let Some(r) = line.strip_prefix("S: ") {
            (Dir::S, r)
        } else if line == "C:" {
            (Dir::C, "")
        } else {
            continue;
        };
        let mut bytes = rest.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        match out.last_mut() {
            Some((d, b)) if *d == dir => b.extend_from_slice(&bytes),
            _ => out.push((dir, bytes)),
        }
    }
    out
}

/// All bytes of one side.
pub fn side(chunks: &[(Dir, Vec<u8>)], dir: Dir) -> Vec<u8> {
    chunks
        .iter()
        .filter(|(d, _)| *d == dir)
        .flat_map(|(_, b)| b.iter().copied())
        .collect()
}

/// Parses as many complete replies as `bytes` holds (stops at the first error, e.g. TLS).
pub fn replies(bytes: &[u8]) -> Vec<Reply<'static>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Ok(Some((r, n))) = Reply::parse(&bytes[pos..], &ReplyLimits::default()) {
        out.push(r.into_owned());
        pos += n;
    }
    out
}

/// One item of a client's byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A command, re-encoded canonically (parameters sorted, mechanism upper case).
    Command(String),
    /// A line that is not a command (SASL response).
    Line(Vec<u8>),
    /// A `DATA` body, dot-stuffed as sent (terminator included).
    Body(Vec<u8>),
    /// A `BDAT` chunk.
    Chunk(Vec<u8>),
}

/// Splits a client stream into canonical items, so that `mail FROM:<a@b> size=1` and
/// `MAIL FROM:<a@b> SIZE=1` compare equal.
pub fn canonical(stream: &[u8]) -> Vec<Item> {
    let mut items = Vec::new();
    let mut pos = 0;
    while pos < stream.len() {
        let rest = &stream[pos..];
        let Some(nl) = rest.windows(2).position(|w| w == b"\r\n") else {
            items.push(Item::Line(rest.to_vec()));
            break;
        };
        let line = &rest[..nl];
        pos += nl + 2;
        match Command::parse(line, &ParseOptions::default()) {
            Ok(cmd) => {
                let canon = match &cmd {
                    Command::Mail { from, params } => {
                        let mut p: Vec<String> = params.iter().map(ToString::to_string).collect();
                        p.sort();
                        format!("MAIL FROM:{from} {}", p.join(" "))
                    }
                    Command::Auth {
                        mechanism,
                        initial_response,
                    } => format!("AUTH {} {:?}", mechanism.to_uppercase(), initial_response),
                    other => other.to_string(),
                };
                items.push(Item::Command(canon));
                match cmd {
                    Command::Data => {
                        let body_rest = &stream[pos..];
                        let end = if body_rest.starts_with(b".\r\n") {
                            Some(0)
                        } else {
                            body_rest
                                .windows(5)
                                .position(|w| w == b"\r\n.\r\n")
                                .map(|i| i + 2)
                        };
                        let end = end.map_or(body_rest.len(), |e| e + 3);
                        items.push(Item::Body(body_rest[..end].to_vec()));
                        pos += end;
                    }
                    Command::Bdat { size, .. } => {
                        let n = usize::try_from(size).unwrap().min(stream.len() - pos);
                        items.push(Item::Chunk(stream[pos..pos + n].to_vec()));
                        pos += n;
                    }
                    _ => {}
                }
            }
            Err(_) => items.push(Item::Line(line.to_vec())),
        }
    }
    items
}

/// The un-dot-stuffed body of the first `DATA` in a client stream.
pub fn first_body(stream: &[u8]) -> Vec<u8> {
    for item in canonical(stream) {
        if let Item::Body(b) = item {
            let mut d = correo_wire::dot::DotDecoder::default();
            let mut out = Vec::new();
            d.decode_into(&b, &mut out);
            return out;
        }
    }
    panic!("no DATA body")
}

/// How to cut the input.
#[derive(Debug, Clone, Copy)]
pub enum Split {
    /// As recorded.
    Recorded,
    /// Every byte on its own.
    ByteByByte,
    /// Into two pieces at this offset of each chunk (clamped).
    At(usize),
}

/// Cuts one chunk according to `split`.
pub fn cut(bytes: &[u8], split: Split) -> Vec<&[u8]> {
    match split {
        Split::Recorded => vec![bytes],
        Split::ByteByByte => bytes.chunks(1).collect(),
        Split::At(n) => {
            let n = n.min(bytes.len());
            vec![&bytes[..n], &bytes[n..]]
        }
    }
}
