//! Carrying out a saved plan exactly: re-read each repository, put or delete the planned
//! policies, and delete only images that are in the plan and still expire now. Everything else
//! is skipped and reported; a second apply of the same plan deletes nothing.

use std::collections::BTreeSet;

use ecr_lifecycle_compiler::image::{Digest, ImageStatus};
use jiff::Timestamp;

use crate::in_use::{Consumers, Usage};
use crate::normalize::same_policy;
use crate::plan::{LoadedPolicy, Plan, PolicyChange, RepositoryOptions, Unit, governing_in};
use crate::planner::Progress;
use crate::registry::{ImageFailure, Registry, RegistryError, TagFailure, TagId};

mod json;
pub use json::Totals;

/// ECR's limit of image ids per BatchDeleteImage call.
pub const BATCH: usize = 100;

/// What an apply did, per repository.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplyReport {
    pub repositories: Vec<RepositoryReport>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RepositoryReport {
    pub name: String,
    /// What was done to the native policy; `None` when it was left alone.
    pub policy: Option<PolicyDone>,
    pub deleted: Vec<Digest>,
    pub bytes_deleted: u64,
    /// Planned, but gone already (a second apply, or deleted by someone else).
    pub already_gone: Vec<Digest>,
    /// Planned, but the current state keeps them (pushed again, re-tagged, now in use...).
    pub no_longer_expire: Vec<Digest>,
    /// ECR refused to delete them because an image index lists them.
    pub referenced_by_index: Vec<Digest>,
    pub failures: Vec<ImageFailure>,
    /// Moved to the archive storage class.
    pub archived: Vec<Digest>,
    pub bytes_archived: u64,
    /// Planned for the archive, but archived already (a second apply, or ECR's own policy).
    pub already_archived: Vec<Digest>,
    /// Planned for the archive, but the current state keeps them active.
    pub no_longer_archive: Vec<Digest>,
    pub archive_failures: Vec<ImageFailure>,
    /// Tags removed from images that stay (`otherwise: untag`).
    pub untagged: Vec<TagId>,
    /// Planned tag removals already done (a second apply, or a killed one run again), or
    /// whose image is gone.
    pub tags_already_gone: Vec<TagId>,
    /// Planned tag removals skipped: the tag names another image now (moved since the plan,
    /// or between the re-read and the call: ImageTagDoesNotMatchDigest).
    pub tags_moved: Vec<TagId>,
    /// Planned tag removals the current state no longer calls for.
    pub tags_no_longer_removed: Vec<TagId>,
    pub untag_failures: Vec<TagFailure>,
    /// A call that failed outright; the repository's remaining work was not done.
    pub error: Option<RegistryError>,
    /// Why the planned policy change was not made.
    pub policy_skipped: Option<PolicySkipped>,
    /// Images the native policy this apply put will make ECR expire (as planned), and their
    /// size: ECR acts within a day, not during the apply.
    pub ecr_will_expire: usize,
    pub ecr_bytes: u64,
}

/// Why a planned change of a native policy was not made; either way, a new plan is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySkipped {
    /// The applied native policy is no longer the one the plan saw.
    AppliedChanged,
    /// The current images call for another native policy than the plan's: putting the planned
    /// one could make ECR expire an image the policy keeps.
    OtherPolicyCalledFor,
}

/// What an apply did to a repository's native lifecycle policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PolicyDone {
    Put,
    Replaced,
    Deleted,
}

impl ApplyReport {
    pub fn deleted(&self) -> usize {
        self.repositories.iter().map(|r| r.deleted.len()).sum()
    }

    pub fn bytes_deleted(&self) -> u64 {
        self.repositories.iter().map(|r| r.bytes_deleted).sum()
    }

    pub fn untagged(&self) -> usize {
        self.repositories.iter().map(|r| r.untagged.len()).sum()
    }

    pub fn archived(&self) -> usize {
        self.repositories.iter().map(|r| r.archived.len()).sum()
    }

    pub fn bytes_archived(&self) -> u64 {
        self.repositories.iter().map(|r| r.bytes_archived).sum()
    }

    pub fn failed(&self) -> bool {
        self.repositories.iter().any(RepositoryReport::failed)
    }
}

impl RepositoryReport {
    /// A failed call, a `failures[]` entry, or a planned policy change not made.
    pub fn failed(&self) -> bool {
        self.error.is_some()
            || !self.failures.is_empty()
            || !self.archive_failures.is_empty()
            || !self.untag_failures.is_empty()
            || self.policy_skipped.is_some()
    }
}

/// Why a plan cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The plan names other policy files than these.
    OtherPolicyFiles {
        planned: Vec<String>,
        given: Vec<String>,
    },
    /// What the file says changed since the plan (comments and layout aside).
    PolicyFileChanged { path: String },
    /// The runner's deletions and what the native policies being put make ECR expire, together
    /// over the limit.
    TooManyDeletions {
        runner: usize,
        ecr: usize,
        max: usize,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::OtherPolicyFiles { planned, given } => write!(
                f,
                "the plan was made from other policy files: it names [{}], and these are [{}]; make a new plan",
                planned.join(", "),
                given.join(", ")
            ),
            Refusal::PolicyFileChanged { path } => write!(
                f,
                "the rules of `{path}` have changed since the plan was made; make a new plan"
            ),
            Refusal::TooManyDeletions {
                runner,
                ecr: 0,
                max,
            } => write!(
                f,
                "the plan deletes {runner} images, more than --max-delete {max}; review the plan, then raise --max-delete"
            ),
            Refusal::TooManyDeletions { runner, ecr, max } => write!(
                f,
                "the plan deletes {runner} images, and the native policies it puts will make ECR expire {ecr} more: {} in all, more than --max-delete {max}; review the plan, then raise --max-delete",
                runner + ecr
            ),
        }
    }
}

/// Checks that `policies` are the very files the plan was made from.
pub fn check_policy_files(plan: &Plan, policies: &[LoadedPolicy]) -> Result<(), Refusal> {
    let given: Vec<&str> = policies.iter().map(|p| p.file.name.as_str()).collect();
    let planned: Vec<&str> = plan.policy_files.iter().map(|p| p.path.as_str()).collect();
    if given != planned {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        return Err(Refusal::OtherPolicyFiles {
            planned: owned(&planned),
            given: owned(&given),
        });
    }
    for (loaded, recorded) in policies.iter().zip(&plan.policy_files) {
        if loaded.normalized_sha256() != recorded.normalized_sha256 {
            return Err(Refusal::PolicyFileChanged {
                path: recorded.path.clone(),
            });
        }
    }
    Ok(())
}

/// Checks that a plan may be applied at all: the same policy files, and no more than
/// `max_delete` images deleted by the runner or expired by ECR under the native policies this
/// apply puts or replaces (a policy already applied is ECR's work whether or not we apply).
pub fn check(plan: &Plan, policies: &[LoadedPolicy], max_delete: usize) -> Result<(), Refusal> {
    check_policy_files(plan, policies)?;
    let runner = plan.summary.images_to_delete;
    let ecr: usize = plan
        .repositories
        .iter()
        .filter(|r| {
            matches!(
                r.lifecycle_policy,
                PolicyChange::Put { .. } | PolicyChange::Replace { .. }
            )
        })
        .map(|r| r.ecr_expirations.len())
        .sum();
    if runner + ecr > max_delete {
        return Err(Refusal::TooManyDeletions {
            runner,
            ecr,
            max: max_delete,
        });
    }
    Ok(())
}

/// Carries out the part of `plan` in one unit of work against its `registry`,
/// with the same policies, at `now`. Call [`check`] first.
/// `usage` is read afresh for the apply: an image that went into use since the plan stays.
pub async fn apply<R: Registry>(
    registry: &R,
    plan: &Plan,
    unit: &Unit,
    policies: &[LoadedPolicy],
    usage: Usage,
    now: Timestamp,
    progress: &dyn Progress,
) -> ApplyReport {
    let consumers = Consumers::new(usage, registry);
    let mut report = ApplyReport::default();
    let mine: Vec<_> = plan
        .repositories
        .iter()
        .filter(|r| r.unit() == *unit)
        .collect();
    progress.start(
        "applying",
        mine.iter()
            .map(|r| {
                let tags: usize = r.tag_removals.iter().map(|t| t.remove.len()).sum();
                (r.deletions.len() + r.archivals.len() + tags) as u64
            })
            .sum(),
    );
    let options = RepositoryOptions {
        manage_policies: true,
        allow_early_archive_delete: plan.allow_early_archive_delete,
    };
    for planned in mine {
        let mut r = RepositoryReport {
            name: if unit.is_default() {
                planned.name.clone()
            } else {
                format!("{} in {unit}", planned.name)
            },
            ..RepositoryReport::default()
        };
        let Some(loaded) = governing_in(policies, &planned.name, unit) else {
            report.repositories.push(r);
            continue;
        };
        let state = match registry.read_repository(&planned.name).await {
            Ok(s) => s,
            Err(e) => {
                r.error = Some(e);
                report.repositories.push(r);
                continue;
            }
        };
        // The native policy the current state calls for (it may be withheld now).
        let in_use = consumers.of(loaded, &state);
        // One decision on what is there now: the policy to put, and what still expires.
        let decision = crate::plan::decide_repository(loaded, &state, &in_use, now, options);
        let desired = decision.native.as_ref().map(|n| n.to_json_pretty());
        let result = apply_policy(
            registry,
            &planned.lifecycle_policy,
            &state.lifecycle_policy,
            desired.as_deref(),
            &planned.name,
            &mut r,
        )
        .await;
        if matches!(r.policy, Some(PolicyDone::Put | PolicyDone::Replaced)) {
            r.ecr_will_expire = planned.ecr_expirations.len();
            r.ecr_bytes = planned
                .ecr_expirations
                .iter()
                .filter_map(|a| a.size_bytes)
                .sum();
        }
        if let Err(e) = result {
            r.error = Some(e);
            report.repositories.push(r);
            continue;
        }
        // Delete only what the plan lists and the current state still expires (an archived
        // image under its 90 days only when the plan allows it).
        let fresh = crate::plan::repository_plan(loaded, &state, &decision, now, options);
        // Still expiring under the policy now, whether the runner or ECR was to do it.
        let expiring: BTreeSet<Digest> = fresh
            .deletions
            .iter()
            .chain(&fresh.ecr_expirations)
            .map(|d| d.digest)
            .collect();
        let present: BTreeSet<Digest> = state.images.iter().map(|i| i.digest).collect();
        let mut todo: Vec<Digest> = Vec::new();
        for d in &planned.deletions {
            let digest = d.digest;
            if !present.contains(&digest) {
                r.already_gone.push(digest);
            } else if !expiring.contains(&d.digest) {
                r.no_longer_expire.push(digest);
            } else {
                todo.push(digest);
            }
        }
        progress.advance((r.already_gone.len() + r.no_longer_expire.len()) as u64);
        // An index before the images it lists: ECR refuses to delete a listed image while its
        // index stays, so children first would leave them for a second apply.
        let lists_images: std::collections::HashSet<Digest> = state
            .images
            .iter()
            .filter(|i| !i.children.is_empty())
            .map(|i| i.digest)
            .collect();
        todo.sort_by_key(|d| !lists_images.contains(d));
        let mut stopped =
            delete_batches(registry, &planned.name, &todo, &state, &mut r, progress).await;
        if !stopped {
            stopped = untag(registry, planned, &fresh, &state, &mut r, progress).await;
        }
        if !stopped {
            archive(
                registry,
                planned,
                &fresh,
                &state,
                &lists_images,
                now,
                &mut r,
                progress,
            )
            .await;
        }
        report.repositories.push(r);
    }
    progress.finish();
    report
}

/// Deletes `todo` in batches of [`BATCH`]; true when a call failed outright and the
/// repository's remaining work was stopped.
async fn delete_batches<R: Registry>(
    registry: &R,
    repository: &str,
    todo: &[Digest],
    state: &crate::snapshot::RepositoryState,
    r: &mut RepositoryReport,
    progress: &dyn Progress,
) -> bool {
    let sizes = sizes(state);
    for batch in todo.chunks(BATCH) {
        match registry.batch_delete(repository, batch).await {
            Ok(outcome) => {
                for d in &outcome.deleted {
                    r.bytes_deleted += sizes.get(d).copied().unwrap_or(0);
                }
                r.deleted.extend(outcome.deleted);
                for f in outcome.failures {
                    if f.is_referenced_by_index() {
                        r.referenced_by_index.push(f.digest);
                    } else if f.code == "ImageNotFound" {
                        r.already_gone.push(f.digest);
                    } else {
                        r.failures.push(f);
                    }
                }
                progress.advance(batch.len() as u64);
            }
            Err(e) => {
                // The SDK has already retried transient failures (a retry after a lost
                // answer finds those images gone: ImageNotFound, reported as such). Stop
                // this repository here; a new plan picks up the rest.
                r.error = Some(e);
                return true;
            }
        }
    }
    false
}

/// Removes the planned tags that the current state still removes, each from the image the
/// plan names (so a tag moved to another image since is never removed), in batches of
/// [`BATCH`]; true when a call failed outright and the repository's remaining work was stopped.
async fn untag<R: Registry>(
    registry: &R,
    planned: &crate::plan::RepositoryPlan,
    fresh: &crate::plan::RepositoryPlan,
    state: &crate::snapshot::RepositoryState,
    r: &mut RepositoryReport,
    progress: &dyn Progress,
) -> bool {
    let due: BTreeSet<(Digest, &str)> = fresh
        .tag_removals
        .iter()
        .flat_map(|t| t.remove.iter().map(|tag| (t.digest, tag.as_str())))
        .collect();
    let holder: std::collections::HashMap<&str, Digest> = state
        .images
        .iter()
        .flat_map(|i| i.tags.iter().map(move |t| (&**t, i.digest)))
        .collect();
    let mut todo: Vec<TagId> = Vec::new();
    for t in &planned.tag_removals {
        let digest = t.digest;
        for tag in &t.remove {
            let id = TagId {
                digest,
                tag: tag.clone(),
            };
            match holder.get(tag.as_str()) {
                None => r.tags_already_gone.push(id),
                Some(d) if *d != digest => r.tags_moved.push(id),
                Some(_) if due.contains(&(digest, tag.as_str())) => todo.push(id),
                Some(_) => r.tags_no_longer_removed.push(id),
            }
        }
    }
    progress.advance(
        (r.tags_already_gone.len() + r.tags_moved.len() + r.tags_no_longer_removed.len()) as u64,
    );
    for batch in todo.chunks(BATCH) {
        match registry.batch_untag(&planned.name, batch).await {
            Ok(outcome) => {
                r.untagged.extend(outcome.removed);
                for f in outcome.failures {
                    if f.moved() {
                        r.tags_moved.push(f.id);
                    } else if f.code == "ImageNotFound" {
                        r.tags_already_gone.push(f.id);
                    } else {
                        r.untag_failures.push(f);
                    }
                }
                progress.advance(batch.len() as u64);
            }
            Err(e) => {
                // As for deletions: a retry after a lost answer finds the tags gone
                // (ImageNotFound); a new apply of the plan finishes the rest.
                r.error = Some(e);
                return true;
            }
        }
    }
    false
}

fn sizes(state: &crate::snapshot::RepositoryState) -> std::collections::HashMap<Digest, u64> {
    state
        .images
        .iter()
        .map(|i| (i.digest, i.size_bytes.unwrap_or(0)))
        .collect()
}

/// Archives what the plan lists and the current state still archives: indexes before the
/// images they list, as ECR archives a listed image only once its index is archived.
#[allow(
    clippy::too_many_arguments,
    reason = "the plan, the state and the report it writes, each needed once"
)]
async fn archive<R: Registry>(
    registry: &R,
    planned: &crate::plan::RepositoryPlan,
    fresh: &crate::plan::RepositoryPlan,
    state: &crate::snapshot::RepositoryState,
    lists_images: &std::collections::HashSet<Digest>,
    now: Timestamp,
    r: &mut RepositoryReport,
    progress: &dyn Progress,
) {
    if planned.archivals.is_empty() {
        return;
    }
    let still: BTreeSet<Digest> = fresh
        .archivals
        .iter()
        .chain(&fresh.ecr_archivals)
        .map(|a| a.digest)
        .collect();
    let status: std::collections::HashMap<Digest, ImageStatus> =
        state.images.iter().map(|i| (i.digest, i.status)).collect();
    let mut todo: Vec<Digest> = Vec::new();
    for a in &planned.archivals {
        let digest = a.digest;
        match status.get(&digest) {
            None => r.already_gone.push(digest),
            Some(ImageStatus::Active) if still.contains(&digest) => todo.push(digest),
            Some(ImageStatus::Active) => r.no_longer_archive.push(digest),
            Some(_) => r.already_archived.push(digest),
        }
    }
    progress.advance((planned.archivals.len() - todo.len()) as u64);
    let (indexes, rest): (Vec<Digest>, Vec<Digest>) =
        todo.into_iter().partition(|d| lists_images.contains(d));
    let sizes = sizes(state);
    for group in [indexes, rest] {
        if group.is_empty() {
            continue;
        }
        let outcome = registry.archive_images(&planned.name, &group, now).await;
        for d in &outcome.archived {
            r.bytes_archived += sizes.get(d).copied().unwrap_or(0);
        }
        r.archived.extend(outcome.archived);
        for f in outcome.failures {
            if f.code == "ImageNotFound" {
                r.already_gone.push(f.digest);
            } else {
                r.archive_failures.push(f);
            }
        }
        progress.advance(group.len() as u64);
    }
}

/// Puts or deletes the planned native policy, but only while the registry still holds what
/// the plan saw and the current images still call for the planned policy; otherwise the change
/// is skipped and reported.
async fn apply_policy<R: Registry>(
    registry: &R,
    change: &PolicyChange,
    current: &Option<String>,
    desired: Option<&str>,
    repository: &str,
    r: &mut RepositoryReport,
) -> Result<(), RegistryError> {
    let same = |a: Option<&str>, b: Option<&str>| match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => same_policy(a, b),
        _ => false,
    };
    let (seen, wanted) = match change {
        PolicyChange::Unchanged => return Ok(()),
        PolicyChange::Put { text } => (None, Some(text.as_str())),
        PolicyChange::Replace { current, text } => (Some(current.as_str()), Some(text.as_str())),
        PolicyChange::Delete { current } => (Some(current.as_str()), None),
    };
    if same(current.as_deref(), wanted) {
        return Ok(()); // Already done (a second apply, or someone else did it).
    }
    if !same(current.as_deref(), seen) {
        r.policy_skipped = Some(PolicySkipped::AppliedChanged);
        return Ok(());
    }
    if !same(desired, wanted) {
        r.policy_skipped = Some(PolicySkipped::OtherPolicyCalledFor);
        return Ok(());
    }
    match wanted {
        Some(text) => {
            registry.put_lifecycle_policy(repository, text).await?;
            r.policy = Some(if current.is_some() {
                PolicyDone::Replaced
            } else {
                PolicyDone::Put
            });
        }
        None => {
            registry.delete_lifecycle_policy(repository).await?;
            r.policy = Some(PolicyDone::Deleted);
        }
    }
    Ok(())
}
