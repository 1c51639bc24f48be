use std::collections::BTreeSet;

use ecr_lifecycle_compiler::dsl::claims;
use ecr_lifecycle_compiler::reference;

use crate::cli::EvaluateArgs;
use crate::commands::load;
use crate::exit::ExitStatus;
use crate::output;

pub(super) fn run(args: &EvaluateArgs) -> ExitStatus {
    let Some(policies) = load::policies(&args.files) else {
        return ExitStatus::Failure;
    };
    let (repos, now) =
        match load::images(&args.images).and_then(|r| Ok((r, load::now(&args.images)?))) {
            Ok(v) => v,
            Err(e) => {
                output::error(&e);
                return ExitStatus::Failure;
            }
        };
    let mut lines: BTreeSet<String> = BTreeSet::new();
    for repo in repos {
        let name = repo.repository.clone().or_else(|| args.repository.clone());
        if let (Some(wanted), Some(actual)) = (&args.repository, &repo.repository)
            && wanted != actual
        {
            continue;
        }
        // With a name, the one file that governs it (an images file does not say its
        // account or region); without, the only file given.
        let policy = match &name {
            Some(n) => {
                claims::governing(policies.iter().map(|(_, p)| p), n, claims::Place::Anywhere)
                    .map(|i| &policies[i])
            }
            None if policies.len() == 1 => policies.first(),
            None => {
                output::error(
                    "the images carry no `repositoryName` and several policy files were given: name the repository with --repository",
                );
                return ExitStatus::Failure;
            }
        };
        let Some((_, policy)) = policy else {
            output::warning(&format!(
                "no policy file governs repository `{}`: its images are kept",
                name.as_deref().unwrap_or("")
            ));
            continue;
        };
        let e = reference::evaluate(policy, &repo.images, name.as_deref(), now);
        lines.extend(e.expired(&repo.images).iter().map(|d| match args.actions {
            true => format!("expire {d}\n"),
            false => format!("{d}\n"),
        }));
        if args.actions {
            lines.extend(
                e.archived(&repo.images)
                    .iter()
                    .map(|d| format!("archive {d}\n")),
            );
            for (image, d) in repo.images.iter().zip(&e.decisions) {
                let digest = image.digest;
                lines.extend(
                    d.tags_removed()
                        .iter()
                        .map(|tag| format!("untag {digest} {tag}\n")),
                );
            }
        }
    }
    output::stdout(&lines.into_iter().collect::<String>());
    ExitStatus::Success
}
