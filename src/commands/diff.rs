use ecr_lifecycle_runtime::drift;
use ecr_lifecycle_runtime::planner;
use ecr_lifecycle_runtime::registry::Registry;
use ecr_lifecycle_runtime::render;

use crate::cli::{DiffArgs, Format};
use crate::commands::{load, registry};
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &DiffArgs) -> ExitStatus {
    let Some(policies) = load::loaded_policies(&args.files) else {
        return ExitStatus::Failure;
    };
    let result = load::now_from(args.now.as_deref()).and_then(|now| {
        let rt = registry::runtime()?;
        rt.block_on(async {
            let mut all = Vec::new();
            for region in ecr_lifecycle_runtime::plan::regions(&policies) {
                let reg = registry::open_in(&args.registry, region.as_deref()).await?;
                let names = reg
                    .list_repositories()
                    .await
                    .map_err(|e| registry::explain(&e))?;
                let bar = registry::Bar::new();
                let states =
                    planner::read_repositories(&reg, names, args.registry.concurrency, &bar)
                        .await
                        .map_err(|e| registry::explain(&e));
                registry::report_stats(&reg, &args.registry);
                all.extend(drift::drift(&policies, &states?, region.as_deref(), now));
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
