//! `correo`: the command-line face of the correo crates.
//!
//! This is the only part of correo that touches sockets, TLS, files and threads; every
//! protocol decision is made by the sans-IO crates it drives.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod sasl;

/// Internet mail from the command line, built on the sans-IO correo crates.
#[derive(Debug, Parser)]
#[command(name = "correo", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compute and decode SASL exchanges (what a client sends for AUTH PLAIN / LOGIN ...).
    #[command(subcommand)]
    Sasl(sasl::SaslCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sasl(cmd) => sasl::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("correo: {err}");
            ExitCode::FAILURE
        }
    }
}
