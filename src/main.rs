//! The `stance` command line: parses the verb and hands it to the library.

mod cli;

use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

/// Whether the error is a closed pipe (`stance … | head`): the reader has what it wanted, so
/// stance ends quietly with status 0, whatever writer (JSON, CSV, a plain write) met it.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || matches!(
                c.downcast_ref::<stance::Error>(),
                Some(stance::Error::Io { cause, .. }) if cause.kind() == BrokenPipe
            )
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(BrokenPipe))
            || c.downcast_ref::<csv::Error>().is_some_and(
                |x| matches!(x.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe),
            )
    })
}

fn main() -> ExitCode {
    let parsed = cli::Cli::command()
        .try_get_matches()
        .and_then(|m| cli::Cli::from_arg_matches(&m).map(|c| (c, cli::Given::of(&m))));
    let (cli, given) = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command.run(&given) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Messages quote the input (labels, names, fields): never as escape sequences.
            eprintln!(
                "stance: error: {}",
                stance::output::printable(&format!("{e:#}"))
            );
            ExitCode::from(1)
        }
    }
}
