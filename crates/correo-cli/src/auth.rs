//! `correo dkim`, `correo spf` and `correo auth`: email authentication from the command
//! line, driving the sans-IO machines of `correo-auth`.
//!
//! DNS comes from a zone file (`--dns ZONE`, RFC 1035 master-file lines as `dig` prints
//! them, read by [`correo_auth::zone::Zone`]). There is no built-in resolver: the only
//! maintained pure-Rust resolvers (hickory) bring an async runtime and a large dependency
//! tree into a tool whose checks are meant to be reproducible, so `--dns` is required
//! wherever DNS is needed. To check against live DNS, put `dig` answers in a file.

use crate::net;
use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine as _;
use clap::{Args, Subcommand, ValueEnum};
use correo_auth::authres::{AuthResults, MethodResult};
use correo_auth::dkim::{
    Algorithm, Canon, DkimResult, DkimSigner, DkimStatus, DkimVerifier, SigningKey, VerifyOptions,
    split_header,
};
use correo_auth::dmarc::{DmarcCheck, DmarcInput, DmarcOptions, OrgDomainMode};
use correo_auth::spf::{SpfCheck, SpfOptions, SpfOutcome};
use correo_auth::zone::Zone;

type Res<T> = Result<T, Box<dyn Error>>;

const NO_ZONE: &str = "a DNS zone file is required: pass --dns ZONE (RFC 1035 master-file \
lines as dig prints them, e.g. `lab.it.uc3m.es. 60 IN TXT \"v=spf1 include:_spf.uc3m.es ~all\"`); \
correo has no built-in resolver";

/// `correo dkim ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum DkimCommand {
    /// Verify every DKIM-Signature of a message: one line per signature, top first
    /// (`pass`, `fail`, `permerror`, `temperror`, with d=, s= and the reason).
    ///
    /// Exit status: 0 when at least one signature passes, 1 when none does (or there is
    /// none), 2 on errors (bad usage, no --dns, an unreadable message or zone).
    Verify(DkimVerifyArgs),
    /// Sign a message and print it with the DKIM-Signature field prepended.
    Sign(DkimSignArgs),
}

/// Arguments of `correo dkim verify`.
#[derive(Debug, Args)]
pub(crate) struct DkimVerifyArgs {
    /// Zone file answering the key queries (`<selector>._domainkey.<domain>` TXT).
    /// Required: correo has no built-in resolver.
    #[arg(long, value_name = "ZONE")]
    dns: Option<PathBuf>,
    /// Verify as of this time (Unix seconds) for `x=` and `t=`; default: the clock.
    #[arg(long, value_name = "UNIX")]
    now: Option<u64>,
    /// The message (CRLF line ends; a file with only LF ends is read as CRLF).
    file: PathBuf,
}

/// Signing algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AlgArg {
    /// RSA PKCS#1 v1.5 with SHA-256 (needs an RSA key).
    #[value(name = "rsa-sha256")]
    RsaSha256,
    /// Ed25519 over SHA-256 (RFC 8463; needs an Ed25519 key).
    #[value(name = "ed25519-sha256")]
    Ed25519Sha256,
}

/// Arguments of `correo dkim sign`.
#[derive(Debug, Args)]
pub(crate) struct DkimSignArgs {
    /// Private key: PEM (PKCS#1 or PKCS#8 RSA, PKCS#8 Ed25519) or a raw 32-byte Ed25519
    /// seed in base64.
    #[arg(long, value_name = "PEM")]
    key: PathBuf,
    /// Signing domain (`d=`).
    #[arg(long, value_name = "D")]
    domain: String,
    /// Selector (`s=`).
    #[arg(long, value_name = "S")]
    selector: String,
    /// Header fields to sign, colon-separated (e.g. `from:to:subject`); each is signed
    /// once per instance present, From always. Default: from, to, cc, subject, date,
    /// message-id, reply-to, in-reply-to, references, mime-version, content-type,
    /// content-transfer-encoding.
    #[arg(long, value_name = "LIST")]
    headers: Option<String>,
    /// Use the --headers list as `h=` exactly as given, repetitions included.
    #[arg(long, requires = "headers")]
    exact_headers: bool,
    /// Algorithm; must match the key (default: the key's).
    #[arg(long, value_enum)]
    algorithm: Option<AlgArg>,
    /// Canonicalization `header/body` (`relaxed/relaxed`, `simple/simple`,
    /// `relaxed/simple`, ...; one word means `word/simple`).
    #[arg(long, value_name = "C", default_value = "relaxed/relaxed")]
    canonicalization: String,
    /// Over-sign: list each signed header name once more than it occurs, so a field
    /// added later breaks the signature.
    #[arg(long)]
    oversign: bool,
    /// Signing time `t=` (Unix seconds); default: the clock. `--time 0` omits `t=`.
    #[arg(long, value_name = "UNIX")]
    time: Option<u64>,
    /// Expiry `x=` (Unix seconds).
    #[arg(long, value_name = "UNIX")]
    expire: Option<u64>,
    /// Agent or user identifier `i=` (e.g. `@example.org`).
    #[arg(long, value_name = "I")]
    identity: Option<String>,
    /// Write `q=dns/txt` (the default query method, normally left out).
    #[arg(long)]
    query_tag: bool,
    /// Separator written between `h=` names (dkimpy writes " : ").
    #[arg(long, value_name = "SEP", default_value = ":")]
    header_separator: String,
    /// Add `l=` (the signed body length): lets content be appended, not advised.
    #[arg(long)]
    body_length: bool,
    /// The message (CRLF line ends; a file with only LF ends is converted to CRLF).
    file: PathBuf,
}

/// `correo spf ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum SpfCommand {
    /// Evaluate SPF (RFC 7208 check_host) for a client IP and sender.
    ///
    /// The first output line is the result keyword alone (pass, fail, softfail,
    /// neutral, none, temperror, permerror); then the explanation, the mechanism that
    /// matched and the lookup counts. Exit status 0 whatever the result.
    Check(SpfCheckArgs),
}

/// Arguments of `correo spf check`.
#[derive(Debug, Args)]
pub(crate) struct SpfCheckArgs {
    /// Zone file with the DNS records (required: correo has no built-in resolver).
    #[arg(long, value_name = "ZONE")]
    dns: Option<PathBuf>,
    /// The SMTP client's IP address.
    #[arg(long)]
    ip: IpAddr,
    /// MAIL FROM address (`user@domain`); empty for a null reverse-path (the HELO name
    /// is checked then).
    #[arg(long, value_name = "ADDR")]
    sender: String,
    /// The HELO/EHLO name (`%{h}`; checked when the sender is empty).
    #[arg(long, value_name = "NAME", default_value = "unknown")]
    helo: String,
}

/// Arguments of `correo auth`.
#[derive(Debug, Args)]
pub(crate) struct AuthArgs {
    /// Zone file with the DNS records (required: correo has no built-in resolver).
    #[arg(long, value_name = "ZONE")]
    dns: Option<PathBuf>,
    /// The SMTP client's IP address.
    #[arg(long)]
    ip: IpAddr,
    /// The HELO/EHLO name.
    #[arg(long, value_name = "NAME")]
    helo: String,
    /// MAIL FROM address; empty for a null reverse-path (SPF checks the HELO name).
    #[arg(long, value_name = "ADDR")]
    mail_from: String,
    /// The authserv-id written in the header.
    #[arg(long, value_name = "ID", default_value = "localhost")]
    authserv_id: String,
    /// Verify DKIM as of this time (Unix seconds); default: the clock.
    #[arg(long, value_name = "UNIX")]
    now: Option<u64>,
    /// How DMARC finds Organizational Domains: the RFC 9989 DNS tree walk, or the RFC 7489
    /// Public Suffix List (embedded).
    #[arg(long, value_enum, default_value = "tree-walk")]
    org_domain: OrgDomain,
    /// The message.
    file: PathBuf,
}

/// `--org-domain` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OrgDomain {
    /// RFC 9989 (DMARCbis): DNS tree walk with `psd`, `np` and `t`.
    TreeWalk,
    /// RFC 7489: the Public Suffix List.
    Psl,
}

fn load_zone(path: Option<&Path>) -> Res<Zone> {
    let path = path.ok_or(NO_ZONE)?;
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Zone::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

/// Read a message; when it has LF line ends only, turn them into CRLF.
fn load_message(path: &Path) -> Res<Vec<u8>> {
    let raw = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if raw.windows(2).any(|w| w == b"\r\n") || !raw.contains(&b'\n') {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    for &b in &raw {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    Ok(out)
}

pub(crate) fn verify_all(msg: &[u8], zone: &Zone, now: u64) -> Vec<DkimResult> {
    DkimVerifier::verify_message(msg, VerifyOptions::at(now), |l| zone.answer(l))
}

/// One output line for a signature.
pub(crate) fn describe(r: &DkimResult) -> String {
    let mut line = format!(
        "{} d={} s={}",
        r.status,
        if r.ids.domain.is_empty() {
            "?"
        } else {
            &r.ids.domain
        },
        if r.ids.selector.is_empty() {
            "?"
        } else {
            &r.ids.selector
        }
    );
    if let Some(sig) = &r.signature {
        line.push_str(" a=");
        line.push_str(sig.algorithm.as_str());
    }
    if let Some(e) = &r.error {
        let _ = write!(line, " reason=\"{e}\"");
    }
    if r.testing {
        line.push_str(" testing=y");
    }
    for w in &r.warnings {
        let _ = write!(line, " warning=\"{w}\"");
    }
    line
}

pub(crate) fn run_dkim(cmd: DkimCommand) -> Res<ExitCode> {
    match cmd {
        // Exit 2 on errors, so that 1 always means "no signature passed".
        DkimCommand::Verify(a) => dkim_verify(&a).or_else(|e| {
            eprintln!("correo: {e}");
            Ok(ExitCode::from(2))
        }),
        DkimCommand::Sign(a) => dkim_sign(&a),
    }
}

fn dkim_verify(a: &DkimVerifyArgs) -> Res<ExitCode> {
    let zone = load_zone(a.dns.as_deref())?;
    let msg = load_message(&a.file)?;
    let results = verify_all(&msg, &zone, a.now.unwrap_or_else(net::unix_now));
    if results.is_empty() {
        println!("none (no DKIM-Signature field)");
        return Ok(ExitCode::FAILURE);
    }
    for r in &results {
        println!("{}", describe(r));
    }
    Ok(if results.iter().any(|r| r.status == DkimStatus::Pass) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn parse_canon(word: &str) -> Res<Canon> {
    match word.trim().to_ascii_lowercase().as_str() {
        "simple" => Ok(Canon::Simple),
        "relaxed" => Ok(Canon::Relaxed),
        other => Err(format!("unknown canonicalization {other:?} (simple or relaxed)").into()),
    }
}

fn read_key(path: &Path) -> Res<SigningKey> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if text.contains("-----BEGIN") {
        return Ok(SigningKey::from_pem(&text).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| format!("{}: neither PEM nor base64: {e}", path.display()))?;
    let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
        format!(
            "{}: a raw Ed25519 seed is 32 bytes, this is {}",
            path.display(),
            bytes.len()
        )
    })?;
    Ok(SigningKey::ed25519_from_seed(&seed))
}

fn dkim_sign(a: &DkimSignArgs) -> Res<ExitCode> {
    let key = read_key(&a.key)?;
    if let Some(want) = a.algorithm {
        let want = match want {
            AlgArg::RsaSha256 => Algorithm::RsaSha256,
            AlgArg::Ed25519Sha256 => Algorithm::Ed25519Sha256,
        };
        if key.algorithm() != want {
            return Err(format!(
                "--algorithm {} does not match the key ({})",
                want.as_str(),
                key.algorithm().as_str()
            )
            .into());
        }
    }
    let (hc, bc) = match a.canonicalization.split_once('/') {
        Some((h, b)) => (parse_canon(h)?, parse_canon(b)?),
        None => (parse_canon(&a.canonicalization)?, Canon::Simple),
    };
    let msg = load_message(&a.file)?;
    let mut signer = DkimSigner::new(key, &a.domain, &a.selector)
        .canonicalization(hc, bc)
        .oversign(a.oversign)
        .query_tag(a.query_tag)
        .header_separator(&a.header_separator)
        .body_length(a.body_length);
    if let Some(list) = &a.headers {
        let names: Vec<&str> = list
            .split(':')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        signer = if a.exact_headers {
            signer.headers_verbatim(&names)
        } else {
            signer.headers(&names)
        };
    }
    match a.time {
        Some(0) => {}
        Some(t) => signer = signer.timestamp(t),
        None => signer = signer.timestamp(net::unix_now()),
    }
    if let Some(x) = a.expire {
        signer = signer.expiration(x);
    }
    if let Some(i) = &a.identity {
        signer = signer.identity(i);
    }
    let field = signer.sign(&msg)?;
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(field.as_bytes())?;
    out.write_all(&msg)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn spf_outcome(zone: &Zone, ip: IpAddr, sender: &str, helo: &str) -> SpfOutcome {
    let opts = SpfOptions {
        now: net::unix_now(),
        ..SpfOptions::default()
    };
    SpfCheck::mail_from(ip, sender, helo, opts).run_with(|l| zone.answer(l))
}

pub(crate) fn run_spf(cmd: SpfCommand) -> Res<ExitCode> {
    let SpfCommand::Check(a) = cmd;
    let zone = load_zone(a.dns.as_deref())?;
    let o = spf_outcome(&zone, a.ip, &a.sender, &a.helo);
    println!("{}", o.result);
    println!("domain: {}", o.domain);
    if let Some(e) = &o.explanation {
        println!("explanation: {e}");
    }
    if let Some(r) = &o.reason {
        println!("reason: {r}");
    }
    match &o.matched {
        Some(m) => println!("mechanism: {} (in the record of {})", m.mechanism, m.domain),
        None => println!("mechanism: none matched"),
    }
    println!(
        "lookups: {} DNS-querying terms (limit 10), {} void (limit 2), {} queries",
        o.dns_terms, o.void_lookups, o.queries
    );
    Ok(ExitCode::SUCCESS)
}

/// The RFC5322.From domains of a message.
fn from_domains(msg: &[u8]) -> Vec<String> {
    let Some((fields, _)) = split_header(msg, 10_000) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in fields
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case(b"from"))
    {
        let Some(colon) = f.raw.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = f.raw.get(colon + 1..).unwrap_or_default();
        let list = correo_mime::header::parse_address_list(value);
        for m in list.mailboxes() {
            let d = m.domain.trim().to_ascii_lowercase();
            if !d.is_empty() && !out.contains(&d) {
                out.push(d);
            }
        }
    }
    out
}

pub(crate) fn run_auth(a: &AuthArgs) -> Res<ExitCode> {
    let zone = load_zone(a.dns.as_deref())?;
    let msg = load_message(&a.file)?;
    let spf = spf_outcome(&zone, a.ip, &a.mail_from, &a.helo);
    let dkim = verify_all(&msg, &zone, a.now.unwrap_or_else(net::unix_now));
    let mut ar =
        AuthResults::new(&a.authserv_id).with(MethodResult::spf(&spf, &a.mail_from, &a.helo));
    if dkim.is_empty() {
        ar = ar.with(MethodResult::new("dkim", "none"));
    }
    for r in &dkim {
        ar = ar.with(r.to_method_result());
    }
    let froms = from_domains(&msg);
    let mut input = DmarcInput {
        from: froms.clone(),
        spf: None,
        dkim: Vec::new(),
    };
    input = input.spf(&spf.domain, spf.result);
    for r in &dkim {
        if !r.ids.domain.is_empty() {
            input = input.dkim(&r.ids.domain, r.status == DkimStatus::Pass);
        }
    }
    let opts = DmarcOptions {
        org_domain: match a.org_domain {
            OrgDomain::TreeWalk => OrgDomainMode::TreeWalk,
            OrgDomain::Psl => OrgDomainMode::PublicSuffixList,
        },
        ..DmarcOptions::default()
    };
    let dmarc = DmarcCheck::with_options(input, opts).run_with(|l| zone.answer(l));
    ar = ar.with(MethodResult::dmarc(&dmarc));
    print!("{}", ar.to_header().replace("\r\n", "\n"));
    Ok(ExitCode::SUCCESS)
}
