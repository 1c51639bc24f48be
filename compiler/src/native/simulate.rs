//! What ECR does with a native lifecycle policy, following its documented evaluation
//! (DESIGN.md 3.2 and the user guide's "Lifecycle policy evaluation rules").
//!
//! The evaluation is not first-match:
//! - Rules of each storage class are taken by ascending `rulePriority`. A rule selects ACTIVE
//!   images, or ARCHIVED ones when it says `storageClass: archive`. Images being restored
//!   (ACTIVATING) are selected by no rule.
//! - Every rule marks images among *all* images its tag filter matches, so an
//!   `imageCountMoreThan` count includes images that higher-priority rules also match.
//! - Only the highest-priority rule of its storage class whose tag filter matches an image may
//!   act on it (the shield), whether or not that rule marks it.
//! - An image listed by a manifest list that stays active and untouched is neither expired nor
//!   archived; referrers follow their subject when it is expired or archived.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::{SignedDuration, Timestamp};

use super::filter::TagFilter;
use super::model::{ActionType, CountType, NativeRule, StorageClass};
use super::validate::ValidPolicy;
use crate::image::{Digest, Image, ImageStatus};

/// What one evaluation of a policy does to a repository.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Images deleted.
    pub expired: BTreeSet<Digest>,
    /// Images moved to the archive storage class.
    pub transitioned: BTreeSet<Digest>,
    /// Why each image in `expired` or `transitioned` is there.
    pub causes: BTreeMap<Digest, Cause>,
}

/// The reason an image is acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The rule with this `rulePriority` governs the image and marked it.
    Rule { priority: i64 },
    /// The image is a referrer (signature, SBOM, attestation) of this image, which is expired
    /// or archived; ECR cleans referrers up with their subject.
    Subject(Digest),
}

/// Evaluates `policy` on the images of one repository at time `now`.
///
/// `imageCountMoreThan` ranks newest first by `Image::count_time()` (the restore time for a
/// restored image) and breaks ties by digest, ascending: ECR documents no order for equal times.
pub fn simulate(policy: &ValidPolicy, images: &[Image], now: Timestamp) -> Outcome {
    let own = rule_actions(policy, images, now);
    settle(images, &own)
}

/// What the rules alone do to each image: the action and priority of the governing rule,
/// when that rule marks the image.
fn rule_actions(
    policy: &ValidPolicy,
    images: &[Image],
    now: Timestamp,
) -> Vec<Option<(ActionType, i64)>> {
    let mut rules: Vec<(&NativeRule, &TagFilter)> = policy.filtered_rules().collect();
    rules.sort_by_key(|(r, _)| r.rule_priority);

    let mut governed = vec![false; images.len()];
    let mut own = vec![None; images.len()];
    for (rule, filter) in rules {
        let matched: Vec<usize> = images
            .iter()
            .enumerate()
            .filter(|(_, img)| selects(rule, filter, img))
            .map(|(i, _)| i)
            .collect();
        // This rule governs what no higher-priority rule of its class matched.
        let mine: Vec<usize> = matched.iter().copied().filter(|&i| !governed[i]).collect();
        for &i in &mine {
            governed[i] = true;
        }
        let marked = marks(rule, &matched, images, now);
        for i in mine {
            if marked.contains(&i) {
                own[i] = Some((rule.action.action_type, rule.rule_priority));
            }
        }
    }
    own
}

/// The `rulePriority` of the rule that marks each image, before ECR spares the images that a
/// live image index lists (so an explanation can say which index keeps an image).
pub fn marked_by_rules(
    policy: &ValidPolicy,
    images: &[Image],
    now: Timestamp,
) -> BTreeMap<Digest, i64> {
    images
        .iter()
        .zip(rule_actions(policy, images, now))
        .filter_map(|(img, own)| own.map(|(_, priority)| (img.digest, priority)))
        .collect()
}

/// The priority of the one native rule allowed to act on the image (the first, by priority,
/// whose storage class and tag filter select it), if any.
pub fn governing_rule(policy: &ValidPolicy, image: &Image) -> Option<i64> {
    policy
        .filtered_rules()
        .filter(|(r, f)| selects(r, f, image))
        .map(|(r, _)| r.rule_priority)
        .min()
}

/// Whether the rule's storage class and tag filter select the image.
fn selects(rule: &NativeRule, filter: &TagFilter, image: &Image) -> bool {
    let class_ok = match rule.storage_class() {
        StorageClass::Standard => image.status == ImageStatus::Active,
        StorageClass::Archive => image.status == ImageStatus::Archived,
    };
    class_ok && filter.matches(&image.tags)
}

/// The images (indexes into `images`) the rule marks among those it matched.
fn marks(
    rule: &NativeRule,
    matched: &[usize],
    images: &[Image],
    now: Timestamp,
) -> BTreeSet<usize> {
    let n = rule.selection.count_number;
    let older = |i: &usize, time: fn(&Image) -> Option<Timestamp>| {
        time(&images[*i]).is_some_and(|t| older_than_days(now, t, n))
    };
    match rule.selection.count_type {
        CountType::ImageCountMoreThan => {
            let mut ranked = matched.to_vec();
            ranked.sort_by(|&a, &b| {
                let (a, b) = (&images[a], &images[b]);
                b.count_time()
                    .cmp(&a.count_time())
                    .then_with(|| a.digest.cmp(&b.digest))
            });
            let keep = usize::try_from(n).unwrap_or(0);
            ranked.into_iter().skip(keep).collect()
        }
        CountType::SinceImagePushed => matched
            .iter()
            .copied()
            .filter(|i| older(i, |img| Some(img.pushed_at)))
            .collect(),
        CountType::SinceImagePulled => matched
            .iter()
            .copied()
            .filter(|i| older(i, |img| Some(pull_clock(img))))
            .collect(),
        CountType::SinceImageTransitioned => matched
            .iter()
            .copied()
            .filter(|i| older(i, |img| img.archived_at))
            .collect(),
    }
}

/// The time `sinceImagePulled` measures from: the last pull, the push when never pulled, and
/// the restore when the image was restored from the archive and not pulled since.
fn pull_clock(image: &Image) -> Timestamp {
    let pulled = image.pulled_or_pushed_at();
    match image.activated_at {
        Some(restored) if restored > pulled => restored,
        _ => pulled,
    }
}

/// Strictly more than `days` × 24 hours passed between `then` and `now`.
fn older_than_days(now: Timestamp, then: Timestamp, days: i64) -> bool {
    match days.checked_mul(86_400) {
        Some(secs) => now.duration_since(then) > SignedDuration::from_secs(secs),
        // No timestamp is that far in the past.
        None => false,
    }
}

/// Applies what happens after the rules: index children and referrers.
///
/// An image listed by a live index (one not expired here) is blocked: nothing is done to
/// it. Blocking an image can make it live in turn, so this repeats until no new image is
/// blocked. The blocked set only grows, which ends the loop on any input, cycles included.
fn settle(images: &[Image], own: &[Option<(ActionType, i64)>]) -> Outcome {
    let mut index_of: HashMap<Digest, usize> = HashMap::with_capacity(images.len());
    for (i, img) in images.iter().enumerate() {
        index_of.entry(img.digest).or_insert(i);
    }
    let subject_of: Vec<Option<usize>> = images
        .iter()
        .map(|img| img.subject.and_then(|s| index_of.get(&s).copied()))
        .collect();
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); images.len()];
    for (p, img) in images.iter().enumerate() {
        for child in img.children.iter() {
            if let Some(&c) = index_of.get(child) {
                parents[c].push(p);
            }
        }
    }

    let mut blocked = vec![false; images.len()];
    loop {
        let actions = effective_actions(images, own, &subject_of, &blocked);
        // DESIGN.md §3.2: an image a live manifest list references is never expired, and an
        // index is live unless this evaluation expires it (an archived index still exists).
        // Archiving follows the docs: a child may be archived once its index is archived.
        let holds_expiry: Vec<bool> = actions
            .iter()
            .map(|action| !matches!(action, Some((ActionType::Expire, _))))
            .collect();
        let holds_transition: Vec<bool> = images
            .iter()
            .zip(&actions)
            .map(|(img, action)| img.status == ImageStatus::Active && action.is_none())
            .collect();
        let mut grew = false;
        for (i, ps) in parents.iter().enumerate() {
            let held = match actions[i] {
                None => false,
                Some((ActionType::Expire, _)) => ps.iter().any(|&p| holds_expiry[p]),
                Some((ActionType::Transition, _)) => ps.iter().any(|&p| holds_transition[p]),
            };
            if !blocked[i] && held {
                blocked[i] = true;
                grew = true;
            }
        }
        if !grew {
            return outcome(images, &actions);
        }
    }
}

/// The action on each image that is not blocked: its governing rule's, or its subject's when
/// that is stronger (expiring beats archiving). A referrer follows an archived subject only
/// while it is active itself.
fn effective_actions(
    images: &[Image],
    own: &[Option<(ActionType, i64)>],
    subject_of: &[Option<usize>],
    blocked: &[bool],
) -> Vec<Option<(ActionType, Cause)>> {
    let mut actions: Vec<Option<(ActionType, Cause)>> = own
        .iter()
        .zip(blocked)
        .map(|(own, &blocked)| {
            own.filter(|_| !blocked)
                .map(|(a, priority)| (a, Cause::Rule { priority }))
        })
        .collect();
    // Repeat so chains of referrers settle. An action only ever grows stronger, so this ends.
    let mut changed = true;
    while changed {
        changed = false;
        for (i, img) in images.iter().enumerate() {
            let Some(s) = subject_of[i] else { continue };
            let Some((subject_action, _)) = actions[s] else {
                continue;
            };
            let follows = match subject_action {
                ActionType::Expire => ActionType::Expire,
                ActionType::Transition if img.status == ImageStatus::Active => {
                    ActionType::Transition
                }
                ActionType::Transition => continue,
            };
            if !blocked[i] && strength(Some(follows)) > strength(actions[i].map(|a| a.0)) {
                actions[i] = Some((follows, Cause::Subject(images[s].digest)));
                changed = true;
            }
        }
    }
    actions
}

fn strength(action: Option<ActionType>) -> u8 {
    match action {
        None => 0,
        Some(ActionType::Transition) => 1,
        Some(ActionType::Expire) => 2,
    }
}

fn outcome(images: &[Image], actions: &[Option<(ActionType, Cause)>]) -> Outcome {
    let mut out = Outcome::default();
    for (img, action) in images.iter().zip(actions) {
        if let Some((a, cause)) = *action {
            match a {
                ActionType::Expire => out.expired.insert(img.digest),
                ActionType::Transition => out.transitioned.insert(img.digest),
            };
            out.causes.insert(img.digest, cause);
        }
    }
    out
}
