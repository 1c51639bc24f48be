use ecr_lifecycle_runtime::registry::file::write_atomically;
use ecr_lifecycle_runtime::snapshot::Snapshot;

use crate::cli::SnapshotArgs;
use crate::commands::registry;
use crate::exit::ExitStatus;
use crate::output;

pub(super) fn run(args: &SnapshotArgs) -> ExitStatus {
    match snapshot(args) {
        Ok(n) => {
            output::note(&format!(
                "Saved {n} repositor{} to {}.",
                if n == 1 { "y" } else { "ies" },
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
    let snapshot = Snapshot {
        repositories: registry::read_matching(&args.registry, &args.repositories)?,
    };
    write_atomically(&args.out, &snapshot.to_json())
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    Ok(snapshot.repositories.len())
}
