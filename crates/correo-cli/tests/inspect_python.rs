//! `correo inspect --json` against Python's `email` package (policy.default): for a
//! corpus of well-formed messages (the seed's Gmail message with its GIF, Dovecot-delivered
//! messages, RFC examples, and messages built with `correo_mime::build` in many charsets,
//! encodings and nestings with RFC 2231 file names) both must give the same JSON value.
//!
//! Skipped (with a message naming the test) when `python3` is missing; fails instead when
//! `CORREO_INTEROP=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

use correo_mime::build::{MessageBuilder, Part, Transport};
use correo_mime::header::{DateTime, Disposition, Group, Mailbox};

/// The Python side: `describe.py MSG JSON [MSG JSON...]` prints `OK file` or a mismatch.
const SCRIPT: &str = include_str!("data/inspect/describe.py");

fn python_available(test: &str) -> bool {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CORREO_INTEROP").as_deref() != Ok("1"),
            "{test}: python3 not found and CORREO_INTEROP=1"
        );
        eprintln!("skipping {test}: python3 not found");
    }
    ok
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("correo-inspect-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn mb<'a>(name: Option<&'a str>, local: &'a str, domain: &'a str) -> Mailbox<'a> {
    Mailbox::new(name, local, domain)
}

/// Messages built with the correo builder.
fn built_corpus() -> Vec<(String, Vec<u8>)> {
    let date = DateTime::from_unix(1_732_387_503, Some(60)).expect("date");
    let gif: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut out = Vec::new();
    // Not Transport::SmtpUtf8: Python's bytes parser reads raw UTF-8 in address fields
    // as surrogate escapes (`Jos\udcc3\udca9`), so the two cannot agree there; the
    // builder's own round-trip tests cover SMTPUTF8.
    for (ti, transport) in [Transport::SevenBit, Transport::EightBitMime]
        .into_iter()
        .enumerate()
    {
        let inner = MessageBuilder::new()
            .from(mb(Some("Inner Ünïcode"), "inner", "example.org"))
            .subject("forwarded — reenviado")
            .date(date)
            .transport(transport)
            .boundary_seed(9)
            .body(Part::mixed(vec![
                Part::text("inner text ñ\n"),
                Part::attachment(
                    "application",
                    "octet-stream",
                    "données.bin",
                    vec![0, 1, 2, 255],
                ),
            ]));
        let m = MessageBuilder::new()
            .from(mb(Some("José Pérez"), "jose", "example.org"))
            .to(mb(None, "ana", "example.net"))
            .to(mb(Some("Zoë \"the\" Tester"), "zoe", "example.net"))
            .cc(mb(Some("Smith, John"), "john.smith", "example.com"))
            .subject("Prueba de envío — テスト, very long subject line that will certainly need folding somewhere")
            .date(date)
            .message_id_from(&[ti as u8; 12], "example.org")
            .header("X-Note", "añadido por correo")
            .transport(transport)
            .boundary_seed(ti as u64 + 1)
            .body(Part::mixed(vec![
                Part::alternative(vec![
                    Part::text("Hola,\r\nlínea larga ".repeat(30) + "\r\nfin\r\n"),
                    Part::related(vec![
                        Part::html("<p>Hola <img src=\"cid:logo@x\"> ☃</p>\n"),
                        Part::inline("image", "gif", "logo@x", gif.clone()),
                    ]),
                ]),
                Part::text("Grüße aus Köln\n").charset("iso-8859-1"),
                Part::text("Привет, мир\n").charset("koi8-r"),
                Part::text("日本語のテキスト\n").charset("shift_jis"),
                Part::text("plain ascii\n").charset("us-ascii"),
                Part::attachment(
                    "image",
                    "gif",
                    "un nombre de fichero muy largo con acentos áéíóú y más cosas todavía.gif",
                    gif.clone(),
                ),
                Part::attachment("application", "pdf", "report.pdf", b"%PDF-1.4\n".to_vec()),
                Part::bytes("application", "octet-stream", vec![0u8; 100])
                    .disposition(Disposition::Attachment),
                Part::message(inner),
            ]));
        out.push((format!("built-{ti}.eml"), m.to_vec().expect("build")));
    }
    // A single-part message with a group and a Q-encoded subject.
    let single = MessageBuilder::new()
        .from(mb(None, "a", "example.org"))
        .to_group(Group {
            name: "Amigos".into(),
            members: vec![
                mb(Some("Bé"), "b", "example.org"),
                mb(None, "c", "example.org"),
            ],
        })
        .subject("café")
        .date(DateTime::from_unix(0, None).expect("epoch"))
        .message_id("x.1@example.org")
        .text("caf\u{e9}\n".repeat(3));
    out.push((
        "built-single.eml".to_owned(),
        single.to_vec().expect("build"),
    ));
    out
}

/// Well-formed messages from the repository's test data.
fn file_corpus() -> Vec<(String, Vec<u8>)> {
    let mime = Path::new(env!("CARGO_MANIFEST_DIR")).join("../correo-mime/tests/data");
    let mut files = vec![mime.join("gmail-noot-noot.eml")];
    for name in [
        "delivered-alice-1.eml",
        "delivered-alice-2.eml",
        "delivered-alice-3.eml",
        "delivered-bob-2.eml",
        "delivered-bob-3.eml",
        "rfc2046-simple.eml",
        "rfc2049-multipart.eml",
        "rfc3501-numbering.eml",
        "digest.eml",
        "qp-latin1.eml",
    ] {
        files.push(mime.join("corpus").join(name));
    }
    let mut out = Vec::new();
    for f in files {
        let raw = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // As stored (LF) and with CRLF line ends.
        let crlf = raw
            .split(|&b| b == b'\n')
            .collect::<Vec<_>>()
            .join(&b"\r\n"[..]);
        out.push((format!("crlf-{name}"), crlf));
        out.push((name, raw));
    }
    out
}

fn compare(test: &str, corpus: Vec<(String, Vec<u8>)>) {
    if !python_available(test) {
        return;
    }
    let dir = scratch(test);
    let mut args = Vec::new();
    for (name, raw) in &corpus {
        let msg = dir.join(name);
        std::fs::write(&msg, raw).expect("write message");
        let out = Command::new(env!("CARGO_BIN_EXE_correo"))
            .arg("inspect")
            .arg("--json")
            .arg(&msg)
            .output()
            .expect("run correo");
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json = dir.join(format!("{name}.json"));
        std::fs::write(&json, &out.stdout).expect("write json");
        args.push(msg);
        args.push(json);
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .args(&args)
        .output()
        .expect("run python3");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let oks = report.lines().filter(|l| l.starts_with("OK ")).count();
    assert_eq!(
        oks,
        corpus.len(),
        "{test}: correo and Python disagree:\n{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inspect_json_matches_python_on_repository_messages() {
    compare(
        "inspect_json_matches_python_on_repository_messages",
        file_corpus(),
    );
}

#[test]
fn inspect_json_matches_python_on_built_messages() {
    compare(
        "inspect_json_matches_python_on_built_messages",
        built_corpus(),
    );
}
