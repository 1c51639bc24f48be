//! Reading a registry and planning: each governed repository is read once, several at a time.

use futures_util::stream::{self, StreamExt};
use jiff::Timestamp;

use crate::plan::{LoadedPolicy, Plan, RepositoryPlan, assemble, governing, plan_repository_with};
use crate::registry::{Registry, RegistryError};
use crate::snapshot::RepositoryState;

/// Reports progress of long work (a progress bar on a terminal, nothing in tests).
pub trait Progress: Sync {
    fn start(&self, _what: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
}

/// No progress display.
pub struct Quiet;

impl Progress for Quiet {}

/// The repositories that match `filter` (all when `None`), read concurrently.
pub async fn read_repositories<R: Registry>(
    registry: &R,
    names: Vec<String>,
    concurrency: usize,
    progress: &dyn Progress,
) -> Result<Vec<RepositoryState>, RegistryError> {
    progress.start("reading repositories", names.len() as u64);
    let mut states: Vec<RepositoryState> = stream::iter(names)
        .map(|name| async move {
            let state = registry.read_repository(&name).await;
            progress.advance(1);
            state
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    progress.finish();
    states.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(states)
}

/// Plans every repository some policy file governs.
pub async fn make_plan<R: Registry>(
    registry: &R,
    label: String,
    policies: &[LoadedPolicy],
    now: Timestamp,
    concurrency: usize,
    manage_policies: bool,
    progress: &dyn Progress,
) -> Result<Plan, RegistryError> {
    let names: Vec<String> = registry
        .list_repositories()
        .await?
        .into_iter()
        .filter(|n| governing(policies, n).is_some())
        .collect();
    let states = read_repositories(registry, names, concurrency, progress).await?;
    let repos: Vec<RepositoryPlan> = states
        .iter()
        .filter_map(|s| {
            governing(policies, &s.name).map(|p| plan_repository_with(p, s, now, manage_policies))
        })
        .collect();
    Ok(assemble(policies, label, now, repos))
}
