use std::collections::BTreeSet;

use ecr_lifecycle_compiler::native;

use crate::cli::SimulateArgs;
use crate::commands::load;
use crate::exit::ExitStatus;
use crate::{files, output};

pub(super) fn run(args: &SimulateArgs) -> ExitStatus {
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
    let mut lines: BTreeSet<String> = BTreeSet::new();
    // A native policy applies to each repository on its own.
    for repo in load::images(&args.images)? {
        let outcome = native::simulate(&policy, &repo.images, now);
        if args.actions {
            lines.extend(outcome.expired.iter().map(|d| format!("expire {d}\n")));
            lines.extend(
                outcome
                    .transitioned
                    .iter()
                    .map(|d| format!("archive {d}\n")),
            );
        } else {
            lines.extend(outcome.expired.iter().map(|d| format!("{d}\n")));
        }
    }
    Ok(lines.into_iter().collect())
}
