//! One module per subcommand; each returns how it ended.

mod apply;
mod compile;
mod completions;
mod diff;
mod evaluate;
mod explain;
mod iam;
mod import;
mod in_use;
#[cfg(feature = "lambda")]
mod lambda;
mod lint;
mod load;
mod plan;
mod registry;
mod simulate;
mod snapshot;
mod validate;

use crate::cli::Command;
use crate::exit::ExitStatus;

pub(crate) fn run(command: Command) -> ExitStatus {
    match command {
        Command::Validate(args) => validate::run(&args),
        Command::Compile(args) => compile::run(&args),
        Command::Schema => {
            crate::output::stdout(&ecr_lifecycle_compiler::schema::policy_schema_json());
            ExitStatus::Success
        }
        Command::Simulate(args) => simulate::run(&args),
        Command::Evaluate(args) => evaluate::run(&args),
        Command::Plan(cmd) => match cmd.merge {
            Some(crate::cli::PlanSub::Merge(args)) => plan::merge(&args),
            None => plan::run(&cmd.args),
        },
        Command::Apply(args) => apply::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Snapshot(args) => snapshot::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::IamPolicy(args) => iam::run(&args),
        Command::Lint(args) => lint::run(&args),
        Command::Import(args) => import::run(&args),
        #[cfg(feature = "lambda")]
        Command::Lambda(args) => lambda::run(&args),
        Command::Completions { shell } => completions::run(shell),
    }
}
