//! What happens to one repository, and why (DESIGN.md §5): the native policy it should carry,
//! each image's fate with its rule and typed reason, who acts on it, and what a reviewer
//! should know. `plan`, `apply` (against what it re-reads), `diff` and `explain` all ask this
//! one function; it is pure (the images, the images in use and the time are arguments).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::dsl::Policy;
use crate::dsl::policy::{ARCHIVE_DEFAULT_NAME, Evaluation as Reading, RuleId};
use crate::image::{Digest, Image, ImageStatus};
use crate::in_use::InUse;
use crate::native::{self, Outcome, TagFilter, ValidPolicy};
use crate::reference::{self, Decision, Evaluation, Fate, Reason};
use crate::split::{self, Compiled};

use crate::limits::MIN_ARCHIVE_DAYS;

/// Who carries out an image's fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Actor {
    /// The image is kept: nobody acts.
    Nobody,
    /// ECR's native policy (the one in force) expires or archives it.
    Ecr,
    /// The runner deletes or archives it (`apply`).
    Runner,
    /// The policy deletes it from the archive, but it has been there under ECR's 90-day
    /// minimum and the plan does not allow deleting it early.
    Held,
    /// The compiled native policy would act on it, but another tool manages the native policy
    /// and has not put it yet (`--native-policies ignore`).
    Waiting,
    /// The policy keeps it, and the native policy another tool applied expires it.
    ForeignPolicy,
}

/// Who manages the repository's native lifecycle policy.
#[derive(Debug, Clone, Default)]
pub enum NativeControl {
    /// ecr-lifecycle puts the policy `decide` chooses.
    #[default]
    Managed,
    /// Another tool does (Terraform, `--native-policies ignore`); this is what it applied.
    LeftToAnotherTool { applied: Option<String> },
    /// The registry has no lifecycle policies (ECR Public): the runner does everything.
    NoLifecyclePolicies,
}

/// Choices that change a repository's decision.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Delete archived images before their 90 days are up (and pay for the rest).
    pub allow_early_archive_delete: bool,
    pub native: NativeControl,
}

/// What a reviewer should know about one repository, as data; the presentation words it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Note {
    /// The repository holds referrers, and a native untagged rule could reach one of a kept
    /// image once it ages.
    ReferrersPresent,
    /// The native policy is withheld: ECR would expire or archive these images (of `images`)
    /// that the policy keeps, so every rule runs at runtime here.
    Withheld {
        images: usize,
        examples: Vec<String>,
    },
    /// A rule runs at runtime here: its native rule would act on an image in use.
    HeldBack {
        /// The rule's name, and whether it is an archive rule (or the archive section).
        rule: String,
        archive: bool,
        priority: i64,
        would: Fate,
        image: String,
        tags: Vec<String>,
        /// How many images in use it would act on.
        images: usize,
        kept: Reason,
    },
    /// A rule archives an image index while images it lists stay active.
    IndexArchivedChildrenActive {
        rule: String,
        index: String,
        active: usize,
        example: String,
    },
    /// The native policy is left to another tool, and the applied one is not the compiled one.
    AppliedPolicyDiffers {
        expires: usize,
        kept_by_files: usize,
        waiting: usize,
    },
    /// The native policy is left to another tool, and none is applied yet.
    NoPolicyApplied { waiting: usize },
    /// Image indexes whose lists the registry does not give (ECR Public has no BatchGetImage),
    /// while untagged images expire: some may be listed by a kept index, and the registry
    /// refuses to delete those while it exists.
    IndexChildrenUnknown { indexes: usize },
}

/// The answer for one repository.
#[derive(Debug, Clone)]
pub struct RepositoryDecision {
    /// The native policy the repository should carry (`None`: none). With the native policy
    /// left to another tool, the one it should put.
    pub native: Option<ValidPolicy>,
    /// Each image's fate, rule and reason (images in use kept), in the order given.
    pub evaluation: Evaluation,
    /// Who acts on each image, in the same order.
    pub actors: Vec<Actor>,
    /// Images kept for being in use (with all their tags) that the rules alone would expire,
    /// archive or remove tags from: their index, and the decision the rules alone make.
    pub kept_in_use: Vec<(usize, Decision)>,
    /// What the native policy in force does to the images.
    pub ecr: Outcome,
    pub notes: Vec<Note>,
}

/// Decides what happens to the repository `repository` holding `images`, under `policy`
/// (compiled as `compiled`), with `in_use` kept, at `now`.
pub fn decide(
    policy: &Policy,
    compiled: &Compiled,
    images: &[Image],
    repository: Option<&str>,
    in_use: &InUse,
    now: Timestamp,
    options: &Options,
) -> RepositoryDecision {
    let (evaluation, alone) = evaluations(policy, images, repository, in_use, now);
    let (native, mut notes) = match options.native {
        NativeControl::NoLifecyclePolicies => (None, Vec::new()),
        _ => native_policy(
            policy,
            compiled,
            images,
            repository,
            (&evaluation, alone.as_ref()),
            in_use,
            now,
        ),
    };
    let planned = native
        .as_ref()
        .map(|n| native::simulate(n, images, now))
        .unwrap_or_default();
    // With the native policy left to another tool, ECR runs what is applied.
    let in_force = match &options.native {
        NativeControl::Managed | NativeControl::NoLifecyclePolicies => InForce::Planned,
        NativeControl::LeftToAnotherTool { applied } => in_force(applied.as_deref(), &native),
    };
    let ecr = match &in_force {
        InForce::Planned => planned.clone(),
        InForce::Other(p) => native::simulate(p, images, now),
        InForce::Nothing => Outcome::default(),
    };
    let mut actors = Vec::with_capacity(images.len());
    for (image, d) in images.iter().zip(&evaluation.decisions) {
        let by_ecr = |o: &Outcome| match d.fate {
            Fate::Expire => o.expired.contains(&image.digest),
            Fate::Archive => o.transitioned.contains(&image.digest),
            Fate::Keep => false,
        };
        let actor = match d.fate {
            Fate::Keep if ecr.expired.contains(&image.digest) => Actor::ForeignPolicy,
            Fate::Keep => Actor::Nobody,
            _ if by_ecr(&planned) && by_ecr(&ecr) => Actor::Ecr,
            _ if by_ecr(&planned) => Actor::Waiting,
            Fate::Expire if early_delete(image, now) && !options.allow_early_archive_delete => {
                Actor::Held
            }
            _ => Actor::Runner,
        };
        // An image the policy only archives and a foreign policy expires goes all the same.
        let actor = if d.fate == Fate::Archive && ecr.expired.contains(&image.digest) {
            Actor::ForeignPolicy
        } else {
            actor
        };
        actors.push(actor);
    }
    let waiting = actors.iter().filter(|a| **a == Actor::Waiting).count();
    match in_force {
        InForce::Planned => {}
        InForce::Nothing
            if matches!(
                &options.native,
                NativeControl::LeftToAnotherTool { applied: None }
            ) =>
        {
            notes.push(Note::NoPolicyApplied { waiting })
        }
        _ => notes.push(Note::AppliedPolicyDiffers {
            expires: ecr.expired.len(),
            kept_by_files: actors
                .iter()
                .filter(|a| **a == Actor::ForeignPolicy)
                .count(),
            waiting,
        }),
    }
    notes.extend(index_notes(policy, images, &evaluation));
    let unknown = images
        .iter()
        .filter(|i| i.is_index() && i.children.is_empty())
        .count();
    let untagged_expire = images
        .iter()
        .zip(&evaluation.decisions)
        .any(|(i, d)| !i.is_tagged() && d.fate == Fate::Expire);
    if unknown > 0 && untagged_expire {
        notes.push(Note::IndexChildrenUnknown { indexes: unknown });
    }
    let kept_in_use = match &alone {
        None => Vec::new(),
        Some(alone) => evaluation
            .decisions
            .iter()
            .zip(&alone.decisions)
            .enumerate()
            .filter(|(_, (with, without))| {
                with.fate > without.fate
                    || (with.tags_removed().is_empty() && !without.tags_removed().is_empty())
            })
            .map(|(i, (_, without))| (i, without.clone()))
            .collect(),
    };
    RepositoryDecision {
        native,
        evaluation,
        actors,
        kept_in_use,
        ecr,
        notes,
    }
}

/// Whether deleting this archived image now bills part of ECR's 90-day minimum.
fn early_delete(image: &Image, now: Timestamp) -> bool {
    image.status == ImageStatus::Archived
        && image
            .archived_at
            .is_none_or(|t| now.duration_since(t).as_secs().div_euclid(86_400) < MIN_ARCHIVE_DAYS)
}

/// The native policy ECR runs, with the native policy left to another tool.
enum InForce {
    /// The one `decide` chooses: it is applied, or it will be.
    Planned,
    /// Another one.
    Other(ValidPolicy),
    /// None (or one ECR would not run).
    Nothing,
}

fn in_force(applied: Option<&str>, planned: &Option<ValidPolicy>) -> InForce {
    match (applied.map(native::parse_and_validate), planned) {
        (None, None) => InForce::Planned,
        (None, Some(_)) | (Some(Err(_)), _) => InForce::Nothing,
        (Some(Ok(a)), Some(p)) if a.to_json_pretty() == p.to_json_pretty() => InForce::Planned,
        (Some(Ok(a)), Some(p)) if same_rules(&a, p) => InForce::Planned,
        (Some(Ok(a)), _) => InForce::Other(a),
    }
}

/// Two policies with the same rules, whatever their order in the JSON.
fn same_rules(a: &ValidPolicy, b: &ValidPolicy) -> bool {
    let rules = |p: &ValidPolicy| {
        let mut r = p.rules.clone();
        r.sort_by_key(|r| r.rule_priority);
        r
    };
    rules(a) == rules(b)
}

/// A repository's evaluations: with its images in use kept, and by the rules alone when any
/// image is in use.
pub fn evaluations(
    policy: &Policy,
    images: &[Image],
    repository: Option<&str>,
    in_use: &InUse,
    now: Timestamp,
) -> (Evaluation, Option<Evaluation>) {
    let with = reference::evaluate_with(policy, images, repository, now, in_use);
    let alone = (!in_use.is_empty()).then(|| reference::evaluate(policy, images, repository, now));
    (with, alone)
}

/// Decides the native policy for one repository: the compiled one, except that
/// - a rule whose native form would expire or archive an image in use is left to the runner
///   in this repository (its filter stays as a claim, so the other rules are unchanged), with
///   a note that names the image, the rule and the consumer;
/// - if ECR would still expire an image the policy keeps (a referrer of a kept image, say),
///   the repository runs entirely at runtime and a note says which image and why.
fn native_policy(
    policy: &Policy,
    compiled: &Compiled,
    images: &[Image],
    repository: Option<&str>,
    (evaluation, alone): (&Evaluation, Option<&Evaluation>),
    in_use: &InUse,
    now: Timestamp,
) -> (Option<ValidPolicy>, Vec<Note>) {
    let mut notes = Vec::new();
    // ECR ranks a restored image by its restore time: restoring an old archived image could
    // make a native count expire a newer image the policy keeps. So the policy must also be
    // safe in the world where every archived image is restored now.
    let restored: Option<Vec<Image>> = images.iter().any(|i| !i.is_active()).then(|| {
        images
            .iter()
            .map(|i| {
                let mut i = i.clone();
                if !i.is_active() {
                    i.status = ImageStatus::Active;
                    i.activated_at = Some(now);
                }
                i
            })
            .collect()
    });
    let restored_evaluations = restored
        .as_ref()
        .map(|world| evaluations(policy, world, repository, in_use, now));
    let mut worlds: Vec<(&[Image], &Evaluation, Option<&Evaluation>)> =
        vec![(images, evaluation, alone)];
    if let (Some(world), Some((with, alone))) = (&restored, &restored_evaluations) {
        worlds.push((world, with, alone.as_ref()));
    }

    let mut compiled = Cow::Borrowed(compiled);
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
            let mut conflicts: BTreeMap<RuleId, (i64, Vec<Digest>)> = BTreeMap::new();
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
                if policy.evaluation == Reading::Ecr || held.contains(&spec.rule) {
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
                    policy, images, with, &outcome, rule, priority, &digests,
                ));
            }
        }
        if !more {
            break;
        }
        compiled = Cow::Owned(split::compile_holding(policy, &held));
    }
    let Some(native) = compiled.native.clone() else {
        return (None, notes);
    };
    let harmed: Vec<Digest> = worlds
        .iter()
        .map(|&(images, with, _)| harm(with, images, &native::simulate(&native, images, now)))
        .find(|h| !h.is_empty())
        .unwrap_or_default();
    if harmed.is_empty() {
        let untagged_native = native
            .filtered_rules()
            .any(|(_, f)| matches!(f, TagFilter::Untagged | TagFilter::Any));
        if untagged_native && images.iter().any(|i| i.subject.is_some()) {
            notes.push(Note::ReferrersPresent);
        }
        return (Some(native), notes);
    }
    notes.push(Note::Withheld {
        images: harmed.len(),
        examples: harmed.iter().take(3).map(|d| d.to_string()).collect(),
    });
    (None, notes)
}

/// Why a rule runs at runtime in one repository: the image in use its native rule would act on.
fn held_back_note(
    policy: &Policy,
    images: &[Image],
    evaluation: &Evaluation,
    outcome: &Outcome,
    rule: RuleId,
    priority: i64,
    digests: &[Digest],
) -> Note {
    let digest = digests[0];
    let name = policy
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
        .unwrap_or((Vec::new(), Reason::Ungoverned));
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
fn acting_rule(outcome: &Outcome, digest: Digest) -> Option<i64> {
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
fn harm(evaluation: &Evaluation, images: &[Image], outcome: &Outcome) -> Vec<Digest> {
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

/// An image index the policy archives while an image it lists stays active: the index cannot
/// be pulled until it is restored, though the child can.
fn index_notes(policy: &Policy, images: &[Image], evaluation: &Evaluation) -> Vec<Note> {
    let fate: std::collections::HashMap<Digest, &Decision> = images
        .iter()
        .zip(&evaluation.decisions)
        .map(|(i, d)| (i.digest, d))
        .collect();
    let mut out = Vec::new();
    for (image, decision) in images.iter().zip(&evaluation.decisions) {
        if !decision.archives() {
            continue;
        }
        let kept: Vec<String> = image
            .children
            .iter()
            .filter(|c| fate.get(c).is_some_and(|d| d.keeps()))
            .map(|c| c.to_string())
            .collect();
        let Some(example) = kept.first() else {
            continue;
        };
        let rule = decision
            .rule
            .and_then(|r| policy.rule_name(r))
            .map_or("?", |(n, _)| n);
        out.push(Note::IndexArchivedChildrenActive {
            rule: rule.to_string(),
            index: image.digest.to_string(),
            active: kept.len(),
            example: example.clone(),
        });
    }
    out
}
