//! Plans: what would change in a registry, as data. Text, Markdown and JSON are renderings of
//! one [`Plan`]; a saved plan is that JSON, with the format version and what it saw.

use ecr_lifecycle_compiler::dsl::Policy;
use ecr_lifecycle_compiler::dsl::policy::{ARCHIVE_DEFAULT_NAME, Account, RuleId};
use ecr_lifecycle_compiler::image::{Digest, Image, ImageStatus, iso};
use ecr_lifecycle_compiler::native::{self, ValidPolicy};
use ecr_lifecycle_compiler::reference::{self, Evaluation, Fate};
use ecr_lifecycle_compiler::source::SourceFile;
use ecr_lifecycle_compiler::split::{self, Compiled};
use jiff::Timestamp;
use sha2::{Digest as _, Sha256};

use std::collections::BTreeSet;

use ecr_lifecycle_compiler::in_use::InUse;

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
}

impl LoadedPolicy {
    pub fn new(file: SourceFile, policy: Policy) -> LoadedPolicy {
        let compiled = split::compile(&policy);
        LoadedPolicy {
            file,
            policy,
            compiled,
            in_use_files: Vec::new(),
        }
    }

    pub fn sha256(&self) -> String {
        sha256_hex(self.file.text.as_bytes())
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The native policy a repository should carry, and why it differs from the compiled one.
pub struct Desired {
    pub native: Option<ValidPolicy>,
    pub notes: Vec<Note>,
}

/// What one repository's evaluation needs besides the policy: its images in use.
#[derive(Debug, Clone, Copy)]
pub struct Evaluated<'a> {
    /// With the images in use kept.
    pub evaluation: &'a Evaluation,
    /// The rules alone; `None` when nothing is in use (the same as `evaluation`).
    pub rules_alone: Option<&'a Evaluation>,
    pub in_use: &'a InUse,
}

/// Decides the native policy for one repository: the compiled one, except that
/// - a rule whose native form would expire or archive an image in use is left to the runner
///   in this repository (its filter stays as a claim, so the other rules are unchanged), with
///   a warning that names the image, the rule and the consumer;
/// - if ECR would still expire an image the policy keeps (a referrer of a kept image, say),
///   the repository runs entirely at runtime and the plan says which image and why.
pub fn desired_policy(
    loaded: &LoadedPolicy,
    state: &RepositoryState,
    evaluated: Evaluated<'_>,
    now: Timestamp,
) -> Desired {
    let mut notes = Vec::new();
    // ECR ranks a restored image by its restore time: restoring an old archived image could
    // make a native count expire a newer image the policy keeps. So the policy must also be
    // safe in the world where every archived image is restored now.
    let restored: Option<RepositoryState> =
        state
            .images
            .iter()
            .any(|i| !i.is_active())
            .then(|| RepositoryState {
                name: state.name.clone(),
                lifecycle_policy: None,
                images: state
                    .images
                    .iter()
                    .map(|i| {
                        let mut i = i.clone();
                        if !i.is_active() {
                            i.status = ecr_lifecycle_compiler::image::ImageStatus::Active;
                            i.activated_at = Some(now);
                        }
                        i
                    })
                    .collect(),
            });
    let restored_evaluations = restored
        .as_ref()
        .map(|world| evaluations(loaded, world, evaluated.in_use, now));
    let mut worlds: Vec<(&[Image], &Evaluation, Option<&Evaluation>)> =
        vec![(&state.images, evaluated.evaluation, evaluated.rules_alone)];
    if let (Some(world), Some((with, alone))) = (&restored, &restored_evaluations) {
        worlds.push((&world.images, with, alone.as_ref()));
    }

    let mut compiled = std::borrow::Cow::Borrowed(&loaded.compiled);
    let mut held: BTreeSet<RuleId> = BTreeSet::new();
    // Each round holds back at least one more rule, so this ends.
    while let Some(native) = compiled.native.as_ref() {
        let mut more = false;
        for &(images, with, alone) in &worlds {
            let Some(alone) = alone else { continue };
            let outcome = native::simulate(native, images, now);
            let harmed: BTreeSet<Digest> = harm(with, images, &outcome).into_iter().collect();
            let anyway: BTreeSet<Digest> = harm(alone, images, &outcome).into_iter().collect();
            // Per rule: its native priority and the images in use it would act on.
            let mut conflicts: std::collections::BTreeMap<RuleId, (i64, Vec<Digest>)> =
                std::collections::BTreeMap::new();
            for &d in harmed.difference(&anyway) {
                let Some(priority) = acting_rule(&outcome, d) else {
                    continue;
                };
                let Some(spec) = compiled
                    .specs
                    .iter()
                    .find(|s| i64::from(s.priority) == priority)
                else {
                    continue;
                };
                if loaded.policy.evaluation == ecr_lifecycle_compiler::dsl::policy::Evaluation::Ecr
                    || held.contains(&spec.rule)
                {
                    continue;
                }
                conflicts
                    .entry(spec.rule)
                    .or_insert_with(|| (priority, Vec::new()))
                    .1
                    .push(d);
            }
            for (rule, (priority, digests)) in conflicts {
                held.insert(rule);
                more = true;
                notes.push(held_back_note(
                    loaded, images, with, &outcome, rule, priority, &digests,
                ));
            }
        }
        if !more {
            break;
        }
        compiled = std::borrow::Cow::Owned(split::compile_holding(&loaded.policy, &held));
    }
    let Some(native) = compiled.native.clone() else {
        return Desired {
            native: None,
            notes,
        };
    };
    let harmed: Vec<Digest> = worlds
        .iter()
        .map(|&(images, with, _)| harm(with, images, &native::simulate(&native, images, now)))
        .find(|h| !h.is_empty())
        .unwrap_or_default();
    if harmed.is_empty() {
        let untagged_native = native.rules.iter().any(|r| {
            matches!(
                r.selection.tag_status,
                native::TagStatus::Untagged | native::TagStatus::Any
            )
        });
        if untagged_native && state.images.iter().any(|i| i.subject.is_some()) {
            notes.push(Note::ReferrersPresent);
        }
        return Desired {
            native: Some(native),
            notes,
        };
    }
    notes.push(Note::Withheld {
        images: harmed.len(),
        examples: harmed.iter().take(3).map(|d| d.to_string()).collect(),
    });
    Desired {
        native: None,
        notes,
    }
}

/// Why a rule runs at runtime in one repository: the image in use its native rule would act on.
fn held_back_note(
    loaded: &LoadedPolicy,
    images: &[Image],
    evaluation: &Evaluation,
    outcome: &native::Outcome,
    rule: RuleId,
    priority: i64,
    digests: &[Digest],
) -> Note {
    let digest = digests[0];
    let name = loaded
        .policy
        .rule_name(rule)
        .map_or_else(|| ARCHIVE_DEFAULT_NAME.to_string(), |(n, _)| n.to_string());
    let (tags, kept) = images
        .iter()
        .zip(&evaluation.decisions)
        .find(|(i, _)| i.digest == digest)
        .map(|(i, d)| {
            let tags: Vec<String> = i.tags.iter().map(|t| t.to_string()).collect();
            (tags, d.reason.clone())
        })
        .unwrap_or((Vec::new(), reference::Reason::Ungoverned));
    Note::HeldBack {
        rule: name,
        archive: !matches!(rule, RuleId::Rule(_)),
        priority,
        would: if outcome.expired.contains(&digest) {
            Fate::Expire
        } else {
            Fate::Archive
        },
        image: digest.to_string(),
        tags,
        images: digests.len(),
        kept,
    }
}

/// The priority of the native rule behind ECR's action on an image (through the subjects a
/// referrer follows).
fn acting_rule(outcome: &native::Outcome, digest: Digest) -> Option<i64> {
    let mut at = digest;
    for _ in 0..64 {
        match outcome.causes.get(&at)? {
            native::Cause::Rule { priority } => return Some(*priority),
            native::Cause::Subject(s) => at = *s,
        }
    }
    None
}

/// The images ECR would treat worse than the policy: expire what it keeps or archives, or
/// archive what it keeps.
fn harm(evaluation: &Evaluation, images: &[Image], outcome: &native::Outcome) -> Vec<Digest> {
    images
        .iter()
        .zip(&evaluation.decisions)
        .filter(|(i, d)| {
            (outcome.expired.contains(&i.digest) && !d.expires())
                || (outcome.transitioned.contains(&i.digest) && d.keeps())
        })
        .map(|(i, _)| i.digest)
        .collect()
}

/// A repository's evaluations: with its images in use kept, and by the rules alone when any
/// image is in use.
pub fn evaluations(
    loaded: &LoadedPolicy,
    state: &RepositoryState,
    in_use: &InUse,
    now: Timestamp,
) -> (Evaluation, Option<Evaluation>) {
    let repo = Some(state.name.as_str());
    let with = reference::evaluate_with(&loaded.policy, &state.images, repo, now, in_use);
    let alone =
        (!in_use.is_empty()).then(|| reference::evaluate(&loaded.policy, &state.images, repo, now));
    (with, alone)
}

/// The native policy text a repository should carry now, if any (see [`desired_policy`]).
pub fn desired_text(
    loaded: &LoadedPolicy,
    state: &RepositoryState,
    in_use: &InUse,
    now: Timestamp,
) -> Option<String> {
    let (evaluation, alone) = evaluations(loaded, state, in_use, now);
    let evaluated = Evaluated {
        evaluation: &evaluation,
        rules_alone: alone.as_ref(),
        in_use,
    };
    desired_policy(loaded, state, evaluated, now)
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
    let (evaluation, alone) = evaluations(loaded, state, in_use, now);
    let evaluated = Evaluated {
        evaluation: &evaluation,
        rules_alone: alone.as_ref(),
        in_use,
    };
    let desired = desired_policy(loaded, state, evaluated, now);
    let desired_text = desired.native.as_ref().map(|n| n.to_json_pretty());
    let in_force = if options.manage_policies {
        InForce::Compiled
    } else {
        in_force(state, desired_text.as_deref())
    };
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
    let ecr = desired
        .native
        .as_ref()
        .map(|n| native::simulate(n, &state.images, now))
        .unwrap_or_default();
    let mut plan = RepositoryPlan {
        name: state.name.clone(),
        account: None,
        region: None,
        policy_file: loaded.file.name.clone(),
        lifecycle_policy,
        deletions: Vec::new(),
        ecr_expirations: Vec::new(),
        archivals: Vec::new(),
        ecr_archivals: Vec::new(),
        held: Vec::new(),
        kept_in_use: Vec::new(),
        notes: desired.notes,
        applied_policy_expirations: Vec::new(),
        images_seen: state.images.len(),
        bytes_seen: state.images.iter().filter_map(|i| i.size_bytes).sum(),
    };
    // With the native policy left to another tool, ECR runs the policy applied there: the
    // runner's share still assumes the compiled one, and ECR's figures are the applied one's.
    let ecr_in_force = match &in_force {
        InForce::Compiled => ecr.clone(),
        InForce::Applied(applied) => native::simulate(applied, &state.images, now),
        InForce::Nothing => native::Outcome::default(),
    };
    let mut not_yet_native = 0;
    for (image, decision) in state.images.iter().zip(&evaluation.decisions) {
        let action = || image_action(image, decision, &loaded.policy, now);
        let by_ecr = ecr_in_force.expired.contains(&image.digest);
        if in_force != InForce::Compiled {
            let planned_for_ecr =
                ecr.expired.contains(&image.digest) || ecr.transitioned.contains(&image.digest);
            match decision.fate {
                Fate::Expire | Fate::Archive if planned_for_ecr && !by_ecr => {
                    not_yet_native += 1;
                }
                Fate::Keep | Fate::Archive if by_ecr => {
                    plan.applied_policy_expirations.push(action());
                    continue;
                }
                _ => {}
            }
        }
        match decision.fate {
            Fate::Keep => {}
            Fate::Archive if ecr.transitioned.contains(&image.digest) => {
                if ecr_in_force.transitioned.contains(&image.digest) {
                    plan.ecr_archivals.push(action())
                }
            }
            Fate::Archive => plan.archivals.push(action()),
            Fate::Expire if ecr.expired.contains(&image.digest) => {
                if by_ecr {
                    plan.ecr_expirations.push(action())
                }
            }
            Fate::Expire => {
                let a = action();
                if a.early_delete_days() > 0 && !options.allow_early_archive_delete {
                    plan.held.push(a);
                } else {
                    plan.deletions.push(a);
                }
            }
        }
    }
    if let Some(alone) = &alone {
        plan.kept_in_use = kept_in_use(loaded, state, &evaluation, alone, now);
    }
    if in_force == InForce::Nothing && state.lifecycle_policy.is_none() {
        plan.notes.push(Note::NoPolicyApplied {
            waiting: not_yet_native,
        });
    } else if in_force != InForce::Compiled {
        plan.notes.push(Note::AppliedPolicyDiffers {
            expires: ecr_in_force.expired.len(),
            kept_by_files: plan.applied_policy_expirations.len(),
            waiting: not_yet_native,
        });
    }
    plan.notes.extend(index_notes(loaded, state, &evaluation));
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
    plan
}

/// The native policy ECR runs in a repository.
#[derive(Debug, PartialEq)]
enum InForce {
    /// The compiled one: it is applied, or this plan applies it.
    Compiled,
    /// Another, applied by another tool (`--native-policies ignore`).
    Applied(ValidPolicy),
    /// None: nothing is applied (or what is applied is no policy ECR would run).
    Nothing,
}

/// With the native policy left to another tool, what ECR runs: the applied policy.
fn in_force(state: &RepositoryState, desired: Option<&str>) -> InForce {
    match (state.lifecycle_policy.as_deref(), desired) {
        (Some(a), Some(d)) if same_policy(a, d) => InForce::Compiled,
        (None, None) => InForce::Compiled,
        (Some(a), _) => native::parse_and_validate(a).map_or(InForce::Nothing, InForce::Applied),
        (None, Some(_)) => InForce::Nothing,
    }
}

/// The images the rules alone would expire or archive and that stay for being in use.
fn kept_in_use(
    loaded: &LoadedPolicy,
    state: &RepositoryState,
    evaluation: &Evaluation,
    alone: &Evaluation,
    now: Timestamp,
) -> Vec<KeptInUse> {
    state
        .images
        .iter()
        .zip(evaluation.decisions.iter().zip(&alone.decisions))
        .filter(|(_, (with, without))| with.fate > without.fate)
        .map(|(image, (with, without))| KeptInUse {
            image: image_action(image, without, &loaded.policy, now),
            would: without.fate,
            kept: with.reason.clone(),
        })
        .collect()
}

/// An image index the policy archives while an image it lists stays active: the index cannot
/// be pulled until it is restored, though the child can.
fn index_notes(
    loaded: &LoadedPolicy,
    state: &RepositoryState,
    evaluation: &Evaluation,
) -> Vec<Note> {
    let fate: std::collections::HashMap<Digest, &reference::Decision> = state
        .images
        .iter()
        .zip(&evaluation.decisions)
        .map(|(i, d)| (i.digest, d))
        .collect();
    let mut out = Vec::new();
    for (image, decision) in state.images.iter().zip(&evaluation.decisions) {
        if !decision.archives() {
            continue;
        }
        let kept: Vec<String> = image
            .children
            .iter()
            .filter(|c| fate.get(c).is_some_and(|d| d.keeps()))
            .map(|c| c.to_string())
            .collect();
        if kept.is_empty() {
            continue;
        }
        let rule = decision
            .rule
            .and_then(|r| loaded.policy.rule_name(r))
            .map_or("?", |(n, _)| n);
        out.push(Note::IndexArchivedChildrenActive {
            rule: rule.to_string(),
            index: image.digest.to_string(),
            active: kept.len(),
            example: kept[0].clone(),
        });
    }
    out
}

fn image_action(
    image: &Image,
    decision: &reference::Decision,
    policy: &Policy,
    now: Timestamp,
) -> ImageAction {
    ImageAction {
        digest: image.digest.to_string(),
        tags: image.tags.iter().map(|t| t.to_string()).collect(),
        pushed_at: iso(image.pushed_at),
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
    }
}

/// A unit of work: the registry of one account in one region (`None`: the run-time default
/// credentials, or region).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Unit {
    pub account: Option<Account>,
    pub region: Option<String>,
}

impl Unit {
    pub fn in_region(region: Option<&str>) -> Unit {
        Unit {
            account: None,
            region: region.map(str::to_string),
        }
    }

    /// Whether it is the run-time default registry.
    pub fn is_default(&self) -> bool {
        self.account.is_none() && self.region.is_none()
    }
}

impl std::fmt::Display for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

/// The policy file that governs a repository in a unit of work.
pub fn governing_in<'a>(
    policies: &'a [LoadedPolicy],
    repository: &str,
    unit: &Unit,
) -> Option<&'a LoadedPolicy> {
    policies.iter().find(|p| {
        p.policy
            .covers(unit.account.as_ref(), unit.region.as_deref())
            && p.policy.repositories.selects(repository)
    })
}

/// The units of work the policies name: each account in each region, once.
pub fn units(policies: &[LoadedPolicy]) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    for p in policies {
        let accounts: Vec<Option<Account>> = match &p.policy.accounts {
            None => vec![None],
            Some(list) => list.iter().cloned().map(Some).collect(),
        };
        let regions: Vec<Option<String>> = match &p.policy.regions {
            None => vec![None],
            Some(list) => list.iter().cloned().map(Some).collect(),
        };
        for account in &accounts {
            for region in &regions {
                out.push(Unit {
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

/// Assembles a plan from planned repositories.
pub fn assemble(
    policies: &[LoadedPolicy],
    registries: Vec<RegistryId>,
    now: Timestamp,
    mut repositories: Vec<RepositoryPlan>,
) -> Plan {
    repositories.sort_by(RepositoryPlan::order);
    let summary = summarize(&repositories, &Prices::default());
    Plan {
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: iso(now),
        registries,
        shard: None,
        allow_early_archive_delete: false,
        prices: Prices::default(),
        policy_files: policies
            .iter()
            .map(|p| PolicyFileRef {
                path: p.file.name.clone(),
                sha256: p.sha256(),
            })
            .collect(),
        repositories,
        summary,
    }
}

#[cfg(test)]
mod tests;
