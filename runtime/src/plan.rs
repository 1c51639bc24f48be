//! Plans: what would change in a registry, as data. Text, Markdown and JSON are renderings of
//! one [`Plan`]; a saved plan is that JSON, with the format version and what it saw.

use ecr_lifecycle_compiler::decide::{
    Actor, NativeControl, Options as DecideOptions, RepositoryDecision, decide,
};
use ecr_lifecycle_compiler::dsl::policy::{Account, RegistryKind};
use ecr_lifecycle_compiler::dsl::{Policy, claims};
use ecr_lifecycle_compiler::image::{Image, ImageStatus, iso};
use ecr_lifecycle_compiler::in_use::InUse;
use ecr_lifecycle_compiler::reference::{self, Fate};
use ecr_lifecycle_compiler::source::SourceFile;
use ecr_lifecycle_compiler::split::{self, Compiled};
use jiff::Timestamp;
use sha2::{Digest as _, Sha256};

use crate::normalize::{normalize, same_policy};
use crate::snapshot::RepositoryState;

mod model;
pub use model::*;

/// Choices that change what a repository's plan contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepositoryOptions {
    /// Whether the native policy is ecr-lifecycle's to put (false: Terraform manages it).
    pub manage_policies: bool,
    /// Whether images in the archive for less than 90 days may be deleted (their 90 days are
    /// billed anyway).
    pub allow_early_archive_delete: bool,
}

impl Default for RepositoryOptions {
    fn default() -> RepositoryOptions {
        RepositoryOptions {
            manage_policies: true,
            allow_early_archive_delete: false,
        }
    }
}

/// A policy file with what was compiled from it.
#[derive(Debug)]
pub struct LoadedPolicy {
    pub file: SourceFile,
    pub policy: Policy,
    pub compiled: Compiled,
    /// The listing files its `in_use.files` globs found, as [`crate::in_use::Source::File`]
    /// names them (found by the caller: that is I/O).
    pub in_use_files: Vec<String>,
    /// The registry it governs: as the file says, else as the command line does.
    pub registry: RegistryKind,
}

impl LoadedPolicy {
    pub fn new(file: SourceFile, policy: Policy) -> LoadedPolicy {
        let registry = policy
            .registry
            .as_ref()
            .map_or_else(Default::default, |r| r.value);
        let compiled = if registry.has_lifecycle_policies() {
            split::compile(&policy)
        } else {
            split::compile_runtime_only(&policy)
        };
        LoadedPolicy {
            file,
            policy,
            compiled,
            in_use_files: Vec::new(),
            registry,
        }
    }

    /// The same, governing `registry` unless the file names its own.
    pub fn with_default_registry(mut self, registry: RegistryKind) -> LoadedPolicy {
        if self.policy.registry.is_none() {
            self.registry = registry;
        }
        if !self.registry.has_lifecycle_policies() {
            self.compiled = split::compile_runtime_only(&self.policy);
        }
        self
    }

    /// The hash of what the file means ([`ecr_lifecycle_compiler::dsl::normal_form`]), which a
    /// comment-only edit does not change.
    pub fn normalized_sha256(&self) -> String {
        sha256_hex(ecr_lifecycle_compiler::dsl::normal_form(&self.file).as_bytes())
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What happens to a repository (see [`decide`]): the one question `plan`, `apply`, `diff` and
/// `explain` ask.
pub fn decide_repository(
    loaded: &LoadedPolicy,
    state: &RepositoryState,
    in_use: &InUse,
    now: Timestamp,
    options: RepositoryOptions,
) -> RepositoryDecision {
    let native = if !loaded.registry.has_lifecycle_policies() {
        NativeControl::NoLifecyclePolicies
    } else if options.manage_policies {
        NativeControl::Managed
    } else {
        NativeControl::LeftToAnotherTool {
            applied: state.lifecycle_policy.clone(),
        }
    };
    decide(
        &loaded.policy,
        &loaded.compiled,
        &state.images,
        Some(&state.name),
        in_use,
        now,
        &DecideOptions {
            allow_early_archive_delete: options.allow_early_archive_delete,
            native,
        },
    )
}

/// The native policy text a repository should carry now, if any.
pub fn desired_text(
    loaded: &LoadedPolicy,
    state: &RepositoryState,
    in_use: &InUse,
    now: Timestamp,
) -> Option<String> {
    decide_repository(loaded, state, in_use, now, RepositoryOptions::default())
        .native
        .map(|n| n.to_json_pretty())
}

/// Plans one repository under the policy that governs it (pure: no I/O, time passed in).
pub fn plan_repository(
    loaded: &LoadedPolicy,
    state: &RepositoryState,
    now: Timestamp,
) -> RepositoryPlan {
    plan_repository_with(
        loaded,
        state,
        &InUse::new(),
        now,
        RepositoryOptions::default(),
    )
}

/// Like [`plan_repository`], with choices. With `manage_policies` false the native policy is
/// left to another tool (Terraform): no change is planned for it, and the runner's share
/// assumes the compiled policy is in place.
pub fn plan_repository_with(
    loaded: &LoadedPolicy,
    state: &RepositoryState,
    in_use: &InUse,
    now: Timestamp,
    options: RepositoryOptions,
) -> RepositoryPlan {
    let decision = decide_repository(loaded, state, in_use, now, options);
    repository_plan(loaded, state, &decision, now, options)
}

/// The plan of one repository, assembled from its decision.
pub fn repository_plan(
    loaded: &LoadedPolicy,
    state: &RepositoryState,
    decision: &RepositoryDecision,
    now: Timestamp,
    options: RepositoryOptions,
) -> RepositoryPlan {
    let desired_text = decision.native.as_ref().map(|n| n.to_json_pretty());
    let lifecycle_policy = match (&state.lifecycle_policy, desired_text) {
        _ if !options.manage_policies => PolicyChange::Unchanged,
        (None, None) => PolicyChange::Unchanged,
        (None, Some(text)) => PolicyChange::Put { text },
        (Some(current), None) => PolicyChange::Delete {
            current: normalize(current),
        },
        (Some(current), Some(text)) if same_policy(current, &text) => PolicyChange::Unchanged,
        (Some(current), Some(text)) => PolicyChange::Replace {
            current: normalize(current),
            text,
        },
    };
    let mut plan = RepositoryPlan {
        name: state.name.clone(),
        account: None,
        region: None,
        registry: loaded.registry,
        policy_file: loaded.file.name.clone(),
        default_policy: loaded.policy.is_default(),
        lifecycle_policy,
        deletions: Vec::new(),
        ecr_expirations: Vec::new(),
        tag_removals: Vec::new(),
        archivals: Vec::new(),
        ecr_archivals: Vec::new(),
        held: Vec::new(),
        kept_in_use: Vec::new(),
        applied_policy_expirations: Vec::new(),
        notes: decision.notes.clone(),
        images_seen: state.images.len(),
        bytes_seen: state.images.iter().filter_map(|i| i.size_bytes).sum(),
    };
    let decisions = &decision.evaluation.decisions;
    for ((image, d), actor) in state.images.iter().zip(decisions).zip(&decision.actors) {
        if let Some(removal) = tag_removal(image, d, &loaded.policy) {
            plan.tag_removals.push(removal);
        }
        let action = || image_action(image, d, &loaded.policy, now);
        let list = match (actor, d.fate) {
            (Actor::Nobody | Actor::Waiting, _) | (_, Fate::Keep)
                if *actor != Actor::ForeignPolicy =>
            {
                continue;
            }
            (Actor::ForeignPolicy, _) => &mut plan.applied_policy_expirations,
            (Actor::Ecr, Fate::Archive) => &mut plan.ecr_archivals,
            (Actor::Ecr, _) => &mut plan.ecr_expirations,
            (Actor::Runner, Fate::Archive) => &mut plan.archivals,
            (Actor::Held, _) => &mut plan.held,
            _ => &mut plan.deletions,
        };
        list.push(action());
    }
    plan.kept_in_use = decision
        .kept_in_use
        .iter()
        .map(|(i, without)| KeptInUse {
            image: image_action(&state.images[*i], without, &loaded.policy, now),
            would: without.fate,
            would_untag: without.tags_removed().to_vec(),
            kept: decisions[*i].reason.clone(),
        })
        .collect();
    let order = |a: &ImageAction, b: &ImageAction| {
        a.pushed_at.cmp(&b.pushed_at).then(a.digest.cmp(&b.digest))
    };
    for list in [
        &mut plan.deletions,
        &mut plan.ecr_expirations,
        &mut plan.archivals,
        &mut plan.ecr_archivals,
        &mut plan.held,
        &mut plan.applied_policy_expirations,
    ] {
        list.sort_by(order);
    }
    plan.kept_in_use.sort_by(|a, b| order(&a.image, &b.image));
    plan.tag_removals
        .sort_by(|a, b| a.pushed_at.cmp(&b.pushed_at).then(a.digest.cmp(&b.digest)));
    plan
}

/// The tags an image that stays loses to its rule's `otherwise: untag`, if any.
fn tag_removal(
    image: &Image,
    decision: &reference::Decision,
    policy: &Policy,
) -> Option<TagRemoval> {
    let remove = decision.tags_removed();
    if remove.is_empty() {
        return None;
    }
    Some(TagRemoval {
        digest: image.digest,
        remove: remove.to_vec(),
        keep: image
            .tags
            .iter()
            .filter(|t| !remove.iter().any(|r| r == &***t))
            .map(|t| t.to_string())
            .collect(),
        pushed_at: image.pushed_at,
        rule: decision
            .rule
            .and_then(|r| policy.rule_name(r))
            .map(|(n, _)| n.to_string())
            .unwrap_or_default(),
        reason: decision.reason.clone(),
    })
}

fn image_action(
    image: &Image,
    decision: &reference::Decision,
    policy: &Policy,
    now: Timestamp,
) -> ImageAction {
    ImageAction {
        digest: image.digest,
        tags: image.tags.iter().map(|t| t.to_string()).collect(),
        pushed_at: image.pushed_at,
        size_bytes: image.size_bytes,
        archived: (image.status == ImageStatus::Archived).then(|| {
            image.archived_at.map_or(ArchiveAge::Unknown, |t| {
                ArchiveAge::Days(now.duration_since(t).as_secs().div_euclid(86_400))
            })
        }),
        rule: decision
            .rule
            .and_then(|r| policy.rule_name(r))
            .map(|(n, _)| n.to_string()),
        reason: decision.reason.clone(),
        last_tags_removed: decision.expires_untagged(),
    }
}

/// A unit of work: the registry (ECR or ECR Public) of one account in one region (`None`: the
/// run-time default credentials, or region; ECR Public has no region but us-east-1).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Unit {
    pub registry: RegistryKind,
    pub account: Option<Account>,
    pub region: Option<String>,
}

impl Unit {
    pub fn in_region(region: Option<&str>) -> Unit {
        Unit {
            registry: RegistryKind::Ecr,
            account: None,
            region: region.map(str::to_string),
        }
    }

    /// Whether it is the run-time default registry.
    pub fn is_default(&self) -> bool {
        self.registry == RegistryKind::Ecr && self.account.is_none() && self.region.is_none()
    }
}

impl std::fmt::Display for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.registry == RegistryKind::EcrPublic {
            return match &self.account {
                None => write!(f, "ECR Public"),
                Some(a) => write!(f, "ECR Public, {a}"),
            };
        }
        match (&self.account, &self.region) {
            (None, None) => write!(f, "the default account and region"),
            (None, Some(r)) => write!(f, "{r}"),
            (Some(a), None) => write!(f, "{a}"),
            (Some(a), Some(r)) => write!(f, "{a}, {r}"),
        }
    }
}

/// The policy file that governs a repository of the default account and region, if any.
pub fn governing<'a>(policies: &'a [LoadedPolicy], repository: &str) -> Option<&'a LoadedPolicy> {
    governing_in(policies, repository, &Unit::default())
}

/// The policy file that governs a repository in a unit of work: the compiler's answer
/// ([`claims::governing`]: an ordinary file that selects it, else the default file), which
/// every command asks.
pub fn governing_in<'a>(
    policies: &'a [LoadedPolicy],
    repository: &str,
    unit: &Unit,
) -> Option<&'a LoadedPolicy> {
    let place = claims::Place::Unit {
        account: unit.account.as_ref(),
        region: unit.region.as_deref(),
    };
    // Only the files for the unit's kind of registry govern it.
    let candidates: Vec<&LoadedPolicy> = policies
        .iter()
        .filter(|p| p.registry == unit.registry)
        .collect();
    claims::governing(candidates.iter().map(|p| &p.policy), repository, place)
        .map(|i| candidates[i])
}

/// The units of work the policies name: each account in each region, once.
pub fn units(policies: &[LoadedPolicy]) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    for p in policies {
        let accounts: Vec<Option<Account>> = match &p.policy.accounts {
            None => vec![None],
            Some(list) => list.iter().cloned().map(Some).collect(),
        };
        // ECR Public is served in one region: its files name none (refused when read).
        let regions: Vec<Option<String>> = match &p.policy.regions {
            Some(list) if p.registry.has_lifecycle_policies() => {
                list.iter().cloned().map(Some).collect()
            }
            _ => vec![None],
        };
        for account in &accounts {
            for region in &regions {
                out.push(Unit {
                    registry: p.registry,
                    account: account.clone(),
                    region: region.clone(),
                });
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// How a plan was made, besides its policy files, registries and time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PlanSettings {
    pub shard: Option<Shard>,
    pub allow_early_archive_delete: bool,
    pub prices: Prices,
}

/// Assembles the plan, once, from the planned repositories of every unit of work.
pub fn assemble(
    policies: &[LoadedPolicy],
    mut registries: Vec<RegistryId>,
    now: Timestamp,
    mut repositories: Vec<RepositoryPlan>,
    settings: PlanSettings,
) -> Plan {
    repositories.sort_by(RepositoryPlan::order);
    // Every unit's registry is recorded, for apply to check against.
    registries.sort();
    registries.dedup();
    let summary = summarize(&repositories, &settings.prices);
    Plan {
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: iso(now),
        registries,
        shard: settings.shard,
        allow_early_archive_delete: settings.allow_early_archive_delete,
        prices: settings.prices,
        policy_files: policies
            .iter()
            .map(|p| PolicyFileRef {
                path: p.file.name.clone(),
                normalized_sha256: p.normalized_sha256(),
                registry: p.registry,
            })
            .collect(),
        repositories,
        summary,
    }
}

#[cfg(test)]
mod tests;
