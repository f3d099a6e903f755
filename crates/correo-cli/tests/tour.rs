//! `correo tour` run as a user runs it: the whole tour, each section on its own, and
//! `--quiet`. The tour is an end-to-end test of the stack (its own server, clients, MIME
//! and authentication on loopback), so these tests assert its exit status and the lines
//! that show each seed exercise was replayed.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn tour(args: &[&str]) -> (Output, String, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_correo"))
        .arg("tour")
        .args(args)
        .output()
        .expect("run correo tour");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, stdout, started.elapsed())
}

fn assert_success(args: &[&str], out: &Output, stdout: &str) {
    assert!(
        out.status.success(),
        "correo tour {args:?} failed ({:?})\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout.contains("FAIL"),
        "correo tour {args:?} reported a failure:\n{stdout}"
    );
}

/// The summary line: `tour: N steps passed, 0 failed (...) in S s`.
fn summary(stdout: &str) -> (usize, usize) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("tour: ") && l.contains(" steps passed, "))
        .unwrap_or_else(|| panic!("no summary line in:\n{stdout}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let passed = words[1].parse().expect("passed count");
    let failed = words[4].parse().expect("failed count");
    (passed, failed)
}

fn assert_lines(stdout: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(
            stdout.contains(w),
            "missing {w:?} in the tour output:\n{stdout}"
        );
    }
}

#[test]
fn whole_tour_replays_every_seed_exercise() {
    let (out, stdout, elapsed) = tour(&[]);
    assert_success(&[], &out, &stdout);
    let (passed, failed) = summary(&stdout);
    assert_eq!(failed, 0);
    assert!(passed >= 50, "only {passed} steps:\n{stdout}");
    assert_lines(
        &stdout,
        &[
            // SMTP (seed 000 ex. 1-2, seed 004)
            "C: EHLO lab.it.uc3m.es",
            "S: 250-PIPELINING",
            "C: STARTTLS",
            "[TLS established]",
            "C: AUTH PLAIN ADA0MjkwMjEATWlTdXBlckNvbnRyYXNlw7Fh",
            "S: 235 ",
            "C: MAIL FROM:<feik@lab.it.uc3m.es>",
            "C: RCPT TO:<0429021@lab.it.uc3m.es>",
            "ok   PIPELINING: MAIL, RCPT and DATA sent in one write",
            "DKIM-Signature: v=1; a=ed25519-sha256;",
            // MIME (seed 000 ex. 4-5, seed 003)
            "image/gif  [base64]",
            "\"noot-noot.gif\"",
            "ok   \"noot-noot.gif\" extracted, identical to the GIF sent",
            // POP3 (seed 000 ex. 6-7)
            "C: USER 0429021",
            "C: TOP 4 0",
            "C: RETR 4",
            "C: DELE 4",
            "C: RSET",
            "S: +OK 4 ",
            "ok   after reconnecting, STAT still says 4: RSET undid the delete",
            // IMAP (seed 000 ex. 8-12)
            "CAPABILITY IMAP4rev1",
            "SELECT INBOX",
            "STATUS INBOX (MESSAGES 4)",
            "FETCH 4 (BODYSTRUCTURE)",
            "FETCH 4 (BODY[HEADER] BODY[TEXT])",
            "STORE 4 +FLAGS (\\Deleted)",
            "CREATE laboratorio/prueba",
            "S: * SEARCH 3",
            "COPY 3 laboratorio/prueba",
            "S: + idling",
            "ok   IDLE woken: * 5 EXISTS",
            // SPF and DKIM (seed 000 ex. 13-14)
            "ok   SPF: 163.117.172.176 (inside 163.117.0.0/16) -> pass",
            "ok   SPF: 192.0.2.25 (outside) -> softfail",
            "ok   DKIM: the stored message verifies",
            "ok   DKIM: the tampered copy fails",
            "Authentication-Results: vit125.lab.it.uc3m.es;",
        ],
    );
    // "It finishes in seconds" (debug build, shared CI machine: generous bound).
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
}

#[test]
fn each_section_runs_on_its_own() {
    for (section, heading) in [
        ("smtp", "== SMTP:"),
        ("mime", "== MIME:"),
        ("pop3", "== POP3:"),
        ("imap", "== IMAP:"),
        ("auth", "== SPF and DKIM:"),
    ] {
        let args = ["--section", section];
        let (out, stdout, _) = tour(&args);
        assert_success(&args, &out, &stdout);
        assert!(stdout.contains(heading), "{section}: no heading:\n{stdout}");
        let others = [
            "== SMTP:",
            "== MIME:",
            "== POP3:",
            "== IMAP:",
            "== SPF and DKIM:",
        ];
        for other in others.iter().filter(|h| **h != heading) {
            assert!(
                !stdout.contains(other),
                "{section}: ran another section too ({other}):\n{stdout}"
            );
        }
        let (passed, failed) = summary(&stdout);
        assert_eq!(failed, 0, "{section}:\n{stdout}");
        assert!(passed > 0, "{section}: no steps:\n{stdout}");
    }
    // A comma list runs several, in the tour's order and once each whatever the order given.
    let args = ["--section", "auth,pop3", "--section", "pop3"];
    let (out, stdout, _) = tour(&args);
    assert_success(&args, &out, &stdout);
    let pop3 = stdout.find("== POP3:").expect("pop3 ran");
    let auth = stdout.find("== SPF and DKIM:").expect("auth ran");
    assert!(pop3 < auth, "{stdout}");
    assert_eq!(stdout.matches("== POP3:").count(), 1);
    assert!(!stdout.contains("== IMAP:"));
}

#[test]
fn quiet_prints_only_the_summary() {
    let args = ["--quiet"];
    let (out, stdout, _) = tour(&args);
    assert_success(&args, &out, &stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "quiet printed more than the summary:\n{stdout}"
    );
    let (passed, failed) = summary(&stdout);
    assert_eq!(failed, 0);
    assert!(passed >= 50);
}

#[test]
fn unknown_section_is_a_usage_error() {
    let (out, _, _) = tour(&["--section", "nntp"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nntp"));
}

#[test]
fn a_failed_step_fails_the_tour_and_is_named() {
    // The clients log in with a wrong password: AUTH PLAIN is refused, nothing is queued.
    for (section, wanted) in [
        ("smtp", "tour: FAILED smtp: AUTH PLAIN accepted (235)"),
        // Run alone, a section needs the messages: their silent delivery fails first.
        ("pop3", "tour: FAILED setup: AUTH PLAIN accepted (235)"),
    ] {
        let args = ["--quiet", "--wrong-password", "--section", section];
        let (out, stdout, _) = tour(&args);
        assert!(!out.status.success(), "the tour passed:\n{stdout}");
        assert_eq!(out.status.code(), Some(1));
        let (_, failed) = summary(&stdout);
        assert!(failed > 0, "{stdout}");
        assert_lines(&stdout, &[wanted]);
    }
}
