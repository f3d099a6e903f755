//! Test harness for the interop tests: `correo serve` as a child process on ephemeral
//! loopback ports, the loopback Postfix + Dovecot pair from `scripts/peers`, and the rule
//! for missing peers: a test whose peer is missing says by name that it was skipped, unless
//! `CORREO_INTEROP=1`, which turns a missing peer into a failure.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether missing peers are failures.
pub fn interop_required() -> bool {
    std::env::var("CORREO_INTEROP").is_ok_and(|v| v == "1")
}

/// Checks that `program` runs (`program --version` or the given probe arguments). When it
/// does not: panics under `CORREO_INTEROP=1`, else prints that `test` was skipped and
/// returns false.
pub fn require(test: &str, program: &str, probe: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            !interop_required(),
            "{test}: peer {program} is missing and CORREO_INTEROP=1"
        );
        eprintln!("skipped: {test}: peer {program} not found");
    }
    ok
}

/// The `correo` binary under test.
pub fn correo() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_correo"))
}

/// A fresh directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("correo-it-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The workspace root (for `scripts/`).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A self-signed certificate and key for `localhost` / 127.0.0.1, made by `correo` itself
/// would need a subcommand; openssl is used when present, else the test is skipped.
pub fn make_cert(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some((cert, key))
}

/// `correo serve` with TLS in a fresh temp dir: a users file, a self-signed certificate
/// and a Maildir root under [`TlsServe::dir`].
pub struct TlsServe {
    /// The server.
    pub serve: Serve,
    /// The temp dir (users file, `cert.pem`, `key.pem`, Maildir root `mail/`).
    pub dir: PathBuf,
    /// The certificate (what clients pin as their CA).
    pub cert: PathBuf,
}

/// Starts `correo serve` for `test` with the `users` file text (`name:password` lines),
/// the given listener flags each bound to `127.0.0.1:0` (e.g. `["--smtp", "--imap"]`), and
/// a fresh self-signed certificate. Without openssl the test is skipped by name (`None`),
/// or fails under `CORREO_INTEROP=1`.
pub fn serve_with_tls(test: &str, users: &str, listeners: &[&str]) -> Option<TlsServe> {
    let dir = temp_dir(test);
    let Some((cert, key)) = make_cert(&dir) else {
        assert!(
            !interop_required(),
            "{test}: openssl missing and CORREO_INTEROP=1"
        );
        eprintln!("skipped: {test}: openssl not found (needed for a test certificate)");
        return None;
    };
    let users_file = dir.join("users");
    std::fs::write(&users_file, users).expect("users file");
    let mut args: Vec<&str> = vec!["--users", users_file.to_str().expect("utf-8 path")];
    for flag in listeners {
        args.extend([*flag, "127.0.0.1:0"]);
    }
    args.extend([
        "--tls-cert",
        cert.to_str().expect("utf-8 path"),
        "--tls-key",
        key.to_str().expect("utf-8 path"),
    ]);
    let serve = Serve::start(&dir.join("mail"), &args);
    Some(TlsServe { serve, dir, cert })
}

/// `correo serve` running as a child process.
pub struct Serve {
    child: Child,
    /// Listening addresses by service name (`smtp`, `pop3`, ...).
    pub addrs: HashMap<String, String>,
    /// The Maildir root.
    pub maildir: PathBuf,
}

impl Serve {
    /// Starts `correo serve` with the given extra arguments (listeners on `127.0.0.1:0`)
    /// and waits until it prints every listening address.
    pub fn start(maildir: &Path, args: &[&str]) -> Serve {
        let mut child = Command::new(correo())
            .arg("serve")
            .arg("--maildir")
            .arg(maildir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start correo serve");
        let wanted = args
            .iter()
            .filter(|a| {
                a.starts_with("--smtp") || a.starts_with("--pop3") || a.starts_with("--imap")
            })
            .count();
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut addrs = HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while addrs.len() < wanted && Instant::now() < deadline {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            if let Some(rest) = line.trim().strip_prefix("correo serve: ")
                && let Some((service, addr)) = rest.split_once(" listening on ")
            {
                addrs.insert(service.to_owned(), addr.to_owned());
            }
        }
        assert_eq!(
            addrs.len(),
            wanted,
            "correo serve did not report its listeners: {addrs:?}"
        );
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        Serve {
            child,
            addrs,
            maildir: maildir.to_path_buf(),
        }
    }

    /// The address of `service`.
    pub fn addr(&self, service: &str) -> &str {
        self.addrs
            .get(service)
            .map(String::as_str)
            .expect("service listening")
    }

    /// The port of `service`.
    pub fn port(&self, service: &str) -> u16 {
        self.addr(service)
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .expect("port")
    }

    /// Messages in `user`'s INBOX (new/ and cur/), sorted by name.
    pub fn inbox(&self, user: &str) -> Vec<Vec<u8>> {
        let mut names = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(rd) = std::fs::read_dir(self.maildir.join(user).join(sub)) {
                names.extend(rd.flatten().map(|e| e.path()));
            }
        }
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read(p).expect("read message"))
            .collect()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body of a stored message: everything after the trace headers the server added
/// (`Return-Path:` and `Received:` fields at the top).
pub fn strip_trace(msg: &[u8]) -> &[u8] {
    let mut rest = msg;
    loop {
        let is_trace = rest.starts_with(b"Return-Path:")
            || rest.starts_with(b"Received:")
            || rest.starts_with(b"Delivered-To:")
            || rest.starts_with(b"X-Original-To:");
        if !is_trace {
            return rest;
        }
        // Skip the field with its folded continuation lines.
        let mut i = 0;
        loop {
            match rest[i..].iter().position(|&b| b == b'\n') {
                Some(nl) => {
                    i += nl + 1;
                    if !matches!(rest.get(i), Some(b' ' | b'\t')) {
                        break;
                    }
                }
                None => return &[],
            }
        }
        rest = &rest[i..];
    }
}

/// Runs a Python script; returns (success, stdout, stderr).
pub fn python(script: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python3");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The loopback Postfix + Dovecot pair (`scripts/peers/start`), stopped by PID on drop.
pub struct Peers {
    dir: PathBuf,
    /// `ports.env` values: SMTP_PORT, POP3_PORT, IMAP_PORT, PEERS_CA, ...
    pub env: HashMap<String, String>,
}

impl Peers {
    /// Starts the pair with its ports shifted by `offset`, or reports the test skipped
    /// (`None`) when Postfix/Dovecot are not installed or this is not root.
    pub fn start(test: &str, offset: u16) -> Option<Peers> {
        let installed =
            Path::new("/usr/sbin/postfix").exists() && Path::new("/usr/sbin/dovecot").exists();
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        if !installed || !root {
            assert!(
                !interop_required(),
                "{test}: Postfix/Dovecot missing (or not root) and CORREO_INTEROP=1"
            );
            eprintln!("skipped: {test}: Postfix/Dovecot not installed (or not root)");
            return None;
        }
        let dir = PathBuf::from(format!("/tmp/correo-peers-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        // The daemons inherit the script's stdout/stderr: send them to a file, never to a
        // pipe that `output()` would wait on forever.
        std::fs::create_dir_all(&dir).expect("peers dir");
        let log_path =
            std::env::temp_dir().join(format!("correo-peers-{test}-{}.log", std::process::id()));
        let log = std::fs::File::create(&log_path).expect("peers log");
        let status = Command::new("bash")
            .arg(workspace().join("scripts/peers/start"))
            .arg(&dir)
            .env("PEERS_PORT_OFFSET", offset.to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .status()
            .expect("run scripts/peers/start");
        assert!(
            status.success(),
            "{test}: peers did not start:\n{}",
            std::fs::read_to_string(&log_path).unwrap_or_default()
        );
        let text = std::fs::read_to_string(dir.join("ports.env")).expect("ports.env");
        let env = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Some(Peers { dir, env })
    }

    /// A port by its ports.env name.
    pub fn port(&self, name: &str) -> u16 {
        self.env
            .get(name)
            .and_then(|v| v.parse().ok())
            .expect("port in ports.env")
    }

    /// The peers' self-signed certificate.
    pub fn ca(&self) -> PathBuf {
        PathBuf::from(self.env.get("PEERS_CA").expect("PEERS_CA"))
    }

    /// Submits `msg` (written to `dir/msg.eml`) from bob@localhost to alice@localhost
    /// through the private Postfix with `correo send` (pinned CA), and waits until Dovecot
    /// has stored it; returns alice's messages.
    pub fn deliver_to_alice(&self, dir: &Path, msg: &str) -> Vec<Vec<u8>> {
        let file = dir.join("msg.eml");
        std::fs::write(&file, msg).expect("write message");
        let sent = Command::new(correo())
            .arg("send")
            .arg("--server")
            .arg(format!("127.0.0.1:{}", self.port("SMTP_PORT")))
            .arg("--ca")
            .arg(self.ca())
            .args(["--from", "bob@localhost", "--to", "alice@localhost"])
            .arg(&file)
            .output()
            .expect("run correo send");
        assert!(
            sent.status.success(),
            "{}",
            String::from_utf8_lossy(&sent.stderr)
        );
        self.wait_for_mail("alice", 1)
    }

    /// Waits until `user`'s Maildir holds `n` messages; returns them sorted by name.
    pub fn wait_for_mail(&self, user: &str, n: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut paths = Vec::new();
            for sub in ["new", "cur"] {
                if let Ok(rd) =
                    std::fs::read_dir(self.dir.join("mail").join(user).join("Maildir").join(sub))
                {
                    paths.extend(rd.flatten().map(|e| e.path()));
                }
            }
            if paths.len() >= n || Instant::now() > deadline {
                paths.sort();
                return paths
                    .iter()
                    .map(|p| std::fs::read(p).expect("read"))
                    .collect();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Peers {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(workspace().join("scripts/peers/stop"))
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
