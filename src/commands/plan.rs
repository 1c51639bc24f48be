use ecr_lifecycle_runtime::in_use::Usage;
use ecr_lifecycle_runtime::plan::{LoadedPolicy, Plan, Unit};
use ecr_lifecycle_runtime::planner;
use ecr_lifecycle_runtime::registry::file::write_atomically_with;

use crate::cli::{PlanArgs, PlanFormat};
use crate::commands::{in_use, load, registry};
use crate::exit::ExitStatus;
use crate::output;
use crate::render;

pub(super) fn run(args: &PlanArgs) -> ExitStatus {
    let Some(mut policies) = load::loaded_policies(&args.files, args.registry.registry.kind())
    else {
        return ExitStatus::Failure;
    };
    load::public_notes(policies.iter().map(|p| (p.file.name.as_str(), p.registry)));
    let files = match in_use::read_files(&mut policies) {
        Ok(f) => f,
        Err(e) => {
            output::error(&e);
            return ExitStatus::Failure;
        }
    };
    let now = match load::now_from(args.now.as_deref()) {
        Ok(n) => n,
        Err(e) => {
            output::error(&e);
            return ExitStatus::Failure;
        }
    };
    let manage = args.native_policies == crate::cli::NativePolicies::Manage;
    let shard = args.shard;
    let plan = match make(
        &args.registry,
        &policies,
        &files,
        now,
        manage,
        shard,
        &args.choices,
    ) {
        Ok(p) => p,
        Err(e) => {
            output::error(&e);
            return ExitStatus::Failure;
        }
    };
    if let Some(path) = &args.out
        && let Err(e) = write_atomically_with(path, |out| plan.write_json(out))
    {
        output::error(&format!("cannot write {}: {e}", path.display()));
        return ExitStatus::Failure;
    }
    // Rules that wait for the runner: said last, where people look.
    let runner_rules: usize = policies.iter().map(|p| p.compiled.runner_rules()).sum();
    let runner_line = (runner_rules > 0).then(|| render::words::runner_rules(runner_rules));
    match args.format {
        PlanFormat::Text => {
            let mut lines = render::plan_text(&plan);
            if let Some(line) = runner_line {
                lines.push((render::Kind::Plain, String::new()));
                lines.push((render::Kind::Note, line));
            }
            output::lines(&lines)
        }
        PlanFormat::Json => output::stdout_with(|out| plan.write_json(out)),
        PlanFormat::Markdown => {
            let mut text = render::plan_markdown(&plan);
            if let Some(line) = runner_line {
                text.push_str(&format!("\n{line}\n"));
            }
            output::stdout(&text)
        }
    }
    if let Some(path) = &args.out {
        output::note(&format!(
            "Saved the plan to {}. To carry it out exactly: ecr-lifecycle apply {}",
            path.display(),
            path.display()
        ));
    }
    if plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    }
}

/// Plans against the registry the arguments name.
pub(super) fn make(
    args: &crate::cli::RegistryArgs,
    policies: &[LoadedPolicy],
    files: &Usage,
    now: jiff::Timestamp,
    manage_policies: bool,
    shard: Option<ecr_lifecycle_runtime::plan::Shard>,
    choices: &crate::cli::PlanChoices,
) -> Result<Plan, String> {
    let prices = ecr_lifecycle_runtime::plan::Prices {
        standard_per_gb_month: choices.standard_price,
        archive_per_gb_month: choices.archive_price,
    };
    for (name, price) in [
        ("--standard-price", prices.standard_per_gb_month),
        ("--archive-price", prices.archive_per_gb_month),
    ] {
        if !(price.is_finite() && price >= 0.0) {
            return Err(format!(
                "{name} {price} is not a price: give US dollars per GB-month, like 0.10"
            ));
        }
    }
    let rt = registry::runtime()?;
    let units = ecr_lifecycle_runtime::plan::units(policies);
    let several = units.len() > 1;
    let bars = indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::stderr());
    rt.block_on(async {
        // Each account and region the policy files name is its own unit of work, with its own
        // registry and credentials, planned concurrently.
        let plan_unit = |unit: Unit| {
            let bar = registry::Bar::within(&bars);
            async move {
                let reg = registry::open_in(args, &unit).await?;
                let options = planner::PlanOptions {
                    now,
                    pace: reg.pace(),
                    manage_policies,
                    shard,
                    unit: unit.clone(),
                    allow_early_archive_delete: choices.allow_early_archive_delete,
                };
                let usage =
                    in_use::read_usage(&reg, policies, &unit, files, args.concurrency.initial());
                let made = planner::plan_repositories(&reg, policies, options, usage, &bar)
                    .await
                    .map_err(|e| {
                        let e = registry::explain(&e);
                        if several { format!("{unit}: {e}") } else { e }
                    });
                registry::report_stats(&reg, args);
                let (repositories, consumers) = made?;
                in_use::report(policies, &reg, &consumers.usage);
                // Listing the repositories told the account.
                Ok::<_, String>((reg.identity(), repositories))
            }
        };
        let parts: Vec<_> = futures_util::future::join_all(units.into_iter().map(plan_unit))
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        let (registries, repositories): (Vec<_>, Vec<Vec<_>>) = parts.into_iter().unzip();
        Ok(ecr_lifecycle_runtime::plan::assemble(
            policies,
            registries,
            now,
            repositories.into_iter().flatten().collect(),
            ecr_lifecycle_runtime::plan::PlanSettings {
                shard,
                allow_early_archive_delete: choices.allow_early_archive_delete,
                prices,
            },
        ))
    })
}

/// `plan merge`: combines shard plans into one.
pub(super) fn merge(args: &crate::cli::MergeArgs) -> ExitStatus {
    let result = args
        .plans
        .iter()
        .map(|p| {
            crate::files::read_text(p)
                .and_then(|t| Plan::from_json(&t).map_err(|e| format!("{}: {e}", p.display())))
        })
        .collect::<Result<Vec<Plan>, String>>()
        .and_then(planner::merge);
    let plan = match result {
        Ok(p) => p,
        Err(e) => {
            output::error(&e);
            return ExitStatus::Failure;
        }
    };
    match &args.out {
        Some(path) => {
            if let Err(e) = write_atomically_with(path, |out| plan.write_json(out)) {
                output::error(&format!("cannot write {}: {e}", path.display()));
                return ExitStatus::Failure;
            }
            output::lines(&render::plan_text(&plan));
        }
        None => output::stdout_with(|out| plan.write_json(out)),
    }
    if plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    }
}
