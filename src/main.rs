//! `ecr-lifecycle`: compile a retention DSL into native Amazon ECR lifecycle policies, and
//! run what ECR cannot do natively.

mod cli;
mod commands;
mod diagnostics;
mod exit;
mod files;
mod output;
mod render;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = match cli::Cli::try_parse_from(arguments()) {
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

/// The command line; packaged as a Lambda function's `bootstrap`, which the Lambda service
/// starts without arguments, the binary runs as the function.
fn arguments() -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let bootstrap = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .is_some_and(|n| n == "bootstrap");
    if cfg!(feature = "lambda") && bootstrap && args.len() == 1 {
        args.push("lambda".into());
    }
    args
}
