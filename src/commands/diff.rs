use ecr_lifecycle_runtime::drift;
use ecr_lifecycle_runtime::in_use::Consumers;
use ecr_lifecycle_runtime::planner;
use ecr_lifecycle_runtime::registry::Registry;

use crate::cli::{DiffArgs, Format};
use crate::commands::{in_use, load, registry};
use crate::exit::ExitStatus;
use crate::output;
use crate::render;

pub(super) fn run(args: &DiffArgs) -> ExitStatus {
    let Some(mut policies) = load::loaded_policies(&args.files, args.registry.registry.kind())
    else {
        return ExitStatus::Failure;
    };
    // ECR Public has no native policies to drift: its files get the note and nothing else.
    load::public_notes(policies.iter().map(|p| (p.file.name.as_str(), p.registry)));
    let files = in_use::read_files(&mut policies);
    let result = files.and_then(|files| Ok((files, load::now_from(args.now.as_deref())?)));
    let result = result.and_then(|(files, now)| {
        let rt = registry::runtime()?;
        rt.block_on(async {
            let mut all = Vec::new();
            let units = ecr_lifecycle_runtime::plan::units(&policies);
            for unit in units
                .into_iter()
                .filter(|u| u.registry.has_lifecycle_policies())
            {
                let reg = registry::open_in(&args.registry, &unit).await?;
                let names = reg
                    .list_repositories()
                    .await
                    .map_err(|e| registry::explain(&e))?;
                let bar = registry::Bar::new();
                let pace = reg.pace();
                let usage = in_use::read_usage(
                    &reg,
                    &policies,
                    &unit,
                    &files,
                    args.registry.concurrency.initial(),
                );
                let (states, usage) =
                    tokio::join!(planner::read_repositories(&reg, names, &pace, &bar), usage);
                registry::report_stats(&reg, &args.registry);
                let states = states.map_err(|e| registry::explain(&e))?;
                let consumers = Consumers::new(usage.map_err(|e| registry::explain(&e))?, &reg);
                in_use::report(&policies, &reg, &consumers.usage);
                all.extend(drift::drift(&policies, &states, &unit, &consumers, now));
            }
            Ok(all)
        })
    });
    let drift = match result {
        Ok(d) => d,
        Err(e) => {
            output::error(&e);
            return ExitStatus::Failure;
        }
    };
    match args.format {
        Format::Text => output::lines(&render::drift_text(&drift)),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&drift).unwrap_or_default();
            s.push('\n');
            output::stdout(&s);
        }
    }
    if drift.iter().any(|d| d.status.is_drift()) {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    }
}
