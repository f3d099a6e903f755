//! Differential test: Python's `email` package (policy.default) parses messages built by
//! correo to the same values (subjects, display names, part tree, content types,
//! charsets, file names, decoded bodies and texts). Generated trees come from a fixed
//! pseudo-random sequence (texts with any Unicode, file names, charsets, attachments of
//! random bytes, nested multiparts and message/rfc822).
//!
//! Skipped (with a message naming the test) when `python3` is missing; fails instead when
//! `CORREO_INTEROP=1`.

use std::fmt::Write as _;
use std::process::Command;

use correo_mime::build::{MessageBuilder, Part, Transport};
use correo_mime::header::Mailbox;

const SCRIPT: &str = r#"
import sys, email
from email import policy

def hx(s):
    return s.encode('utf-8', 'surrogateescape').hex() if s is not None else '-'

def dump(p, out):
    ct = p.get_content_type()
    if ct == 'message/rfc822':
        inner = p.get_payload()[0]
        out.append(f"msg:{hx(str(inner['subject']))}")
        dump(inner, out)
    elif p.is_multipart():
        kids = p.get_payload()
        out.append(f"multi:{ct}:{len(kids)}")
        for k in kids:
            dump(k, out)
    elif p.get_content_maintype() == 'text':
        cs = p['content-type'].params.get('charset')
        out.append(f"text:{ct}:{cs}:{hx(p.get_content())}")
    else:
        out.append(f"bytes:{ct}:{hx(p.get_filename())}:{(p.get_payload(decode=True) or b'').hex()}")

for path in sys.argv[1:]:
    msg = email.message_from_bytes(open(path, 'rb').read(), policy=policy.default)
    out = [f"subject:{hx(str(msg['subject']))}"]
    for a in msg['from'].addresses:
        out.append(f"from:{hx(a.display_name or None)}:{a.addr_spec}")
    dump(msg, out)
    print("\n".join(out))
    print("==")
"#;

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn text(&mut self, max: u64, line_breaks: bool) -> String {
        const POOL: &[&str] = &[
            "a",
            "Z",
            " ",
            "  ",
            "é",
            "ñ",
            "ü",
            "ß",
            "€",
            "—",
            "日本",
            "テスト",
            "Привет",
            "🎉",
            "☃",
            "=",
            "?",
            "_",
            "\"",
            "\\",
            "(",
            ")",
            "<",
            ">",
            ",",
            ";",
            ":",
            "@",
            ".",
            "From ",
            "--",
            "=?utf-8?q?x?=",
            "\t",
            "x",
        ];
        let n = self.below(max + 1);
        let mut s = String::new();
        for _ in 0..n {
            if line_breaks && self.below(8) == 0 {
                s.push_str(["\r\n", "\n", "\r\n\r\n"][self.below(3) as usize]);
            } else {
                s.push_str(POOL[self.below(POOL.len() as u64) as usize]);
            }
        }
        s
    }
}

fn hx(s: &str) -> String {
    s.bytes().fold(String::new(), |mut o, b| {
        let _ = write!(o, "{b:02x}");
        o
    })
}

/// Builds a random part and appends what Python should report for it to `want`.
fn gen_part(r: &mut Rng, depth: u32, t: Transport, want: &mut Vec<String>) -> Part<'static> {
    let choice = if depth >= 3 { r.below(3) } else { r.below(5) };
    match choice {
        0 => {
            let text = r.text(60, true);
            let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
            let sub = ["plain", "html"][r.below(2) as usize];
            want.push(format!("text:text/{sub}:utf-8:{}", hx(&crlf)));
            Part::text_subtype(sub, text)
        }
        1 => {
            // Latin-1 text (only characters Latin-1 has).
            let text: String = r
                .text(30, false)
                .chars()
                .filter(|c| u32::from(*c) < 0x100)
                .collect();
            want.push(format!("text:text/plain:iso-8859-1:{}", hx(&text)));
            Part::text(text).charset("iso-8859-1")
        }
        2 => {
            let len = r.below(3000) as usize;
            let data: Vec<u8> = (0..len).map(|_| r.next() as u8).collect();
            let name = format!("{}.bin", r.text(40, false).trim()).replace('\t', " ");
            let dh = data.iter().fold(String::new(), |mut o, b| {
                let _ = write!(o, "{b:02x}");
                o
            });
            want.push(format!("bytes:application/octet-stream:{}:{dh}", hx(&name)));
            Part::attachment("application", "octet-stream", &name, data)
        }
        3 => {
            let n = 1 + r.below(3);
            let sub = ["mixed", "alternative", "related"][r.below(3) as usize];
            want.push(format!("multi:multipart/{sub}:{n}"));
            let kids = (0..n).map(|_| gen_part(r, depth + 1, t, want)).collect();
            Part::multipart(sub, kids)
        }
        _ => {
            let subject = r.text(20, false).trim().to_owned();
            want.push(format!("msg:{}", hx(&subject)));
            let body = gen_part(r, depth + 1, t, want);
            Part::message(
                MessageBuilder::new()
                    .subject(&subject)
                    .transport(t)
                    .body(body),
            )
        }
    }
}

#[test]
fn python_email_reads_correo_built_messages() {
    let test = "python_email_reads_correo_built_messages";
    if !Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        assert!(
            std::env::var("CORREO_INTEROP").as_deref() != Ok("1"),
            "{test}: python3 not found and CORREO_INTEROP=1"
        );
        eprintln!("skipping {test}: python3 not found");
        return;
    }
    let dir = std::env::temp_dir().join(format!("correo-build-python-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    let mut r = Rng(0x5eed);
    let mut files = Vec::new();
    let mut wants = Vec::new();
    for i in 0..80 {
        let t = if i % 2 == 0 {
            Transport::SevenBit
        } else {
            Transport::EightBitMime
        };
        let subject = r.text(30, false).trim().to_owned();
        // Python normalises blanks inside a display name (a tab or a run of spaces reads
        // as one space), and its address parser (3.11) puts a space between two adjacent
        // encoded words of a display name (RFC 2047 says they join), so names here have
        // single spaces and fit one encoded word (at most 40 bytes).
        let mut name = String::new();
        for w in r.text(12, false).split_whitespace() {
            if name.len() + w.len() + 1 > 40 {
                break;
            }
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(w);
        }
        let mut want = vec![format!("subject:{}", hx(&subject))];
        want.push(format!(
            "from:{}:sender@example.org",
            if name.is_empty() {
                "-".to_owned()
            } else {
                hx(&name)
            }
        ));
        let body = gen_part(&mut r, 0, t, &mut want);
        let raw = MessageBuilder::new()
            .from(Mailbox::new(Some(name.as_str()), "sender", "example.org"))
            .subject(&subject)
            .transport(t)
            .boundary_seed(r.next())
            .body(body)
            .to_vec()
            .expect("build");
        let path = dir.join(format!("m{i}.eml"));
        std::fs::write(&path, &raw).expect("write");
        files.push(path);
        wants.push(want.join("\n"));
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .args(&files)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout).expect("utf-8");
    let got: Vec<&str> = got.split("==\n").filter(|s| !s.is_empty()).collect();
    assert_eq!(got.len(), wants.len());
    for ((g, w), f) in got.iter().zip(&wants).zip(&files) {
        assert_eq!(g.trim_end(), w, "{}", f.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
