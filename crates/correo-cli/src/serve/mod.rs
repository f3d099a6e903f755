//! `correo serve`: a small real mail server built only from the correo crates.
//!
//! One thread per connection, blocking `std::net` sockets, TLS by rustls. Each protocol
//! handler (`smtp`, `pop3`, `imap`) reads bytes from its [`Conn`], hands them to the
//! protocol crate's sans-IO server machine, answers the machine's questions from the
//! [`Store`] and the [`Users`], and writes what the machine says.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use std::{fs, io};

use rustls::ServerConfig;

use crate::net::{self, Conn};

pub(crate) mod imap;
pub(crate) mod pop3;
pub(crate) mod smtp;
pub(crate) mod store;

pub(crate) use store::{Store, Users};

/// The demo user that `correo serve` creates when no users file is given.
pub(crate) const DEMO_USER: (&str, &str) = ("demo", "demo");

/// Everything a connection handler needs.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// The Maildir store.
    pub(crate) store: Store,
    /// Who may log in, and whose mail is accepted.
    pub(crate) users: Users,
    /// TLS for STARTTLS/STLS and the implicit-TLS ports, when a certificate is configured.
    pub(crate) tls: Option<Arc<ServerConfig>>,
    /// The host name used in greetings and trace headers.
    pub(crate) hostname: String,
    /// Print each session's transcript to stderr.
    pub(crate) verbose: bool,
    /// Offer PLAIN/LOGIN (and POP3 USER/PASS, IMAP LOGIN) before TLS.
    pub(crate) insecure_auth: bool,
}

/// The services a listener can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// SMTP (STARTTLS when a certificate is configured).
    Smtp,
    /// SMTP over implicit TLS.
    Smtps,
    /// POP3 (STLS when a certificate is configured).
    Pop3,
    /// POP3 over implicit TLS.
    Pop3s,
    /// IMAP (STARTTLS when a certificate is configured).
    Imap,
    /// IMAP over implicit TLS.
    Imaps,
}

impl Service {
    /// The name printed for it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Service::Smtp => "smtp",
            Service::Smtps => "smtps",
            Service::Pop3 => "pop3",
            Service::Pop3s => "pop3s",
            Service::Imap => "imap",
            Service::Imaps => "imaps",
        }
    }

    fn implicit_tls(self) -> bool {
        matches!(self, Service::Smtps | Service::Pop3s | Service::Imaps)
    }
}

/// A running server: its bound addresses; dropping it (or [`Running::stop`]) stops it.
pub(crate) struct Running {
    /// What listens where.
    pub(crate) bound: Vec<(Service, SocketAddr)>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Running {
    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for (_, addr) in &self.bound {
            // Wake the blocking accept() so it sees the flag.
            let _ = TcpStream::connect_timeout(addr, Duration::from_millis(200));
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }

    /// Blocks until the acceptor threads end (they run until the process is stopped).
    pub(crate) fn wait(mut self) {
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.threads.is_empty() {
            self.shutdown();
        }
    }
}

/// Binds every listener, then serves each accepted connection on its own thread.
pub(crate) fn start(ctx: Arc<Ctx>, binds: &[(Service, SocketAddr)]) -> io::Result<Running> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut bound = Vec::new();
    let mut listeners = Vec::new();
    for &(service, addr) in binds {
        if service.implicit_tls() && ctx.tls.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("--{} needs --tls-cert and --tls-key", service.name()),
            ));
        }
        let listener = TcpListener::bind(addr)
            .map_err(|e| io::Error::new(e.kind(), format!("bind {addr}: {e}")))?;
        bound.push((service, listener.local_addr()?));
        listeners.push((service, listener));
    }
    let mut threads = Vec::new();
    for (service, listener) in listeners {
        let ctx = Arc::clone(&ctx);
        let stop = Arc::clone(&stop);
        threads.push(std::thread::spawn(move || {
            accept_loop(service, &listener, &ctx, &stop);
        }));
    }
    Ok(Running {
        bound,
        stop,
        threads,
    })
}

fn accept_loop(service: Service, listener: &TcpListener, ctx: &Arc<Ctx>, stop: &AtomicBool) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let ctx = Arc::clone(ctx);
        std::thread::spawn(move || {
            let peer = stream.peer_addr().ok();
            if let Err(e) = serve_connection(service, stream, &ctx)
                && ctx.verbose
            {
                eprintln!("correo serve: {} {peer:?}: {e}", service.name());
            }
        });
    }
}

fn serve_connection(service: Service, stream: TcpStream, ctx: &Ctx) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(600)))?;
    stream.set_write_timeout(Some(Duration::from_secs(60)))?;
    let _ = stream.set_nodelay(true);
    let mut conn = Conn::Plain(stream);
    if service.implicit_tls() {
        let Some(tls) = &ctx.tls else {
            return Err(io::Error::other("no TLS configured"));
        };
        conn = conn.into_tls_server(Arc::clone(tls))?;
    }
    match service {
        Service::Smtp | Service::Smtps => smtp::handle(conn, ctx, service.implicit_tls()),
        Service::Pop3 | Service::Pop3s => pop3::handle(conn, ctx, service.implicit_tls()),
        Service::Imap | Service::Imaps => imap::handle(conn, ctx, service.implicit_tls()),
    }
}

/// Options shared by `correo serve` and the tour: where mail lives and who may use it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Setup {
    /// The Maildir root (a temporary directory when `None`).
    pub(crate) maildir: Option<PathBuf>,
    /// The users file (the demo user when `None`).
    pub(crate) users: Option<PathBuf>,
    /// A single user `(name, password)`, used when there is no users file (instead of the
    /// demo user).
    pub(crate) user: Option<(String, String)>,
    /// Certificate and key PEM files (a throw-away self-signed pair when `self_signed`).
    pub(crate) tls: Option<(PathBuf, PathBuf)>,
    /// Make a throw-away self-signed certificate when no files are given.
    pub(crate) self_signed: bool,
    /// Host name for greetings and trace headers.
    pub(crate) hostname: String,
    /// Print transcripts to stderr.
    pub(crate) verbose: bool,
    /// Offer plaintext authentication before TLS.
    pub(crate) insecure_auth: bool,
}

/// A server context ready to start, and the self-signed certificate PEM if one was made.
pub(crate) fn build_ctx(setup: &Setup) -> io::Result<(Ctx, Option<String>)> {
    let root = match &setup.maildir {
        Some(dir) => dir.clone(),
        None => {
            let dir = std::env::temp_dir().join(format!("correo-serve-{}", std::process::id()));
            fs::create_dir_all(&dir)?;
            dir
        }
    };
    let users = match &setup.users {
        Some(path) => {
            let text = fs::read_to_string(path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            Users::parse(&text)?
        }
        None => match &setup.user {
            Some((name, password)) => Users::single(name, password),
            None => Users::single(DEMO_USER.0, DEMO_USER.1),
        },
    };
    let store = Store::new(&root, &setup.hostname)?;
    for name in users.names() {
        store.ensure_user(name)?;
    }
    let (tls, cert_pem) = match (&setup.tls, setup.self_signed) {
        (Some((cert, key)), _) => (Some(net::server_config(cert, key)?), None),
        (None, true) => {
            let (cert, key) = net::self_signed()?;
            (
                Some(net::server_config_from_pem(
                    cert.as_bytes(),
                    key.as_bytes(),
                )?),
                Some(cert),
            )
        }
        (None, false) => (None, None),
    };
    Ok((
        Ctx {
            store,
            users,
            tls,
            hostname: setup.hostname.clone(),
            verbose: setup.verbose,
            insecure_auth: setup.insecure_auth,
        },
        cert_pem,
    ))
}

/// Run a small real mail server on the correo crates.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Maildir root: user NAME's mailbox is the Maildir DIR/NAME (a temporary directory
    /// when not given).
    #[arg(long, value_name = "DIR")]
    pub(crate) maildir: Option<PathBuf>,
    /// Users file: one `name:password` a line (a demo user `demo:demo` when not given).
    #[arg(long, value_name = "FILE")]
    pub(crate) users: Option<PathBuf>,
    /// Serve SMTP on this address (STARTTLS when a certificate is given).
    #[arg(long, value_name = "ADDR")]
    pub(crate) smtp: Option<SocketAddr>,
    /// Serve SMTP over implicit TLS on this address.
    #[arg(long, value_name = "ADDR")]
    pub(crate) smtps: Option<SocketAddr>,
    /// Serve POP3 on this address (STLS when a certificate is given).
    #[arg(long, value_name = "ADDR")]
    pub(crate) pop3: Option<SocketAddr>,
    /// Serve POP3 over implicit TLS on this address.
    #[arg(long, value_name = "ADDR")]
    pub(crate) pop3s: Option<SocketAddr>,
    /// Serve IMAP on this address (STARTTLS when a certificate is given).
    #[arg(long, value_name = "ADDR")]
    pub(crate) imap: Option<SocketAddr>,
    /// Serve IMAP over implicit TLS on this address.
    #[arg(long, value_name = "ADDR")]
    pub(crate) imaps: Option<SocketAddr>,
    /// Certificate chain (PEM) for STARTTLS and the implicit-TLS ports.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// Private key (PEM) for --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Host name for greetings and Received headers.
    #[arg(long, default_value = "localhost")]
    pub(crate) hostname: String,
    /// Offer plaintext authentication (AUTH PLAIN/LOGIN, USER/PASS, LOGIN) before TLS.
    #[arg(long)]
    pub(crate) insecure_auth: bool,
    /// Print every session's bytes to standard error.
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

/// Default ports when no listener is named: loopback, unprivileged.
const DEFAULT_SMTP: &str = "127.0.0.1:2525";
const DEFAULT_POP3: &str = "127.0.0.1:2110";
const DEFAULT_IMAP: &str = "127.0.0.1:2143";

pub(crate) fn run(args: ServeArgs) -> Result<std::process::ExitCode, Box<dyn std::error::Error>> {
    let mut binds = Vec::new();
    let any = [
        args.smtp, args.smtps, args.pop3, args.pop3s, args.imap, args.imaps,
    ]
    .iter()
    .any(Option::is_some);
    let defaults = !any && args.maildir.is_none() && args.users.is_none();
    if let Some(a) = args.smtp {
        binds.push((Service::Smtp, a));
    }
    if let Some(a) = args.smtps {
        binds.push((Service::Smtps, a));
    }
    if let Some(a) = args.pop3 {
        binds.push((Service::Pop3, a));
    }
    if let Some(a) = args.pop3s {
        binds.push((Service::Pop3s, a));
    }
    if let Some(a) = args.imap {
        binds.push((Service::Imap, a));
    }
    if let Some(a) = args.imaps {
        binds.push((Service::Imaps, a));
    }
    if !any {
        binds.push((Service::Smtp, DEFAULT_SMTP.parse()?));
        binds.push((Service::Pop3, DEFAULT_POP3.parse()?));
        binds.push((Service::Imap, DEFAULT_IMAP.parse()?));
    }
    let setup = Setup {
        maildir: args.maildir.clone(),
        users: args.users.clone(),
        user: None,
        tls: args.tls_cert.clone().zip(args.tls_key.clone()),
        // With no flags at all, STARTTLS works out of the box with a throw-away certificate.
        self_signed: defaults,
        hostname: args.hostname.clone(),
        verbose: args.verbose,
        insecure_auth: args.insecure_auth,
    };
    let (ctx, cert) = build_ctx(&setup)?;
    let ctx = Arc::new(ctx);
    let running = start(Arc::clone(&ctx), &binds)?;
    println!("correo serve: Maildir root {}", ctx.store.root().display());
    if setup.users.is_none() {
        println!(
            "correo serve: demo user {} / password {}",
            DEMO_USER.0, DEMO_USER.1
        );
    }
    if let Some(cert) = cert {
        let path = ctx.store.root().join("correo-serve-cert.pem");
        fs::write(&path, cert)?;
        println!(
            "correo serve: self-signed certificate (for --ca) at {}",
            path.display()
        );
    }
    for (service, addr) in &running.bound {
        println!("correo serve: {} listening on {addr}", service.name());
    }
    running.wait();
    Ok(std::process::ExitCode::SUCCESS)
}
