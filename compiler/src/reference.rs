//! The reference semantics of a policy over one repository's images (DESIGN.md §2.1, §3.1,
//! §3.4): first-match governance of active images, per-rule keep decisions, the `archive`
//! section for archived images, then the safety closure. Each image gets one fate: keep,
//! expire or archive. Everything else (the simulator's soundness, the runner's work) is checked
//! against this.

use std::collections::{BTreeSet, HashMap};

use jiff::Timestamp;

use crate::dsl::Policy;
use crate::dsl::policy::{
    Anchored, ArchiveKeep, ArchiveSettings, Keep, Matcher, Order, Otherwise, Retain, RuleId,
};
use crate::image::{Digest, Image, ImageStatus};
use crate::in_use::InUse;

/// What becomes of an image. The order is protection: `Keep` protects most.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Fate {
    Expire,
    /// Moved to the archive storage class (only ever for an active image).
    Archive,
    Keep,
}

impl Fate {
    pub fn as_str(self) -> &'static str {
        match self {
            Fate::Expire => "expire",
            Fate::Archive => "archive",
            Fate::Keep => "keep",
        }
    }
}

/// The fate of one image and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The rule that governs the image (a rule for an active image; an archive rule or
    /// `archive.expire_after` for an archived one), if any.
    pub rule: Option<RuleId>,
    pub fate: Fate,
    pub reason: Reason,
    /// The tags its rule's `otherwise: untag` removes (DESIGN.md §3.6), in the image's order:
    /// from a kept image, which keeps its other tags; or every tag of an expiring image, which
    /// goes with its last tag. Empty otherwise, and for whatever the closure or an image in use
    /// decides (an image the closure keeps keeps all its tags).
    pub untag: Vec<String>,
}

impl Decision {
    pub fn expires(&self) -> bool {
        self.fate == Fate::Expire
    }

    pub fn archives(&self) -> bool {
        self.fate == Fate::Archive
    }

    pub fn keeps(&self) -> bool {
        self.fate == Fate::Keep
    }

    /// The tags removed from an image that is kept (none when it expires: deleting it removes
    /// them all).
    pub fn tags_removed(&self) -> &[String] {
        if self.keeps() { &self.untag } else { &[] }
    }

    /// Whether the image expires because every tag it has is one its rule removes.
    pub fn expires_untagged(&self) -> bool {
        self.expires() && !self.untag.is_empty()
    }
}

/// Why an image is kept or expires.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Reason {
    /// Archived or being restored: rules govern active images only (and no archive rule
    /// governs it).
    NotActive,
    /// Archived this many seconds ago; its archive rule (or `archive.expire_after`) deletes it
    /// at `window`.
    InArchive {
        seconds: i64,
        window: i64,
    },
    /// Archived, at a time the registry does not say: kept until it does.
    ArchiveTimeUnknown,
    /// No rule matches the image.
    Ungoverned,
    KeepAll,
    KeepNone,
    /// Ranked `rank` (1-based) among the rule's images by push time.
    Newest {
        rank: usize,
        limit: u32,
    },
    /// `newest` with `by: version` or `per` (DESIGN.md §3.5): ranked `rank` (1-based) `by`
    /// version or push time, in `group` (`None` without `per`; with several groups, the one
    /// where it ranks best).
    Ranked {
        rank: usize,
        limit: u32,
        by: Order,
        /// The tag that gives the image its version, with `by: version`; `None`: it has none,
        /// so it ranks after every image with one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<Group>,
    },
    /// Pushed this many seconds ago (kept when under the window).
    Age {
        seconds: i64,
        window: i64,
    },
    /// Pulled (or, never pulled, pushed) this many seconds ago.
    PullAge {
        seconds: i64,
        window: i64,
    },
    /// Relative to the anchor: inside the window, or among the `at_least` before it.
    Anchor(AnchorReason),
    /// None of the rule's alternatives keeps it.
    NoAlternativeKeeps,
    /// Kept because a kept image index lists it.
    ChildOfKeptIndex {
        index: Digest,
    },
    /// Archived, not expired, because an image index that is archived lists it.
    ChildOfArchivedIndex {
        index: Digest,
    },
    /// Follows its subject: kept with it, or expired with it.
    FollowsSubject {
        subject: Digest,
    },
    /// A `where` expression failed on this image; the image is kept.
    WhereFailed {
        error: String,
    },
    /// `evaluation: ecr`: the native rule of this priority acts on the image (or no rule does).
    Ecr {
        priority: Option<i64>,
    },
    /// Something runs it (the first consumer by name, and how many more there are).
    InUse {
        consumer: String,
        more: usize,
    },
    /// The subject of a referrer that is in use: deleting it would take the referrer along.
    SubjectOfInUse {
        referrer: Digest,
    },
}

impl Reason {
    /// Whether the image is kept because it is in use (itself, or a referrer hanging on it).
    pub fn is_in_use(&self) -> bool {
        matches!(self, Reason::InUse { .. } | Reason::SubjectOfInUse { .. })
    }
}

/// A group of `per` (DESIGN.md §3.5).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Group {
    /// The images one of whose tags gives these captures (`None`: a capture group that took
    /// no part in the match).
    Captures(Vec<Option<String>>),
    /// The images none of whose tags match `per`.
    Unmatched,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(
    tag = "position",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum AnchorReason {
    /// No governed image carries an anchor tag: nothing expires.
    NoAnchor,
    InWindow {
        anchor: Timestamp,
    },
    AmongAtLeast {
        anchor: Timestamp,
        rank: usize,
    },
    BeforeWindow {
        anchor: Timestamp,
        /// Seconds before the anchor the window reaches back.
        window: i64,
        at_least: u32,
    },
}

/// Decisions for every image of the repository, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub decisions: Vec<Decision>,
}

impl Evaluation {
    /// The digests that expire, sorted.
    pub fn expired(&self, images: &[Image]) -> BTreeSet<Digest> {
        self.with_fate(images, Fate::Expire)
    }

    /// The digests that are archived, sorted.
    pub fn archived(&self, images: &[Image]) -> BTreeSet<Digest> {
        self.with_fate(images, Fate::Archive)
    }

    pub fn with_fate(&self, images: &[Image], fate: Fate) -> BTreeSet<Digest> {
        images
            .iter()
            .zip(&self.decisions)
            .filter(|(_, d)| d.fate == fate)
            .map(|(i, _)| i.digest)
            .collect()
    }
}

/// Evaluates a policy over one repository's images at `now`.
pub fn evaluate(
    policy: &Policy,
    images: &[Image],
    repository: Option<&str>,
    now: Timestamp,
) -> Evaluation {
    evaluate_with(policy, images, repository, now, &InUse::default())
}

/// Like [`evaluate`], with the repository's images in use: each is kept whatever the rules
/// say, and the safety closure keeps what hangs on it (index children, referrers) and the
/// subject it hangs on.
pub fn evaluate_with(
    policy: &Policy,
    images: &[Image],
    repository: Option<&str>,
    now: Timestamp,
    in_use: &InUse,
) -> Evaluation {
    if policy.evaluation == crate::dsl::policy::Evaluation::Ecr {
        let mut evaluation = evaluate_as_ecr(policy, images, now);
        if pin_in_use(images, in_use, &mut evaluation.decisions) {
            // ECR's own outcome already settled referrers and children: spread the new
            // protection only, from the pinned images down.
            spread_keep(images, &mut evaluation.decisions);
        }
        return evaluation;
    }
    let mut decisions: Vec<Decision> = images
        .iter()
        .map(|i| match i.status {
            ImageStatus::Active => Decision {
                rule: None,
                fate: Fate::Keep,
                reason: Reason::Ungoverned,
                untag: Vec::new(),
            },
            _ => in_archive(i, policy.archive.as_ref(), repository, now),
        })
        .collect();

    // Governance: the first rule that matches. `where` is costly, so it is checked last
    // and only for images still unclaimed when their turn comes.
    let mut governed: Vec<Vec<usize>> = vec![Vec::new(); policy.rules.len()];
    for (idx, image) in images.iter().enumerate() {
        if !image.is_active() {
            continue;
        }
        for (r, rule) in policy.rules.iter().enumerate() {
            match matches(&rule.matcher, image, repository) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    // An expression that cannot be evaluated never deletes anything.
                    decisions[idx] = Decision {
                        rule: Some(RuleId::Rule(r)),
                        fate: Fate::Keep,
                        reason: Reason::WhereFailed { error: e },
                        untag: Vec::new(),
                    };
                    break;
                }
            }
            governed[r].push(idx);
            decisions[idx].rule = Some(RuleId::Rule(r));
            break;
        }
    }

    for (r, rule) in policy.rules.iter().enumerate() {
        let otherwise = match rule.otherwise {
            Otherwise::Expire | Otherwise::Untag => Fate::Expire,
            Otherwise::Archive => Fate::Archive,
        };
        decide(
            &rule.keep,
            otherwise,
            &governed[r],
            images,
            now,
            &mut decisions,
        );
        if rule.otherwise == Otherwise::Untag {
            untag(&rule.matcher, &governed[r], images, &mut decisions);
        }
    }
    pin_in_use(images, in_use, &mut decisions);
    close(images, &mut decisions);
    Evaluation { decisions }
}

/// `otherwise: untag` (DESIGN.md §3.6): each governed image the rule does not keep loses the
/// tags the match names; one left with a tag is kept, one left with none expires.
fn untag(matcher: &Matcher, members: &[usize], images: &[Image], out: &mut [Decision]) {
    for &i in members {
        if out[i].fate != Fate::Expire {
            continue;
        }
        let (named, left): (Vec<&str>, Vec<&str>) = images[i]
            .tags
            .iter()
            .map(|t| &**t)
            .partition(|t| matcher.names_tag(t));
        if !left.is_empty() {
            out[i].fate = Fate::Keep;
        }
        out[i].untag = named.into_iter().map(str::to_string).collect();
    }
}

/// Keeps the images in use, and the subjects they hang on (transitively); true if any.
fn pin_in_use(images: &[Image], in_use: &InUse, out: &mut [Decision]) -> bool {
    if in_use.is_empty() {
        return false;
    }
    let position = positions(images);
    let mut any = false;
    for (i, image) in images.iter().enumerate() {
        let Some((consumer, more)) = in_use.first(&image.digest) else {
            continue;
        };
        any = true;
        out[i].fate = Fate::Keep;
        out[i].untag.clear();
        out[i].reason = Reason::InUse {
            consumer: consumer.clone(),
            more,
        };
        // Up the subject chain: ECR deletes a referrer with its subject.
        let mut seen = vec![i];
        let mut at = i;
        while let Some(&s) = images[at].subject.as_ref().and_then(|s| position.get(s)) {
            if seen.contains(&s) {
                break;
            }
            seen.push(s);
            if !out[s].reason.is_in_use() {
                out[s].fate = Fate::Keep;
                out[s].untag.clear();
                out[s].reason = Reason::SubjectOfInUse {
                    referrer: images[at].digest,
                };
            }
            at = s;
        }
    }
    any
}

/// Keeps, transitively, the children and referrers of images kept for being in use (for
/// `evaluation: ecr`, whose other decisions ECR's own evaluation has settled).
fn spread_keep(images: &[Image], out: &mut [Decision]) {
    let position = positions(images);
    let referrers = referrers(images, &position);
    let mut stack: Vec<usize> = (0..images.len())
        .filter(|&i| out[i].reason.is_in_use())
        .collect();
    while let Some(i) = stack.pop() {
        let d = images[i].digest;
        let children = images[i].children.iter().filter_map(|c| position.get(c));
        let next: Vec<(usize, Reason)> = children
            .map(|&c| (c, Reason::ChildOfKeptIndex { index: d }))
            .chain(
                referrers
                    .get(&i)
                    .into_iter()
                    .flatten()
                    .map(|&r| (r, Reason::FollowsSubject { subject: d })),
            )
            .collect();
        for (j, reason) in next {
            if out[j].fate != Fate::Keep {
                out[j].fate = Fate::Keep;
                out[j].untag.clear();
                out[j].reason = reason;
                stack.push(j);
            }
        }
    }
}

/// Whether the matcher selects the image: its tag conditions first, `where` (costly) last; an
/// `Err` when the expression cannot be evaluated on it.
fn matches(matcher: &Matcher, image: &Image, repository: Option<&str>) -> Result<bool, String> {
    if !matcher.matches_tags(image) {
        return Ok(false);
    }
    match matcher.where_filter() {
        None => Ok(true),
        Some(w) => w.holds(image, repository),
    }
}

/// An image that is not active: for an archived image, the first archive rule that matches it
/// decides, else `archive.expire_after`, else it is kept; images being restored are left alone.
fn in_archive(
    image: &Image,
    archive: Option<&ArchiveSettings>,
    repository: Option<&str>,
    now: Timestamp,
) -> Decision {
    let keep = |rule, reason| Decision {
        rule,
        fate: Fate::Keep,
        reason,
        untag: Vec::new(),
    };
    let (Some(settings), ImageStatus::Archived) = (archive, image.status) else {
        return keep(None, Reason::NotActive);
    };
    let mut governing = None;
    for (i, rule) in settings.rules.iter().enumerate() {
        match matches(&rule.matcher, image, repository) {
            Ok(true) => {
                governing = Some((RuleId::Archive(i), rule.keep.value));
                break;
            }
            Ok(false) => {}
            // As for rules: an expression that cannot be evaluated never deletes anything.
            Err(e) => return keep(Some(RuleId::Archive(i)), Reason::WhereFailed { error: e }),
        }
    }
    let (rule, window) = match (governing, &settings.expire_after) {
        (Some((id, ArchiveKeep::All)), _) => return keep(Some(id), Reason::KeepAll),
        (Some((id, ArchiveKeep::ExpireAfter(d))), _) => (id, d),
        (None, Some(d)) => (RuleId::ArchiveDefault, d.value),
        (None, None) => return keep(None, Reason::NotActive),
    };
    let Some(archived_at) = image.archived_at else {
        return keep(Some(rule), Reason::ArchiveTimeUnknown);
    };
    let seconds = age_seconds(now, archived_at);
    let window = window.seconds();
    Decision {
        rule: Some(rule),
        fate: if seconds >= window {
            Fate::Expire
        } else {
            Fate::Keep
        },
        reason: Reason::InArchive { seconds, window },
        untag: Vec::new(),
    }
}

/// `evaluation: ecr`: the policy means what ECR does with its native translation.
fn evaluate_as_ecr(policy: &Policy, images: &[Image], now: Timestamp) -> Evaluation {
    let Ok((specs, native)) = crate::translate::ecr_native(policy) else {
        // The checker refuses such policies; if one is built by hand, nothing expires.
        return Evaluation {
            decisions: images
                .iter()
                .map(|_| Decision {
                    rule: None,
                    fate: Fate::Keep,
                    reason: Reason::Ecr { priority: None },
                    untag: Vec::new(),
                })
                .collect(),
        };
    };
    let outcome = crate::native::simulate(&native, images, now);
    let decisions = images
        .iter()
        .map(|image| {
            let priority = crate::native::governing_rule(&native, image);
            Decision {
                rule: priority.and_then(|p| {
                    specs
                        .iter()
                        .find(|s| i64::from(s.priority) == p)
                        .map(|s| s.rule)
                }),
                fate: if outcome.expired.contains(&image.digest) {
                    Fate::Expire
                } else if outcome.transitioned.contains(&image.digest) {
                    Fate::Archive
                } else {
                    Fate::Keep
                },
                reason: Reason::Ecr { priority },
                untag: Vec::new(),
            }
        })
        .collect();
    Evaluation { decisions }
}

/// `otherwise` is the fate of the governed images the rule does not keep.
fn decide(
    keep: &Keep,
    otherwise: Fate,
    members: &[usize],
    images: &[Image],
    now: Timestamp,
    out: &mut [Decision],
) {
    match keep {
        Keep::All => set_all(members, out, Fate::Keep, Reason::KeepAll),
        Keep::None => set_all(members, out, otherwise, Reason::KeepNone),
        Keep::Retain(retain) => retain_decide(retain, otherwise, members, images, now, out),
    }
}

fn set_all(members: &[usize], out: &mut [Decision], fate: Fate, reason: Reason) {
    for &i in members {
        out[i].fate = fate;
        out[i].reason = reason.clone();
    }
}

/// Newest first by push time, ties by digest ascending (the order every count uses).
fn by_recency(members: &[usize], images: &[Image]) -> Vec<usize> {
    let mut sorted = members.to_vec();
    sorted.sort_by(|&a, &b| {
        images[b]
            .pushed_at
            .cmp(&images[a].pushed_at)
            .then(images[a].digest.cmp(&images[b].digest))
    });
    sorted
}

fn retain_decide(
    retain: &Retain,
    otherwise: Fate,
    members: &[usize],
    images: &[Image],
    now: Timestamp,
    out: &mut [Decision],
) {
    // Start from "expires" and let each alternative keep what it keeps, first reason wins.
    let mut kept: HashMap<usize, Reason> = HashMap::new();
    let mut expiry_reason: HashMap<usize, Reason> = HashMap::new();

    if let Some(n) = &retain.newest {
        let ranked = if n.by_push_time_alone() {
            by_recency(members, images)
                .into_iter()
                .enumerate()
                .map(|(rank, i)| {
                    let reason = Reason::Newest {
                        rank: rank + 1,
                        limit: n.count.value,
                    };
                    (i, rank < n.count.value as usize, reason)
                })
                .collect()
        } else {
            ranking::ranked(n, members, images)
        };
        for (i, keep, reason) in ranked {
            if keep {
                kept.entry(i).or_insert(reason);
            } else {
                expiry_reason.entry(i).or_insert(reason);
            }
        }
    }
    if let Some(d) = &retain.within {
        let window = d.seconds();
        for &i in members {
            let seconds = age_seconds(now, images[i].pushed_at);
            let reason = Reason::Age { seconds, window };
            if seconds < window {
                kept.entry(i).or_insert(reason);
            } else {
                expiry_reason.entry(i).or_insert(reason);
            }
        }
    }
    if let Some(d) = &retain.pulled_within {
        let window = d.seconds();
        for &i in members {
            let seconds = age_seconds(now, images[i].pulled_or_pushed_at());
            let reason = Reason::PullAge { seconds, window };
            if seconds < window {
                kept.entry(i).or_insert(reason);
            } else {
                expiry_reason.entry(i).or_insert(reason);
            }
        }
    }
    if let Some(a) = &retain.anchored {
        for (i, keep, reason) in anchored(a, members, images) {
            if keep {
                kept.entry(i).or_insert(reason);
            } else {
                expiry_reason.entry(i).or_insert(reason);
            }
        }
    }
    let several = retain.alternatives() > 1;
    for &i in members {
        match kept.remove(&i) {
            Some(reason) => {
                out[i].fate = Fate::Keep;
                out[i].reason = reason;
            }
            None => {
                out[i].fate = otherwise;
                out[i].reason = if several {
                    Reason::NoAlternativeKeeps
                } else {
                    expiry_reason
                        .remove(&i)
                        .unwrap_or(Reason::NoAlternativeKeeps)
                };
            }
        }
    }
}

/// Seconds from `then` to `now` (negative for a push in the future, which is kept).
fn age_seconds(now: Timestamp, then: Timestamp) -> i64 {
    let d = now.duration_since(then);
    // Round toward the past so an image one nanosecond short of the window stays kept.
    if d.subsec_nanos() < 0 {
        d.as_secs() - 1
    } else {
        d.as_secs()
    }
}

/// DESIGN.md §3.4: keep everything pushed at or after `anchor − window`, plus the
/// `at_least` images pushed just before the anchor. No anchor image: keep everything.
fn anchored(a: &Anchored, members: &[usize], images: &[Image]) -> Vec<(usize, bool, Reason)> {
    let anchor = members
        .iter()
        .filter(|&&i| a.is_anchor(&images[i]))
        .map(|&i| images[i].pushed_at)
        .min();
    let Some(anchor) = anchor else {
        return members
            .iter()
            .map(|&i| (i, true, Reason::Anchor(AnchorReason::NoAnchor)))
            .collect();
    };
    let start = anchor
        .checked_sub(a.window.value.as_signed())
        .unwrap_or(Timestamp::MIN);
    let before: Vec<usize> = by_recency(members, images)
        .into_iter()
        .filter(|&i| images[i].pushed_at < anchor)
        .collect();
    let mut at_least_rank: HashMap<usize, usize> = HashMap::new();
    for (rank, &i) in before.iter().take(a.at_least as usize).enumerate() {
        at_least_rank.insert(i, rank + 1);
    }
    members
        .iter()
        .map(|&i| {
            if images[i].pushed_at >= start {
                (i, true, Reason::Anchor(AnchorReason::InWindow { anchor }))
            } else if let Some(&rank) = at_least_rank.get(&i) {
                (
                    i,
                    true,
                    Reason::Anchor(AnchorReason::AmongAtLeast { anchor, rank }),
                )
            } else {
                (
                    i,
                    false,
                    Reason::Anchor(AnchorReason::BeforeWindow {
                        anchor,
                        window: a.window.value.seconds(),
                        at_least: a.at_least,
                    }),
                )
            }
        })
        .collect()
}

/// Where each digest stands in `images`.
fn positions(images: &[Image]) -> HashMap<Digest, usize> {
    images
        .iter()
        .enumerate()
        .map(|(i, img)| (img.digest, i))
        .collect()
}

/// The referrers of each present subject, by position.
fn referrers(images: &[Image], position: &HashMap<Digest, usize>) -> HashMap<usize, Vec<usize>> {
    let mut out: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, img) in images.iter().enumerate() {
        if let Some(&s) = img.subject.as_ref().and_then(|s| position.get(s))
            && s != i
        {
            out.entry(s).or_default().push(i);
        }
    }
    out
}

/// The safety closure (§3.1 step 5), over fates ordered by protection (expire < archive <
/// keep), as a least fixpoint so that it terminates on any input:
/// - a referrer whose subject is present follows its subject (kept, archived or expired with
///   it), unless an index it belongs to protects it more;
/// - the children of an index get at least the index's protection: a kept index keeps its
///   children, and an archived index keeps its children from expiring (they are archived with
///   it, so that it can be restored whole).
///
/// An image already in the archive that the closure would archive simply stays there.
fn close(images: &[Image], out: &mut [Decision]) {
    let position = positions(images);
    let referrers = referrers(images, &position);
    if referrers.is_empty() && images.iter().all(|i| i.children.is_empty()) {
        return;
    }
    // Base: rule decisions, except that referrers of present subjects start as expiring and
    // are raised only through their subject (or an index) below.
    let follows: Vec<Option<usize>> = images
        .iter()
        .enumerate()
        .map(|(i, img)| {
            img.subject
                .as_ref()
                .and_then(|s| position.get(s).copied())
                .filter(|&s| s != i)
        })
        .collect();
    // An image kept for being in use (or for a referrer in use) stays kept.
    let mut fate: Vec<Fate> = out
        .iter()
        .zip(&follows)
        .map(|(d, f)| {
            if f.is_some() && !d.reason.is_in_use() {
                Fate::Expire
            } else {
                d.fate
            }
        })
        .collect();
    let mut stack: Vec<usize> = (0..images.len())
        .filter(|&i| fate[i] > Fate::Expire)
        .collect();
    let mut why: HashMap<usize, Reason> = HashMap::new();
    while let Some(i) = stack.pop() {
        // An image that stays in the archive protects what hangs on it from expiry only:
        // archiving them with it loses nothing.
        let level = match (images[i].status, fate[i]) {
            (ImageStatus::Archived, Fate::Keep) => Fate::Archive,
            (_, f) => f,
        };
        for child in images[i].children.iter().filter_map(|c| position.get(c)) {
            if fate[*child] < level {
                fate[*child] = level;
                let d = images[i].digest;
                why.insert(
                    *child,
                    if level == Fate::Keep {
                        Reason::ChildOfKeptIndex { index: d }
                    } else {
                        Reason::ChildOfArchivedIndex { index: d }
                    },
                );
                stack.push(*child);
            }
        }
        for &r in referrers.get(&i).map(Vec::as_slice).unwrap_or(&[]) {
            if fate[r] < level {
                fate[r] = level;
                why.insert(
                    r,
                    Reason::FollowsSubject {
                        subject: images[i].digest,
                    },
                );
                stack.push(r);
            }
        }
    }
    for i in 0..images.len() {
        let mut new = fate[i];
        if new == Fate::Archive && images[i].status != ImageStatus::Active {
            new = Fate::Keep; // Already archived (or being restored): nothing to do.
        }
        if new == out[i].fate {
            continue;
        }
        out[i].fate = new;
        out[i].untag.clear();
        match why.remove(&i) {
            Some(r) => out[i].reason = r,
            // Only a referrer that follows its subject down gets here.
            None => {
                if let Some(s) = follows[i] {
                    out[i].reason = Reason::FollowsSubject {
                        subject: images[s].digest,
                    };
                }
            }
        }
    }
}

mod ranking;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod untag_tests;
