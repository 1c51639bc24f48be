use std::collections::BTreeMap;

use ecr_lifecycle_compiler::import::to_dsl;
use ecr_lifecycle_compiler::native::{LifecyclePolicy, validate};
use ecr_lifecycle_runtime::normalize::normalize;
use ecr_lifecycle_runtime::registry::file::write_atomically;

use crate::cli::ImportArgs;
use crate::commands::registry;
use crate::exit::ExitStatus;
use crate::output;

pub(super) fn run(args: &ImportArgs) -> ExitStatus {
    match import(args) {
        Ok(()) => ExitStatus::Success,
        Err(e) => {
            output::error(&e);
            ExitStatus::Failure
        }
    }
}

fn import(args: &ImportArgs) -> Result<(), String> {
    if args.registry.registry == crate::cli::RegistryChoice::EcrPublic {
        return Err(
            "ECR Public has no lifecycle policies, so there is nothing to import; write a policy file with `registry: ecr-public`".into(),
        );
    }
    let states = registry::read_matching(&args.registry, &args.repositories)?;
    // Repositories grouped by the policy they carry (normalised).
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in &states {
        if let Some(text) = &s.lifecycle_policy {
            groups
                .entry(normalize(text))
                .or_default()
                .push(s.name.clone());
        }
    }
    let (text, repos) = match groups.len() {
        0 => return Err("no selected repository carries a lifecycle policy".into()),
        1 => groups.into_iter().next().unwrap_or_default(),
        n => {
            let list: Vec<String> = groups
                .values()
                .map(|r| format!("  - {}", r.join(", ")))
                .collect();
            return Err(format!(
                "the selected repositories carry {n} different policies; import one group at a time with --repositories:\n{}",
                list.join("\n")
            ));
        }
    };
    // Checked as this tool writes policies (pretty-printed), which is what `compile` gives back.
    let policy = LifecyclePolicy::from_json(&text)
        .map_err(|e| vec![e])
        .and_then(validate);
    let policy = policy.map_err(|errors| {
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!(
            "the applied policy of {} is not one ECR accepts: {}",
            repos.join(", "),
            errors.join("; ")
        )
    })?;
    let yaml = to_dsl(&policy, &repos)?;
    match &args.out {
        Some(path) => {
            write_atomically(path, &yaml)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            output::note(&format!(
                "Wrote {} (the policy of {}). Check it with: ecr-lifecycle diff {}",
                path.display(),
                repos.join(", "),
                path.display()
            ));
        }
        None => output::stdout(&yaml),
    }
    Ok(())
}
