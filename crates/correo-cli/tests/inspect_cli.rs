//! `correo inspect`: the tree view, `-` for stdin, and `--extract` with hostile file names.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use correo_mime::build::{MessageBuilder, Part};
use correo_mime::header::Mailbox;

fn correo(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_correo"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run correo");
    let mut pipe = child.stdin.take().expect("stdin");
    pipe.write_all(stdin.unwrap_or_default())
        .expect("write stdin");
    drop(pipe);
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "correo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("correo-inspect-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

fn gmail() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../correo-mime/tests/data/gmail-noot-noot.eml")
}

#[test]
fn tree_of_the_seed_message() {
    let out = correo(&["inspect", gmail().to_str().expect("path")], None);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("Subject: noot noot\n"), "{text}");
    assert!(text.contains("Date: 2024-11-23T19:55:10+01:00\n"), "{text}");
    let lines: Vec<&str> = text.lines().skip_while(|l| !l.is_empty()).skip(1).collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("-      multipart/mixed"), "{text}");
    assert!(
        lines[1]
            .trim_start()
            .starts_with("1      multipart/alternative"),
        "{text}"
    );
    assert!(
        lines[2]
            .trim_start()
            .starts_with("1.1    text/plain; charset=UTF-8"),
        "{text}"
    );
    assert!(
        lines[3].trim_start().starts_with("1.2    text/html"),
        "{text}"
    );
    assert!(
        lines[4]
            .trim_start()
            .starts_with("2      image/gif  [base64]  656 bytes  attachment  \"noot-noot.gif\""),
        "{text}"
    );
}

#[test]
fn stdin_and_file_agree() {
    let raw = std::fs::read(gmail()).expect("read");
    let a = correo(&["inspect", "--json", "-"], Some(&raw));
    let b = correo(
        &["inspect", "--json", gmail().to_str().expect("path")],
        None,
    );
    assert_eq!(a.stdout, b.stdout);
    assert!(String::from_utf8_lossy(&a.stdout).starts_with("{\"subject\": \"noot noot\""));
}

#[test]
fn extract_sanitises_and_never_overwrites() {
    let dir = scratch("extract");
    let out_dir = dir.join("out");
    let names = [
        "../../escape.txt",
        "/etc/passwd",
        ".hidden",
        "same.txt",
        "same.txt",
        "C:\\win\\same.txt",
        "..",
    ];
    let mut parts = vec![Part::text("body\n")];
    for (i, n) in names.iter().enumerate() {
        parts.push(Part::attachment(
            "application",
            "octet-stream",
            n,
            format!("content {i}").into_bytes(),
        ));
    }
    let raw = MessageBuilder::new()
        .from(Mailbox::new(None::<&str>, "a", "example.org"))
        .body(Part::mixed(parts))
        .to_vec()
        .expect("build");
    let msg = dir.join("m.eml");
    std::fs::write(&msg, &raw).expect("write");
    // A file already there is not overwritten.
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    std::fs::write(out_dir.join("passwd"), b"mine").expect("write");
    correo(
        &[
            "inspect",
            "--extract",
            out_dir.to_str().expect("path"),
            msg.to_str().expect("path"),
        ],
        None,
    );
    let mut got: Vec<(String, String)> = std::fs::read_dir(&out_dir)
        .expect("read dir")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).expect("read"),
            )
        })
        .collect();
    got.sort();
    let want: Vec<(String, String)> = [
        ("escape.txt", "content 0"),
        ("hidden", "content 2"),
        ("part-8.bin", "content 6"),
        ("passwd", "mine"),
        ("passwd-1", "content 1"),
        ("same-1.txt", "content 4"),
        ("same-2.txt", "content 5"),
        ("same.txt", "content 3"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(got, want);
    // Nothing escaped the directory.
    assert!(!dir.join("escape.txt").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
