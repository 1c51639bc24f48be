//! One module per subcommand; each returns how it ended.

mod compile;
mod evaluate;
mod load;
mod simulate;
mod validate;

use crate::cli::Command;
use crate::exit::ExitStatus;

pub fn run(command: Command) -> ExitStatus {
    match command {
        Command::Validate(args) => validate::run(&args),
        Command::Compile(args) => compile::run(&args),
        Command::Schema => {
            crate::output::stdout(&ecr_lifecycle_compiler::schema::policy_schema_json());
            ExitStatus::Success
        }
        Command::Simulate(args) => simulate::run(&args),
        Command::Evaluate(args) => evaluate::run(&args),
    }
}
