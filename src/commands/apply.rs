use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use ecr_lifecycle_runtime::apply;
use ecr_lifecycle_runtime::in_use::Usage;
use ecr_lifecycle_runtime::plan::{LoadedPolicy, Plan, RegistryId, Unit};
use ecr_lifecycle_runtime::registry::AnyRegistry;

use crate::cli::{ApplyArgs, ApplyFormat, RegistryArgs, RegistryChoice};
use crate::commands::{in_use, load, plan, registry};
use crate::exit::ExitStatus;
use crate::{files, output, render};

pub(super) fn run(args: &ApplyArgs) -> ExitStatus {
    match run_inner(args) {
        Ok(status) => status,
        Err(e) => {
            output::error(&e);
            ExitStatus::Failure
        }
    }
}

/// A saved plan is one JSON file with a `formatVersion`; anything else is policy files.
fn saved_plan(files_given: &[std::path::PathBuf]) -> Result<Option<Plan>, String> {
    let [only] = files_given else { return Ok(None) };
    if only.extension().and_then(|e| e.to_str()) != Some("json") {
        return Ok(None);
    }
    let text = files::read_text(only)?;
    Plan::from_json(&text)
        .map(Some)
        .map_err(|e| format!("{}: {e}", only.display()))
}

fn run_inner(args: &ApplyArgs) -> Result<ExitStatus, String> {
    let now = load::now_from(args.now.as_deref())?;
    let (plan, policies, files) = match saved_plan(&args.files)? {
        Some(plan) => {
            // Each file governs the registry it governed when the plan was made.
            let paths: Vec<(std::path::PathBuf, _)> = plan
                .policy_files
                .iter()
                .map(|p| (Path::new(&p.path).to_path_buf(), p.registry))
                .collect();
            let mut policies = load::loaded_policies_for(&paths)
                .ok_or("the plan's policy files could not be read")?;
            // Listing files are read again: what runs now is what counts.
            let files = in_use::read_files(&mut policies)?;
            (plan, policies, files)
        }
        None => {
            let mut policies = load::loaded_policies(&args.files, args.registry.registry.kind())
                .ok_or("the policy files could not be used")?;
            let files = in_use::read_files(&mut policies)?;
            let manage = args.native_policies == crate::cli::NativePolicies::Manage;
            let plan = plan::make(
                &args.registry,
                &policies,
                &files,
                now,
                manage,
                None,
                &args.choices,
            )?;
            let json = args.format == ApplyFormat::Json;
            if json && !args.auto_approve {
                return Err("apply --format json does not ask for confirmation: give a saved plan (`plan -o FILE`), or pass --auto-approve".into());
            }
            if !json {
                output::lines(&render::plan_text(&plan));
            }
            if !plan.has_changes() {
                if json {
                    output::stdout(&run_report(&plan, Some(&apply::ApplyReport::default())));
                }
                return Ok(ExitStatus::Success);
            }
            if !args.auto_approve && !confirm()? {
                output::note("Apply cancelled.");
                return Ok(ExitStatus::Success);
            }
            (plan, policies, files)
        }
    };
    let report = carry_out(
        &plan,
        &policies,
        &files,
        &args.registry,
        args.max_delete,
        now,
    )?;
    match args.format {
        ApplyFormat::Text => output::lines(&render::apply_text(&report)),
        ApplyFormat::Json => output::stdout(&run_report(&plan, Some(&report))),
    }
    Ok(if report.failed() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// The JSON document of a run: the plan, and what applying it did (`apply --format json`, and
/// the Lambda function's answer).
fn run_report(plan: &Plan, report: Option<&apply::ApplyReport>) -> String {
    render::run_report::RunReport {
        plan,
        apply: report,
    }
    .to_json()
}

/// Carries out `plan` (made from `policies`) under the `max_delete` guard, unit by unit,
/// against the registry the arguments name (a plan made against a snapshot file applies to
/// that file). The one apply path, for `apply` and the Lambda function.
pub(super) fn carry_out(
    plan: &Plan,
    policies: &[LoadedPolicy],
    files: &Usage,
    args: &RegistryArgs,
    max_delete: usize,
    now: jiff::Timestamp,
) -> Result<apply::ApplyReport, String> {
    // A saved plan names its registry; a snapshot file is found from it.
    let mut reg_args = args.clone();
    if reg_args.registry == RegistryChoice::Ecr
        && let Some(file) = plan.registries.iter().find_map(|r| match r {
            RegistryId::File(path) => Some(path),
            RegistryId::Ecr { .. } | RegistryId::EcrPublic { .. } => None,
        })
    {
        reg_args.registry = RegistryChoice::File(file.into());
    }
    apply::check(plan, policies, max_delete).map_err(|e| e.to_string())?;
    let mut units: Vec<Unit> = plan.repositories.iter().map(|r| r.unit()).collect();
    units.sort();
    units.dedup();
    let rt = registry::runtime()?;
    rt.block_on(async {
        let mut report = apply::ApplyReport::default();
        for unit in &units {
            let reg = registry::open_in(&reg_args, unit).await?;
            if let Some(first) = plan.repositories.iter().find(|r| &r.unit() == unit) {
                // A repository missing here leaves the account unknown; the check below then
                // tells the registries apart.
                let learnt = match &reg {
                    AnyRegistry::Ecr(ecr) => ecr.learn_account_from(&first.name).await,
                    AnyRegistry::EcrPublic(p) => p.learn_account_from(&first.name).await,
                    AnyRegistry::File(_) => Ok(()),
                };
                match learnt {
                    Ok(()) => {}
                    Err(e) if e.kind == ecr_lifecycle_runtime::registry::ErrorKind::NotFound => {}
                    Err(e) => return Err(registry::explain(&e)),
                }
            }
            let here = reg.identity();
            if !plan.registries.contains(&here) {
                return Err(format!(
                    "the plan was made against {}, and this is {here}: set the account, region (and endpoint) the plan was made with, or make a new plan",
                    plan.registries_text()
                ));
            }
            // Images in use are read again: an image deployed since the plan stays.
            let usage = in_use::read_usage(&reg, policies, unit, files, reg_args.concurrency.initial())
                .await
                .map_err(|e| registry::explain(&e))?;
            in_use::report(policies, &reg, &usage);
            let bar = registry::Bar::new();
            let part = apply::apply(&reg, plan, unit, policies, usage, now, &bar).await;
            registry::report_stats(&reg, &reg_args);
            report.repositories.extend(part.repositories);
        }
        Ok::<_, String>(report)
    })
}

/// Asks on the terminal; without one, refuses rather than guessing.
fn confirm() -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Err("refusing to apply without confirmation: standard input is not a terminal; pass --auto-approve, or save a plan with `plan -o FILE` and apply that".into());
    }
    eprint!("\nDo you want to carry out this plan? Only `yes` is accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(answer.trim() == "yes")
}
