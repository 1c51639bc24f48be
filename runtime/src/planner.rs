//! Reading a registry and planning: each governed repository is read once, several at a time.

use futures_util::stream::{FuturesUnordered, StreamExt};
use jiff::Timestamp;

use crate::in_use::{Consumers, Usage};
use crate::pace::Pace;
use crate::plan::{
    LoadedPolicy, Plan, RepositoryOptions, RepositoryPlan, Shard, Unit, governing_in,
    plan_repository_with,
};
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

/// Reads the repositories, as many at once as `pace` allows, sorted by name.
pub async fn read_repositories<R: Registry>(
    registry: &R,
    names: Vec<String>,
    pace: &Pace,
    progress: &dyn Progress,
) -> Result<Vec<RepositoryState>, RegistryError> {
    let mut states = map_repositories(registry, names, pace, progress, |s| s).await?;
    states.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(states)
}

/// Reads the repositories, as many at once as `pace` allows, and turns each into what `each`
/// makes of it as soon as it is read, so that only the repositories being read are held
/// whole. Each read that succeeds lets the pace grow; throttled calls (seen by the registry's
/// client) make it fall. In the order reads finish.
pub async fn map_repositories<R: Registry, T>(
    registry: &R,
    names: Vec<String>,
    pace: &Pace,
    progress: &dyn Progress,
    mut each: impl FnMut(RepositoryState) -> T,
) -> Result<Vec<T>, RegistryError> {
    progress.start("reading repositories", names.len() as u64);
    let mut waiting = names.into_iter();
    let mut running = FuturesUnordered::new();
    let mut made = Vec::new();
    loop {
        while running.len() < pace.limit() {
            let Some(name) = waiting.next() else { break };
            running.push(async move { registry.read_repository(&name).await });
        }
        let Some(read) = running.next().await else {
            break;
        };
        made.push(each(read?));
        pace.succeeded();
        progress.advance(1);
    }
    progress.finish();
    Ok(made)
}

/// What to plan in one unit of work.
pub struct PlanOptions {
    pub now: Timestamp,
    /// How many repositories are read at once (shared with the registry's client).
    pub pace: std::sync::Arc<Pace>,
    pub manage_policies: bool,
    /// Plan only the repositories of this shard.
    pub shard: Option<Shard>,
    /// The account and region of this registry, as the policy files name them.
    pub unit: Unit,
    /// Delete archived images before their 90 days are up (and pay for the rest).
    pub allow_early_archive_delete: bool,
}

/// Plans every repository of one unit of work some policy file governs. `usage` reads the
/// references to images in use (ECS, Lambda, files), before the repositories are read.
/// The plan is assembled once from every unit's repositories ([`crate::plan::assemble`]).
pub async fn plan_repositories<R: Registry>(
    registry: &R,
    policies: &[LoadedPolicy],
    options: PlanOptions,
    usage: impl Future<Output = Result<Usage, RegistryError>>,
    progress: &dyn Progress,
) -> Result<(Vec<RepositoryPlan>, Consumers), RegistryError> {
    let PlanOptions {
        now,
        pace,
        manage_policies,
        shard,
        unit,
        allow_early_archive_delete,
    } = options;
    let repository_options = RepositoryOptions {
        manage_policies,
        allow_early_archive_delete,
    };
    let names: Vec<String> = registry
        .list_repositories()
        .await?
        .into_iter()
        .filter(|n| governing_in(policies, n, &unit).is_some())
        .filter(|n| shard.is_none_or(|s| s.holds(n)))
        .collect();
    // The references in use come first, so that each repository is planned as soon as it is
    // read and not held: memory follows the largest repository, not the registry. Listing the
    // repositories told the account: references can be matched now.
    let consumers = Consumers::new(usage.await?, registry);
    let mut repos = map_repositories(registry, names, &pace, progress, |state| {
        governing_in(policies, &state.name, &unit).map(|p| {
            let in_use = consumers.of(p, &state);
            let mut r = plan_repository_with(p, &state, &in_use, now, repository_options);
            r.registry = unit.registry;
            r.account = unit.account.clone();
            r.region = unit.region.clone();
            r
        })
    })
    .await?
    .into_iter()
    .flatten()
    .collect::<Vec<RepositoryPlan>>();
    repos.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((repos, consumers))
}

/// Combines shard plans: same format, policy files and registry, disjoint repositories.
pub fn merge(plans: Vec<Plan>) -> Result<Plan, String> {
    let mut iter = plans.into_iter();
    let first = iter.next().ok_or("no plans to merge")?;
    let mut seen: std::collections::BTreeSet<(Unit, String)> = first
        .repositories
        .iter()
        .map(|r| (r.unit(), r.name.clone()))
        .collect();
    let mut shards: Vec<Shard> = first.shard.into_iter().collect();
    // The oldest time any shard was evaluated at: apply checks expiry again anyway.
    let mut created_at = first.created_at.clone();
    let mut repositories = first.repositories.clone();
    for p in iter {
        if p.policy_files != first.policy_files {
            return Err("the plans were made from different policy files".into());
        }
        if p.registries != first.registries {
            return Err(format!(
                "the plans were made against different registries (`{}` and `{}`)",
                first.registries_text(),
                p.registries_text()
            ));
        }
        if (p.allow_early_archive_delete, p.prices)
            != (first.allow_early_archive_delete, first.prices)
        {
            return Err(
                "the plans were made with different prices or --allow-early-archive-delete".into(),
            );
        }
        if let Some(s) = p.shard {
            if shards.contains(&s) {
                return Err(format!("shard {s} is given twice"));
            }
            if shards.first().is_some_and(|f| f.count != s.count) {
                return Err(format!(
                    "shard {s} is one of {}, and shard {} one of {}: merge the shards of one run",
                    s.count, shards[0], shards[0].count
                ));
            }
            shards.push(s);
        }
        for r in p.repositories {
            if !seen.insert((r.unit(), r.name.clone())) {
                return Err(format!("repository `{}` is in more than one plan", r.name));
            }
            repositories.push(r);
        }
        if p.created_at < created_at {
            created_at = p.created_at;
        }
    }
    if let Some(f) = shards.first()
        && shards.len() != f.count as usize
    {
        return Err(format!(
            "{} of {} shards given: merge all of them",
            shards.len(),
            f.count
        ));
    }
    repositories.sort_by(RepositoryPlan::order);
    Ok(Plan {
        created_at,
        shard: None,
        summary: crate::plan::summarize(&repositories, &first.prices),
        repositories,
        ..first
    })
}

#[cfg(test)]
mod tests {
    use ecr_lifecycle_compiler::source::SourceFile;

    use super::*;
    use crate::registry::file::FileRegistry;

    fn loaded(name: &str, text: &str) -> LoadedPolicy {
        let file = SourceFile::new(name, text);
        let policy = ecr_lifecycle_compiler::parse(&file).unwrap();
        LoadedPolicy::new(file, policy)
    }

    /// A default file and a team file over the demo registry: the team's repositories are
    /// planned under the team file, every other one under the default, none twice.
    #[test]
    fn a_default_plans_what_no_other_file_selects() {
        let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/registry.json");
        let registry = FileRegistry::open(&demo).unwrap();
        let policies = [
            loaded(
                "org.yaml",
                "version: 1\ndefault: true\nexclude: [\"legacy-*\"]\nrules: [{name: rest, match: any, keep: {newest: 3}}]\n",
            ),
            loaded(
                "team.yaml",
                "version: 1\nrepositories: [\"apps/*\", \"web-*\"]\nrules: [{name: rest, match: any, keep: {newest: 5}}]\n",
            ),
        ];
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let options = PlanOptions {
            now,
            pace: std::sync::Arc::new(Pace::new(crate::pace::Concurrency::Adaptive)),
            manage_policies: true,
            shard: None,
            unit: Unit::default(),
            allow_early_archive_delete: false,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (repositories, _) = rt
            .block_on(plan_repositories(
                &registry,
                &policies,
                options,
                async { Ok(Default::default()) },
                &Quiet,
            ))
            .unwrap();
        let governed: Vec<(&str, &str, bool)> = repositories
            .iter()
            .map(|r| (r.name.as_str(), r.policy_file.as_str(), r.default_policy))
            .collect();
        assert_eq!(
            governed,
            [
                ("apps/api", "team.yaml", false),
                ("apps/web", "team.yaml", false),
                ("archive/reports", "org.yaml", true),
                ("ml/trainer", "org.yaml", true),
                ("sandbox/experiments", "org.yaml", true),
                ("services/payments", "org.yaml", true),
                ("web-frontend", "team.yaml", false),
            ]
        );
        // Each under its own file's rules: the team keeps 5, the default 3.
        let kept = |name: &str| {
            let r = repositories.iter().find(|r| r.name == name).unwrap();
            r.images_seen - r.deletions.len() - r.ecr_expirations.len()
        };
        assert_eq!(kept("apps/web"), 5);
        assert_eq!(kept("ml/trainer"), 3);
    }
}
