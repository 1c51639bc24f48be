//! `ecr-lifecycle`: compile a retention DSL into native Amazon ECR lifecycle policies, and
//! run what ECR cannot do natively.

mod cli;
mod commands;
mod exit;
mod files;
mod output;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    cli.color.write_global();
    let status = commands::run(cli.command);
    status.into()
}
