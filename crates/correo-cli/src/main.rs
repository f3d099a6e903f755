//! `correo`: the command-line face of the correo crates.
//!
//! This is the only part of correo that touches sockets, TLS, files and threads; every
//! protocol decision is made by the sans-IO crates it drives.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod auth;
mod imap;
mod inspect;
mod net;
mod pop3;
mod sasl;
mod send;
mod serve;
mod tour;
mod transcript;

/// Internet mail from the command line, built on the sans-IO correo crates.
#[derive(Debug, Parser)]
#[command(name = "correo", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show a message's part tree, extract its attachments, or describe it as JSON.
    Inspect(inspect::InspectArgs),
    /// Compute and decode SASL exchanges (what a client sends for AUTH PLAIN / LOGIN ...).
    #[command(subcommand)]
    Sasl(sasl::SaslCommand),
    /// Run POP3 commands against a server and print the transcript.
    Pop3(pop3::Pop3Args),
    /// Run IMAP commands against a server and print the transcript.
    Imap(imap::ImapArgs),
    /// Send a message file via SMTP (STARTTLS or implicit TLS, AUTH).
    Send(send::SendArgs),
    /// Run a small mail server (SMTP, POP3, IMAP on Maildirs) built from the correo crates.
    Serve(serve::ServeArgs),
    /// DKIM: verify a message's signatures, or sign a message.
    #[command(subcommand)]
    Dkim(auth::DkimCommand),
    /// SPF: evaluate a sender's policy for a client IP.
    #[command(subcommand)]
    Spf(auth::SpfCommand),
    /// Print the Authentication-Results header (SPF, DKIM, DMARC) for a message.
    Auth(auth::AuthArgs),
    /// Replay the seed labs end to end against correo itself, in this process, on
    /// loopback: SMTP, MIME, POP3, IMAP, SPF/DKIM. Exits non-zero naming any failed step.
    Tour(tour::TourArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(args) => inspect::run(args),
        Command::Sasl(cmd) => sasl::run(cmd),
        Command::Send(args) => send::run(args),
        Command::Pop3(args) => pop3::run(args),
        Command::Imap(args) => imap::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Dkim(cmd) => auth::run_dkim(cmd),
        Command::Spf(cmd) => auth::run_spf(cmd),
        Command::Auth(args) => auth::run_auth(&args),
        Command::Tour(args) => tour::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("correo: {err}");
            ExitCode::FAILURE
        }
    }
}
