//! `correo inspect`: the part tree of a message, its attachments extracted, or a JSON
//! description (the shape Python's `email` package gives).
//!
//! Everything streams through the push parser: the message is read in 64 KiB chunks,
//! bodies are hashed (and written, with `--extract`) as they are decoded, so memory stays
//! bounded whatever the message size (text leaves are buffered for their `text`).

use std::error::Error;
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use correo_mime::charset::decode_text;
use correo_mime::header::{AddressList, DateTime, parse_block};
use correo_mime::message::PartKind;
use correo_mime::push::{Event, PartInfo, PushParser};
use sha2::{Digest, Sha256};

/// Arguments of `correo inspect`.
#[derive(Debug, clap::Args)]
pub(crate) struct InspectArgs {
    /// The message file, or `-` for standard input.
    file: PathBuf,
    /// Print the message as JSON (subject, addresses, date, message id, part tree).
    #[arg(long)]
    json: bool,
    /// Write every attachment's decoded bytes into this directory (names sanitised,
    /// never overwriting).
    #[arg(long, value_name = "DIR")]
    extract: Option<PathBuf>,
}

/// One address for the JSON output.
struct Addr {
    name: Option<String>,
    address: String,
}

/// Message-level fields of the top header.
#[derive(Default)]
struct Top {
    subject: Option<String>,
    from: Vec<Addr>,
    to: Vec<Addr>,
    cc: Vec<Addr>,
    date: Option<String>,
    message_id: Option<String>,
}

/// One part, as collected from the events.
struct Node {
    number: String,
    kind: PartKind,
    content_type: String,
    charset: Option<String>,
    disposition: Option<String>,
    filename: Option<String>,
    encoding: Option<String>,
    children: Vec<usize>,
    depth: usize,
    size: u64,
    hasher: Option<Sha256>,
    sha256: Option<String>,
    text: Option<Vec<u8>>,
    defects: Vec<String>,
    extracted: Option<PathBuf>,
    file: Option<File>,
}

fn addrs(list: Option<AddressList<'_>>) -> Vec<Addr> {
    list.map(|l| {
        l.mailboxes()
            .map(|m| Addr {
                name: m.name.as_ref().map(ToString::to_string),
                address: m.address(),
            })
            .collect()
    })
    .unwrap_or_default()
}

fn top_of(info: &PartInfo) -> Top {
    let h = parse_block(&info.header_raw);
    Top {
        subject: h.subject().map(std::borrow::Cow::into_owned),
        from: addrs(h.addresses("From")),
        to: addrs(h.addresses("To")),
        cc: addrs(h.addresses("Cc")),
        date: h
            .get("Date")
            .and_then(|f| DateTime::parse(f.value).ok())
            .map(|d| d.to_rfc3339()),
        message_id: h.message_id().map(std::borrow::Cow::into_owned),
    }
}

/// A file name safe to create inside the extraction directory: the last path component,
/// control characters and separators removed, no leading dots; `None` if nothing is left.
pub(crate) fn sanitize(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c => c,
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    // Keep names to a sane length (in characters) for every file system.
    let cleaned: String = cleaned.chars().take(200).collect();
    if cleaned.is_empty() {
        None
    } else {
        Some(cleaned)
    }
}

/// Creates a new file `name` in `dir`, adding `-1`, `-2`, ... before the extension when a
/// file of that name exists (never overwrites).
fn create_unique(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    for n in 0..10_000u32 {
        let candidate = if n == 0 {
            name.to_owned()
        } else {
            format!("{stem}-{n}{ext}")
        };
        let path = dir.join(&candidate);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!("no free file name for {name}")))
}

fn is_attachment(info: &PartInfo) -> bool {
    if info.kind != PartKind::Leaf {
        return false;
    }
    match info.disposition.as_deref() {
        Some("attachment") => true,
        Some("inline") => info.filename.is_some() && !info.mime_type.starts_with("text/"),
        _ => info.filename.is_some(),
    }
}

/// Reads the whole message through the push parser and collects the part tree.
fn walk(
    input: &mut dyn Read,
    extract: Option<&Path>,
    keep_text: bool,
) -> Result<(Top, Vec<Node>), Box<dyn Error>> {
    let mut parser = PushParser::default();
    let mut nodes: Vec<Node> = Vec::new();
    let mut top = Top::default();
    let mut current: Option<usize> = None;
    let mut buf = vec![0u8; 64 * 1024];
    let mut done = false;
    while !done {
        let n = input.read(&mut buf)?;
        if n == 0 {
            parser.finish();
            done = true;
        } else {
            parser.push(buf.get(..n).unwrap_or_default());
        }
        while let Some(ev) = parser.poll_event() {
            match ev {
                Event::PartStart(info) => {
                    if info.index == 0 {
                        top = top_of(info);
                    }
                    let depth = info
                        .parent
                        .and_then(|p| nodes.get(p))
                        .map_or(0, |p| p.depth + 1);
                    let next = nodes.len();
                    if let Some(p) = info.parent.and_then(|p| nodes.get_mut(p)) {
                        p.children.push(next);
                    }
                    let leaf = info.kind == PartKind::Leaf;
                    let mut node = Node {
                        number: info.number.to_string(),
                        kind: info.kind,
                        content_type: info.mime_type.clone(),
                        charset: info
                            .content_type_present
                            .then(|| info.charset.clone())
                            .flatten(),
                        disposition: info.disposition.clone(),
                        filename: info.filename.clone(),
                        encoding: parse_block(&info.header_raw)
                            .get("Content-Transfer-Encoding")
                            .map(|f| {
                                String::from_utf8_lossy(&f.unfolded())
                                    .trim()
                                    .to_ascii_lowercase()
                            }),
                        children: Vec::new(),
                        depth,
                        size: 0,
                        hasher: leaf.then(Sha256::new),
                        sha256: None,
                        text: (leaf && keep_text && info.mime_type.starts_with("text/"))
                            .then(Vec::new),
                        defects: info
                            .defects
                            .iter()
                            .map(|d| format!("{:?}", d.kind))
                            .collect(),
                        extracted: None,
                        file: None,
                    };
                    if let Some(dir) = extract
                        && is_attachment(info)
                    {
                        let name =
                            info.filename
                                .as_deref()
                                .and_then(sanitize)
                                .unwrap_or_else(|| {
                                    format!(
                                        "part-{}.bin",
                                        info.number.to_string().replace('.', "-")
                                    )
                                });
                        let (path, f) = create_unique(dir, &name)?;
                        node.extracted = Some(path);
                        node.file = Some(f);
                    }
                    current = Some(nodes.len());
                    nodes.push(node);
                }
                Event::BodyChunk { decoded, .. } => {
                    if let Some(node) = current.and_then(|i| nodes.get_mut(i)) {
                        node.size += decoded.len() as u64;
                        if let Some(h) = node.hasher.as_mut() {
                            h.update(decoded);
                        }
                        if let Some(t) = node.text.as_mut() {
                            t.extend_from_slice(decoded);
                        }
                        if let Some(f) = node.file.as_mut() {
                            f.write_all(decoded)?;
                        }
                    }
                }
                Event::PartEnd(end) => {
                    if let Some(node) = nodes.get_mut(end.index) {
                        node.defects.extend(
                            end.defects
                                .iter()
                                .chain(&end.decode_defects)
                                .map(|d| format!("{:?}", d.kind)),
                        );
                        if let Some(h) = node.hasher.take() {
                            let digest = h.finalize();
                            let mut hex = String::with_capacity(64);
                            for b in digest {
                                let _ = write!(hex, "{b:02x}");
                            }
                            node.sha256 = Some(hex);
                        }
                        if let Some(mut f) = node.file.take() {
                            f.flush()?;
                        }
                    }
                }
                Event::End => {}
            }
        }
    }
    Ok((top, nodes))
}

fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_opt(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.push_str("null"),
    }
}

fn json_addrs(out: &mut String, list: &[Addr]) {
    out.push('[');
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str("{\"name\": ");
        json_opt(out, a.name.as_deref());
        out.push_str(", \"address\": ");
        json_str(out, &a.address);
        out.push('}');
    }
    out.push(']');
}

fn json_part(out: &mut String, nodes: &[Node], i: usize) {
    let Some(n) = nodes.get(i) else {
        out.push_str("null");
        return;
    };
    out.push_str("{\"content_type\": ");
    json_str(out, &n.content_type);
    out.push_str(", \"charset\": ");
    json_opt(out, n.charset.as_deref());
    out.push_str(", \"disposition\": ");
    json_opt(out, n.disposition.as_deref());
    out.push_str(", \"filename\": ");
    json_opt(out, n.filename.as_deref());
    out.push_str(", \"encoding\": ");
    json_opt(out, n.encoding.as_deref());
    out.push_str(", \"parts\": [");
    for (k, &c) in n.children.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        json_part(out, nodes, c);
    }
    out.push(']');
    if n.kind == PartKind::Leaf {
        let _ = write!(out, ", \"size\": {}, \"sha256\": ", n.size);
        json_opt(out, n.sha256.as_deref());
        if let Some(t) = &n.text {
            out.push_str(", \"text\": ");
            let (text, _) = decode_text(n.charset.as_deref(), t);
            json_str(out, &text);
        }
    }
    out.push('}');
}

fn to_json(top: &Top, nodes: &[Node]) -> String {
    let mut out = String::from("{\"subject\": ");
    json_opt(&mut out, top.subject.as_deref());
    out.push_str(", \"from\": ");
    json_addrs(&mut out, &top.from);
    out.push_str(", \"to\": ");
    json_addrs(&mut out, &top.to);
    out.push_str(", \"cc\": ");
    json_addrs(&mut out, &top.cc);
    out.push_str(", \"date\": ");
    json_opt(&mut out, top.date.as_deref());
    out.push_str(", \"message_id\": ");
    json_opt(&mut out, top.message_id.as_deref());
    out.push_str(", \"root\": ");
    json_part(&mut out, nodes, 0);
    out.push_str("}\n");
    out
}

fn to_tree(top: &Top, nodes: &[Node]) -> String {
    let mut out = String::new();
    if let Some(s) = &top.subject {
        let _ = writeln!(out, "Subject: {s}");
    }
    for (label, list) in [("From", &top.from), ("To", &top.to), ("Cc", &top.cc)] {
        if !list.is_empty() {
            let names: Vec<String> = list
                .iter()
                .map(|a| match &a.name {
                    Some(n) => format!("{n} <{}>", a.address),
                    None => a.address.clone(),
                })
                .collect();
            let _ = writeln!(out, "{label}: {}", names.join(", "));
        }
    }
    if let Some(d) = &top.date {
        let _ = writeln!(out, "Date: {d}");
    }
    if let Some(m) = &top.message_id {
        let _ = writeln!(out, "Message-ID: {m}");
    }
    out.push('\n');
    for n in nodes {
        let number = if n.number.is_empty() {
            "-".to_owned()
        } else {
            n.number.clone()
        };
        let mut line = format!(
            "{:indent$}{number:<6} {}",
            "",
            n.content_type,
            indent = n.depth * 2
        );
        if let Some(c) = &n.charset {
            let _ = write!(line, "; charset={c}");
        }
        if let Some(e) = &n.encoding {
            let _ = write!(line, "  [{e}]");
        }
        if n.kind == PartKind::Leaf {
            let _ = write!(line, "  {} bytes", n.size);
        }
        if let Some(d) = &n.disposition {
            let _ = write!(line, "  {d}");
        }
        if let Some(f) = &n.filename {
            let _ = write!(line, "  \"{}\"", f.escape_debug());
        }
        if let Some(p) = &n.extracted {
            let _ = write!(line, "  -> {}", p.display());
        }
        out.push_str(&line);
        out.push('\n');
        for d in &n.defects {
            let _ = writeln!(out, "{:indent$}  defect: {d}", "", indent = n.depth * 2 + 6);
        }
    }
    out
}

/// Runs `correo inspect`.
pub(crate) fn run(args: InspectArgs) -> Result<ExitCode, Box<dyn Error>> {
    let mut input: Box<dyn Read> = if args.file.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(
            File::open(&args.file)
                .map_err(|e| format!("cannot open {}: {e}", args.file.display()))?,
        )
    };
    if let Some(dir) = &args.extract {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let (top, nodes) = walk(&mut *input, args.extract.as_deref(), args.json)?;
    let text = if args.json {
        to_json(&top, &nodes)
    } else {
        to_tree(&top, &nodes)
    };
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    lock.write_all(text.as_bytes())?;
    lock.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn sanitize_names() {
        assert_eq!(sanitize("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(
            sanitize("C:\\Windows\\evil.exe").as_deref(),
            Some("evil.exe")
        );
        assert_eq!(sanitize(".bashrc").as_deref(), Some("bashrc"));
        assert_eq!(sanitize("/").as_deref(), None);
        assert_eq!(sanitize("..").as_deref(), None);
        assert_eq!(sanitize("a\u{0}b\nc.txt").as_deref(), Some("abc.txt"));
        assert_eq!(sanitize("informe.pdf").as_deref(), Some("informe.pdf"));
    }
}
