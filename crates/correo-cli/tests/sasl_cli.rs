//! `correo sasl ...`, run as the built binary.

use std::process::{Command, Output};

fn correo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_correo"))
        .args(args)
        .output()
        .expect("run correo")
}

fn stdout_ok(args: &[&str]) -> String {
    let out = correo(args);
    assert!(
        out.status.success(),
        "correo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Seed 004: `perl -MMIME::Base64 -e 'print encode_base64("\000elo322utfsm\@gmail.com\000elo322_USM")'`.
#[test]
fn plain_matches_the_seeds_perl_one_liner() {
    assert_eq!(
        stdout_ok(&["sasl", "plain", "elo322utfsm@gmail.com", "elo322_USM"]),
        "AGVsbzMyMnV0ZnNtQGdtYWlsLmNvbQBlbG8zMjJfVVNN\n"
    );
    // Seed 003's account (POP3 AUTH PLAIN against Dovecot), reconstructed.
    assert_eq!(
        stdout_ok(&["sasl", "plain", "alumnopop", "alumnopoppass"]),
        "AGFsdW1ub3BvcABhbHVtbm9wb3BwYXNz\n"
    );
}

/// RFC 4616 section 4, with an authorization identity.
#[test]
fn plain_with_authzid() {
    assert_eq!(
        stdout_ok(&["sasl", "plain", "Kurt", "xipj3plmq", "--authzid", "Ursel"]),
        "VXJzZWwAS3VydAB4aXBqM3BsbXE=\n"
    );
}

#[test]
fn login_prints_two_lines() {
    assert_eq!(
        stdout_ok(&["sasl", "login", "usuario", "contraseña"]),
        "dXN1YXJpbw==\nY29udHJhc2XDsWE=\n"
    );
}

#[test]
fn decode_shows_the_seeds_prompts() {
    assert_eq!(
        stdout_ok(&["sasl", "decode", "VXNlcm5hbWU6"]),
        "Username:\n"
    );
    assert_eq!(
        stdout_ok(&["sasl", "decode", "334 UGFzc3dvcmQ6"]),
        "Password:\n"
    );
    assert_eq!(
        stdout_ok(&["sasl", "decode", "+ UGFzc3dvcmQ6"]),
        "Password:\n"
    );
    // Seed 001's second prompt as transcribed: the typo shows as an undecodable byte.
    assert_eq!(
        stdout_ok(&["sasl", "decode", "UGFzc3dvcmO6"]),
        "Passworc\\xba\n"
    );
    // Seed 003's POP3 line, verbatim: NUL separators shown as \0, DEL as \x7f.
    assert_eq!(
        stdout_ok(&["sasl", "decode", "AGFsdWlub3BvcABhbHVtbn9wb3BwYXNz"]),
        "\\0aluinopop\\0alumn\\x7fpoppass\n"
    );
}

#[test]
fn encode_understands_escapes() {
    assert_eq!(
        stdout_ok(&["sasl", "encode", "\\0tim\\0tanstaaftanstaaf"]),
        "AHRpbQB0YW5zdGFhZnRhbnN0YWFm\n"
    );
    assert_eq!(
        stdout_ok(&["sasl", "encode", "Username:"]),
        "VXNlcm5hbWU6\n"
    );
    let shown = stdout_ok(&["sasl", "decode", "AAEC/w=="]);
    assert_eq!(shown, "\\0\\x01\\x02\\xff\n");
    assert_eq!(
        stdout_ok(&["sasl", "encode", shown.trim_end()]),
        "AAEC/w==\n"
    );
}

/// RFC 2195 section 2.
#[test]
fn cram_md5_answers_the_rfc_challenge() {
    assert_eq!(
        stdout_ok(&[
            "sasl",
            "cram-md5",
            "tim",
            "tanstaaftanstaaf",
            "+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
        ]),
        "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\n"
    );
}

#[test]
fn scram_credentials_format() {
    let line = stdout_ok(&[
        "sasl",
        "scram-credentials",
        "pencil",
        "--salt",
        "QSXCR+Q6sek8bf92",
        "--sha1",
    ]);
    let (head, keys) = line.trim_end().split_once('$').unwrap();
    assert_eq!(head, "SCRAM-SHA-1");
    assert!(keys.starts_with("4096:QSXCR+Q6sek8bf92$"), "{keys}");
}

#[test]
fn bad_input_fails_with_a_message() {
    for args in [
        &["sasl", "decode", "VXNl!m5h"][..],
        &["sasl", "plain", "", "x"],
        &["sasl", "plain", "a\nb", "x"],
        &["sasl", "encode", "\\q"],
        &[
            "sasl",
            "scram-credentials",
            "p",
            "--salt",
            "",
            "--iterations",
            "1",
        ],
    ] {
        let out = correo(args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("correo: "), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}
