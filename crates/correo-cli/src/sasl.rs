//! `correo sasl`: TODO(helper)
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum SaslCommand {
    /// Placeholder.
    Plain,
}

pub(crate) fn run(_cmd: SaslCommand) -> Result<ExitCode, Box<dyn std::error::Error>> {
    Ok(ExitCode::SUCCESS)
}
