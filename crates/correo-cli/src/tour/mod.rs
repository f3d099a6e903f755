//! `correo tour`: the lab practicals in the seeds replayed end to end against correo's own
//! stack, in one process, on loopback.
//!
//! The tour starts the `correo serve` machinery (SMTP, POP3 and IMAP on 127.0.0.1 ephemeral
//! ports, a Maildir in a fresh temporary directory, a throw-away self-signed certificate)
//! and drives it with correo's own client state machines over `std::net`, printing every
//! exchange as `C:`/`S:` lines. Every step checks its own result; the exit status is
//! non-zero, naming the failed steps, when any check fails.

use std::error::Error;
use std::fmt::{Display, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use clap::ValueEnum;

use crate::net;
use crate::serve::{self, Ctx, Service};
use crate::transcript::{Block, Sink, Transcript};

mod auth;
mod data;
mod imap;
mod mime;
mod pop3;
mod smtp;

type Res<T> = Result<T, Box<dyn Error>>;

/// Replay the seed labs (SMTP, MIME, POP3, IMAP, SPF/DKIM) against correo itself.
#[derive(Debug, clap::Args)]
pub(crate) struct TourArgs {
    /// Run only these sections (repeat, or a comma list; they run in the tour's order).
    /// Without smtp, the messages the others read are delivered silently first.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "NAME")]
    section: Vec<Section>,
    /// Print only the summary.
    #[arg(short, long)]
    quiet: bool,
    /// Log in with a wrong password (for testing that failed steps fail the tour).
    #[arg(long, hide = true)]
    wrong_password: bool,
}

/// The parts of the tour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Section {
    /// Seed 000 ex. 1-2, seed 004: EHLO, STARTTLS, AUTH PLAIN, pipelined submission.
    Smtp,
    /// Seed 000 ex. 4-5, seed 003: Maildir and mbox, the part tree, the attachment.
    Mime,
    /// Seed 000 ex. 6-7: USER/PASS, STAT, LIST, TOP, RETR, DELE, RSET, reconnect.
    Pop3,
    /// Seed 000 ex. 8-12: CAPABILITY ... SEARCH, COPY, IDLE.
    Imap,
    /// Seed 000 ex. 13-14: SPF and DKIM against the seed's DNS answers.
    Auth,
}

impl Section {
    fn name(self) -> &'static str {
        match self {
            Section::Smtp => "smtp",
            Section::Mime => "mime",
            Section::Pop3 => "pop3",
            Section::Imap => "imap",
            Section::Auth => "auth",
        }
    }
}

/// One checked step.
struct Step {
    section: &'static str,
    name: String,
    ok: bool,
    detail: String,
}

/// The temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Res<TempDir> {
        let dir = std::env::temp_dir().join(format!(
            "correo-tour-{}-{}",
            std::process::id(),
            net::random_token(8)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The running tour: the server, what was sent, and the steps so far.
pub(crate) struct Tour {
    quiet: bool,
    /// The password the clients log in with.
    password: String,
    /// False while delivering silently for a section run on its own.
    printing: bool,
    section: &'static str,
    steps: Vec<Step>,
    log: Arc<Mutex<Vec<Block>>>,
    ctx: Arc<Ctx>,
    smtp: SocketAddr,
    pop3: SocketAddr,
    imap: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    tmp: PathBuf,
    gif: Vec<u8>,
    dkim_seed: [u8; 32],
    zone_text: String,
    /// The messages as submitted, in order (the GIF one DKIM-signed).
    sent: Vec<Vec<u8>>,
    /// Unix time the DKIM signature was made.
    signed_at: u64,
}

impl Tour {
    /// Prints a line (unless quiet or silent).
    fn say(&self, line: impl Display) {
        if self.printing && !self.quiet {
            println!("{line}");
        }
    }

    /// Prints a section heading.
    fn heading(&self, title: &str) {
        self.say("");
        self.say(format!("== {title} =="));
    }

    /// A transcript for a client session: printed unless quiet, always captured.
    fn transcript(&self) -> Transcript {
        let sink = if self.printing && !self.quiet {
            Sink::Stdout
        } else {
            Sink::Off
        };
        Transcript::new(sink).capturing(Arc::clone(&self.log))
    }

    /// Takes what the transcripts captured since the last call.
    fn take_log(&self) -> Vec<Block> {
        self.log
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default()
    }

    /// Records a step; prints `ok` or `FAIL` with the detail. Returns `ok`.
    fn check(&mut self, name: impl Into<String>, ok: bool, detail: impl Display) -> bool {
        let name = name.into();
        let detail = detail.to_string();
        if ok {
            self.say(format!("   ok   {name}"));
        } else {
            // The summary names every failure again, also when quiet or silent.
            self.say(format!("   FAIL {name}: {detail}"));
        }
        self.steps.push(Step {
            section: self.section,
            name,
            ok,
            detail,
        });
        ok
    }

    /// Where user mail lives (the Maildir root).
    fn root(&self) -> &Path {
        self.ctx.store.root()
    }

    /// The DKIM signing key (rebuilt from its seed: keys are not `Clone`).
    fn dkim_key(&self) -> correo_auth::dkim::SigningKey {
        correo_auth::dkim::SigningKey::ed25519_from_seed(&self.dkim_seed)
    }

    /// The INBOX as the store sees it now.
    fn inbox(&self) -> Res<serve::store::MailboxState> {
        Ok(self.ctx.store.scan(data::USER, "INBOX")?)
    }
}

/// Runs `correo tour`.
pub(crate) fn run(args: TourArgs) -> Res<ExitCode> {
    let started = Instant::now();
    // Always in the tour's order (each part reads what the earlier ones left), once each.
    let sections: Vec<Section> = Section::value_variants()
        .iter()
        .copied()
        .filter(|s| args.section.is_empty() || args.section.contains(s))
        .collect();
    let tmp = TempDir::new()?;
    let maildir = tmp.0.join("Maildir");
    std::fs::create_dir_all(&maildir)?;

    // The `correo serve` machinery, in-process, on ephemeral loopback ports.
    let (ctx, cert_pem) = serve::build_ctx(&serve::Setup {
        maildir: Some(maildir),
        users: None,
        user: Some((data::USER.to_owned(), data::PASSWORD.to_owned())),
        tls: None,
        self_signed: true,
        hostname: data::HOSTNAME.to_owned(),
        verbose: false,
        // As Dovecot on the lab machines allows plaintext logins from localhost (seed 000
        // ex. 6 and 8 log in over telnet); SMTP still does STARTTLS first (seed 004).
        insecure_auth: true,
    })?;
    let ctx = Arc::new(ctx);
    let cert_pem = cert_pem.ok_or("no self-signed certificate")?;
    let any: SocketAddr = "127.0.0.1:0".parse()?;
    let running = serve::start(
        Arc::clone(&ctx),
        &[
            (Service::Smtp, any),
            (Service::Pop3, any),
            (Service::Imap, any),
        ],
    )?;
    let addr = |s: Service| {
        running
            .bound
            .iter()
            .find(|(svc, _)| *svc == s)
            .map(|(_, a)| *a)
            .ok_or_else(|| format!("{} did not start", s.name()))
    };
    let key_seed = net::random_bytes(32);
    let mut dkim_seed = [0u8; 32];
    dkim_seed.copy_from_slice(key_seed.get(..32).ok_or("no randomness")?);
    let dkim_record = correo_auth::dkim::SigningKey::ed25519_from_seed(&dkim_seed).dns_record();
    let mut tour = Tour {
        quiet: args.quiet,
        password: if args.wrong_password {
            "not-the-password".to_owned()
        } else {
            data::PASSWORD.to_owned()
        },
        printing: true,
        section: "setup",
        steps: Vec::new(),
        log: Arc::new(Mutex::new(Vec::new())),
        smtp: addr(Service::Smtp)?,
        pop3: addr(Service::Pop3)?,
        imap: addr(Service::Imap)?,
        tls: net::pinned_client_config(&cert_pem)?,
        tmp: tmp.0.clone(),
        gif: data::gif(),
        dkim_seed,
        zone_text: data::zone_text(&dkim_record),
        sent: Vec::new(),
        signed_at: 0,
        ctx,
    };
    tour.say(format!(
        "correo tour: the seed labs replayed against correo serve, in this process\n  \
         smtp {}  pop3 {}  imap {}  (127.0.0.1, ephemeral ports)\n  \
         Maildir {}\n  user {} / password {}; TLS: a throw-away self-signed certificate, pinned",
        tour.smtp,
        tour.pop3,
        tour.imap,
        tour.root().display(),
        data::USER,
        data::PASSWORD
    ));

    // Later sections read what the SMTP section delivers: deliver it silently first when
    // the SMTP section itself is not run.
    if !sections.contains(&Section::Smtp) {
        tour.printing = false;
        if let Err(e) = smtp::deliver(&mut tour) {
            tour.check("deliver the seed messages", false, e);
        }
        tour.printing = true;
    }
    for section in &sections {
        tour.section = section.name();
        let result = match section {
            Section::Smtp => smtp::run(&mut tour),
            Section::Mime => mime::run(&mut tour),
            Section::Pop3 => pop3::run(&mut tour),
            Section::Imap => imap::run(&mut tour),
            Section::Auth => auth::run(&mut tour),
        };
        if let Err(e) = result {
            tour.check(
                format!("{} section ran to the end", section.name()),
                false,
                e,
            );
        }
        tour.take_log();
    }
    drop(running);

    let failed: Vec<&Step> = tour.steps.iter().filter(|s| !s.ok).collect();
    let (setup, steps): (Vec<&Step>, Vec<&Step>) =
        tour.steps.iter().partition(|s| s.section == "setup");
    let passed = steps.iter().filter(|s| s.ok).count();
    let elapsed = started.elapsed();
    println!();
    let mut names = sections
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(", ");
    if !setup.is_empty() {
        let _ = write!(
            names,
            "; after {} of {} setup steps passed",
            setup.iter().filter(|s| s.ok).count(),
            setup.len()
        );
    }
    println!(
        "tour: {passed} steps passed, {} failed ({}) in {:.2} s",
        failed.len(),
        names,
        elapsed.as_secs_f64()
    );
    for s in &failed {
        println!("tour: FAILED {}: {}: {}", s.section, s.name, s.detail);
    }
    drop(tmp);
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Whether `haystack` contains `needle` (bytes).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Everything captured from one side (`C` or `S`), joined.
fn side(log: &[Block], who: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for (w, b) in log {
        if *w == who {
            out.extend_from_slice(b);
        }
    }
    out
}
