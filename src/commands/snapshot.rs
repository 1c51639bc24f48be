use ecr_lifecycle_compiler::glob::{Glob, GlobKind};
use ecr_lifecycle_runtime::planner;
use ecr_lifecycle_runtime::registry::Registry;
use ecr_lifecycle_runtime::registry::file::write_atomically;
use ecr_lifecycle_runtime::snapshot::Snapshot;

use crate::cli::SnapshotArgs;
use crate::commands::registry;
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &SnapshotArgs) -> ExitStatus {
    match snapshot(args) {
        Ok(n) => {
            output::note(&format!(
                "Saved {n} repositories to {}.",
                args.out.display()
            ));
            ExitStatus::Success
        }
        Err(e) => {
            output::error(&e);
            ExitStatus::Failure
        }
    }
}

fn snapshot(args: &SnapshotArgs) -> Result<usize, String> {
    let globs: Vec<Glob> = args
        .repositories
        .iter()
        .map(|g| {
            Glob::parse(g, GlobKind::Repository)
                .map_err(|e| format!("--repositories {g}: {}", e.message))
        })
        .collect::<Result<_, _>>()?;
    let rt = registry::runtime()?;
    let snapshot = rt.block_on(async {
        let reg = registry::open(&args.registry).await?;
        let names: Vec<String> = reg
            .list_repositories()
            .await
            .map_err(|e| registry::explain(&e))?
            .into_iter()
            .filter(|n| globs.is_empty() || globs.iter().any(|g| g.matches(n)))
            .collect();
        let bar = registry::Bar::new();
        let repositories = planner::read_repositories(&reg, names, args.registry.concurrency, &bar)
            .await
            .map_err(|e| registry::explain(&e));
        registry::report_stats(&reg, &args.registry);
        let repositories = repositories?;
        Ok::<_, String>(Snapshot { repositories })
    })?;
    write_atomically(&args.out, &snapshot.to_json())
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    Ok(snapshot.repositories.len())
}
