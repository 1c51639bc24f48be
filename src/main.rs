//! `ecr-lifecycle`: compile a retention DSL into native Amazon ECR lifecycle policies, and
//! run what ECR cannot do natively.

mod cli;
mod commands;
mod diagnostics;
mod exit;
mod files;
mod output;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are answers, not errors. A usage error exits 1 like any other
            // error: 2 means "changes" here, as with `terraform plan -detailed-exitcode`.
            let _ = e.print();
            return if e.use_stderr() {
                exit::ExitStatus::Failure.into()
            } else {
                exit::ExitStatus::Success.into()
            };
        }
    };
    cli.color.write_global();
    commands::run(cli.command).into()
}
