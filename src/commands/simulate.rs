use std::collections::BTreeSet;

use ecr_lifecycle_compiler::native;

use crate::cli::SimulateArgs;
use crate::commands::load;
use crate::exit::ExitStatus;
use crate::{files, output};

pub fn run(args: &SimulateArgs) -> ExitStatus {
    match simulate(args) {
        Ok(digests) => {
            output::stdout(&digests);
            ExitStatus::Success
        }
        Err(e) => {
            output::error(&e);
            ExitStatus::Failure
        }
    }
}

fn simulate(args: &SimulateArgs) -> Result<String, String> {
    let text = files::read_text(&args.policy)?;
    let policy = native::parse_and_validate(&text).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
        format!(
            "{}: ECR would refuse this lifecycle policy:\n{}",
            args.policy.display(),
            list.join("\n")
        )
    })?;
    let now = load::now(&args.images)?;
    let mut expired = BTreeSet::new();
    // A native policy applies to each repository on its own.
    for repo in load::images(&args.images)? {
        expired.extend(native::simulate(&policy, &repo.images, now).expired);
    }
    Ok(expired.iter().map(|d| format!("{d}\n")).collect())
}
