//! The binary: parse the command line, run it, print an error with its causes once, exit.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match roundup::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are not errors; bad arguments are fatal (2), as clap's own.
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match roundup::run(cli) {
        Ok(exit) => ExitCode::from(exit as u8),
        // A reader that went away (`roundup entries | head`) is not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{}", roundup::error_report(e.as_ref()));
            ExitCode::from(roundup::Exit::Fatal as u8)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
