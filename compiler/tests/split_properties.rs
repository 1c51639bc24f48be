//! Property tests of the compiler's central promise (DESIGN.md §3.3), over random policies and
//! random image sets (active and archived) with ties and exact day boundaries, for both actions:
//!
//!   expired(native) ⊆ expired(policy)         ECR never expires an image the policy keeps or
//!                                              only archives
//!   archived(native) ∩ kept(policy) = ∅       ECR never archives an image the policy keeps
//!   native ∪ runner = policy                  for expiries and archivals alike
//!
//! and that a rule the compiler calls native really is carried out by ECR. Policies have archive
//! rules (expressible or not, `keep: all` among them) and `archive.expire_after`, and some
//! rules are held back as the planner does for images in use.

#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops at the first surprise"
)]

use std::collections::BTreeSet;

use ecr_lifecycle_compiler::decide;
use ecr_lifecycle_compiler::dsl::Policy;
use ecr_lifecycle_compiler::dsl::policy::RuleId;
use ecr_lifecycle_compiler::image::{Digest, Image, ImageStatus};
use ecr_lifecycle_compiler::in_use::InUse;
use ecr_lifecycle_compiler::native;
use ecr_lifecycle_compiler::reference::{self, Fate};
use ecr_lifecycle_compiler::source::SourceFile;
use ecr_lifecycle_compiler::split::{self, Disposition, Narrowing, NativeAction};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
const TAGS: &[&str] = &[
    "v1", "v2", "v10", "prod", "prod-1", "dev", "dev-2", "rc1", "latest", "a", "ab", "b",
];
const GLOBS: &[&str] = &[
    "v*", "prod*", "dev-*", "*", "a*", "*b", "rc?", "v1", "prod", "latest", "*1*", "*-*",
];

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn globs() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(prop::sample::select(GLOBS), 1..3)
}

fn quoted(list: &[&str]) -> String {
    let items: Vec<String> = list.iter().map(|g| format!("'{g}'")).collect();
    format!("[{}]", items.join(", "))
}

fn matcher() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just("any".to_string()),
        3 => Just("{untagged: true}".to_string()),
        2 => Just("{untagged: false}".to_string()),
        4 => globs().prop_map(|g| format!("{{tags: {}}}", quoted(&g))),
        2 => globs().prop_map(|g| format!("{{tags_all: {}}}", quoted(&g))),
        1 => (globs(), globs()).prop_map(|(a, b)| format!("{{tags: {}, tags_all: {}}}", quoted(&a), quoted(&b))),
        1 => Just("{tag_regex: 'v[0-9]+'}".to_string()),
        1 => Just("{where: \"imageSizeInBytes > `500`\"}".to_string()),
        1 => Just("{untagged: true, where: \"imageSizeInBytes > `500`\"}".to_string()),
    ]
}

/// 0: `expire` (unsaid), 1: `archive`, 2: `untag`.
fn otherwise() -> impl Strategy<Value = u8> {
    prop_oneof![13 => Just(0u8), 5 => Just(1u8), 4 => Just(2u8)]
}

/// The `otherwise` line of a rule; `untag` only where the match names tags (it is refused
/// elsewhere, and a refused policy is a wasted case).
fn otherwise_line(matcher: &str, otherwise: u8) -> String {
    let names_tags = matcher.contains("tags") || matcher.contains("tag_regex");
    match otherwise {
        1 => "    otherwise: archive\n".into(),
        2 if names_tags => "    otherwise: untag\n".into(),
        _ => String::new(),
    }
}

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..12).prop_map(|d| format!("{d}d")),
        (1u32..200).prop_map(|h| format!("{h}h")),
        (1u32..3).prop_map(|w| format!("{w}w")),
    ]
}

fn keep() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just("all".to_string()),
        2 => Just("none".to_string()),
        4 => (1u32..6).prop_map(|n| format!("{{newest: {n}}}")),
        4 => duration().prop_map(|d| format!("{{within: {d}}}")),
        1 => duration().prop_map(|d| format!("{{pulled_within: {d}}}")),
        1 => ((1u32..4), duration()).prop_map(|(n, d)| format!("{{newest: {n}, within: {d}}}")),
        1 => (duration(), globs(), 0u32..4).prop_map(|(d, g, n)| format!(
            "{{within: {d}, anchor: {{oldest_tagged: {}}}, at_least: {n}}}", quoted(&g)
        )),
        // By version and per group (`v10` above `v2`; groups by first letter).
        2 => (1u32..4, any::<bool>(), any::<bool>()).prop_map(|(n, version, per)| format!(
            "{{newest: {n}, by: {}{}}}",
            if version { "version" } else { "push" },
            if per { ", per: '([a-z]).*'" } else { "" }
        )),
    ]
}

/// A time in the archive around ECR's 90-day minimum, in days or hours.
fn archive_window() -> impl Strategy<Value = String> {
    prop_oneof![
        (90u32..100).prop_map(|d| format!("{d}d")),
        (90 * 24u32..100 * 24).prop_map(|h| format!("{h}h")),
    ]
}

/// `archive:` with `expire_after` and archive rules, each `expire_after` or `keep: all`.
fn archive_section() -> impl Strategy<Value = Option<String>> {
    let rule = (matcher(), prop::option::weighted(0.75, archive_window()));
    prop::option::weighted(
        0.5,
        (
            prop::option::weighted(0.6, archive_window()),
            prop::collection::vec(rule, 0..4),
        )
            .prop_map(|(default, rules)| {
                let mut text = String::from("archive:\n");
                if let Some(d) = default {
                    text.push_str(&format!("  expire_after: {d}\n"));
                }
                if !rules.is_empty() {
                    text.push_str("  rules:\n");
                }
                for (i, (m, window)) in rules.iter().enumerate() {
                    let keep = match window {
                        Some(w) => format!("expire_after: {w}"),
                        None => "keep: all".to_string(),
                    };
                    text.push_str(&format!("    - {{name: a{i}, match: {m}, {keep}}}\n"));
                }
                text
            }),
    )
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        prop::collection::vec((matcher(), keep(), otherwise()), 1..6),
        archive_section(),
    )
        .prop_filter_map(
            "unreachable rules (and `keep: all` with `otherwise: archive`) are refused",
            |(rules, archive)| {
                let mut text = String::from("version: 1\n");
                if let Some(a) = archive {
                    text.push_str(&a);
                }
                text.push_str("rules:\n");
                for (i, (m, k, otherwise)) in rules.iter().enumerate() {
                    text.push_str(&format!("  - name: r{i}\n    match: {m}\n    keep: {k}\n"));
                    text.push_str(&otherwise_line(m, *otherwise));
                }
                ecr_lifecycle_compiler::parse(&SourceFile::new("p.yaml", text)).ok()
            },
        )
}

fn digest(n: usize) -> Digest {
    let mut b = [0u8; 32];
    b[30] = (n >> 8) as u8;
    b[31] = n as u8;
    Digest::from_bytes(b)
}

#[derive(Debug, Clone)]
struct Spec {
    tags: Vec<&'static str>,
    /// Push age in half days: a multiple lands exactly on every whole-day boundary.
    age_half_days: i64,
    jitter_secs: i64,
    pulled_half_days_ago: Option<i64>,
    size: u64,
    /// In the archive (around the 90-day minimum), if at all.
    archived: Option<Archived>,
    /// Index into the image list: this image is listed as a child of that one.
    child_of: Option<usize>,
    /// Index into the image list: this image is a referrer of that one.
    subject: Option<usize>,
}

/// When an archived image went into the archive.
#[derive(Debug, Clone, Copy)]
enum Archived {
    HalfDaysAgo(i64),
    /// The registry does not say.
    AtUnknownTime,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec(prop::sample::select(TAGS), 0..3),
        0i64..40,
        prop_oneof![4 => Just(0i64), 1 => -3i64..3],
        prop::option::of(0i64..30),
        0u64..1000,
        prop::option::weighted(
            0.1,
            prop_oneof![
                9 => (170i64..210).prop_map(Archived::HalfDaysAgo),
                1 => Just(Archived::AtUnknownTime),
            ],
        ),
        prop::option::weighted(0.15, 0usize..30),
        prop::option::weighted(0.15, 0usize..30),
    )
        .prop_map(
            |(tags, age, jitter, pulled, size, archived, child_of, subject)| Spec {
                tags,
                age_half_days: age,
                jitter_secs: jitter,
                pulled_half_days_ago: pulled,
                size,
                archived,
                child_of,
                subject,
            },
        )
}

fn images() -> impl Strategy<Value = Vec<Image>> {
    prop::collection::vec(spec(), 0..30).prop_map(|specs| {
        let n = specs.len();
        let mut images: Vec<Image> = specs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut tags = s.tags.clone();
                tags.sort_unstable();
                tags.dedup();
                let pushed =
                    now() - SignedDuration::from_secs(s.age_half_days * 12 * HOUR + s.jitter_secs);
                let mut img = Image::new(digest(i), &tags, pushed);
                img.last_pulled_at = s
                    .pulled_half_days_ago
                    .map(|p| now() - SignedDuration::from_secs(p * 12 * HOUR));
                img.size_bytes = Some(s.size);
                if let Some(at) = s.archived {
                    img.status = ImageStatus::Archived;
                    img.archived_at = match at {
                        Archived::HalfDaysAgo(a) => {
                            Some(now() - SignedDuration::from_secs(a * 12 * HOUR + s.jitter_secs))
                        }
                        Archived::AtUnknownTime => None,
                    };
                }
                if let Some(j) = s.subject.filter(|j| *j < n && *j != i) {
                    img.subject = Some(digest(j));
                }
                img
            })
            .collect();
        for (i, s) in specs.iter().enumerate() {
            if let Some(parent) = s.child_of.filter(|p| *p < n && *p != i) {
                let mut children = images[parent].children.to_vec();
                children.push(digest(i));
                images[parent].children = children.into_boxed_slice();
            }
        }
        images
    })
}

/// Referrers of present subjects, and everything reachable from them through index children
/// and further referrers.
fn exposed_through_referrers(images: &[Image]) -> BTreeSet<Digest> {
    let present: BTreeSet<Digest> = images.iter().map(|i| i.digest).collect();
    let mut exposed: BTreeSet<Digest> = images
        .iter()
        .filter(|i| {
            i.subject
                .is_some_and(|s| present.contains(&s) && s != i.digest)
        })
        .map(|i| i.digest)
        .collect();
    loop {
        let before = exposed.len();
        for img in images {
            if exposed.contains(&img.digest) {
                exposed.extend(img.children.iter().filter(|c| present.contains(c)));
            }
            if img.subject.is_some_and(|s| exposed.contains(&s)) {
                exposed.insert(img.digest);
            }
        }
        if exposed.len() == before {
            return exposed;
        }
    }
}

fn short(set: &BTreeSet<Digest>) -> Vec<usize> {
    set.iter()
        .map(|d| (usize::from(d.as_bytes()[30]) << 8) | usize::from(d.as_bytes()[31]))
        .collect()
}

/// A rule that governs a whole tag class, then random rules, then `match: any`: the last rule
/// governs what is left of the other class, and the compiler narrows it (DESIGN.md §3.3).
fn narrowed_policy() -> impl Strategy<Value = Policy> {
    (
        prop::sample::select(
            &[
                "{untagged: true}",
                "{tags: ['*']}",
                "{untagged: false}",
                "{tags_all: ['*']}",
                "{tags: ['v*', '*']}",
            ][..],
        ),
        keep(),
        prop::collection::vec((matcher(), keep(), otherwise()), 0..3),
        0usize..3,
        prop_oneof![
            3 => (1u32..6).prop_map(|n| format!("{{newest: {n}}}")),
            1 => keep(),
        ],
        prop::bool::weighted(0.25),
    )
        .prop_filter_map(
            "unreachable rules (and `keep: all` with `otherwise: archive`) are refused",
            |(covering, covering_keep, mut others, at, last_keep, archives)| {
                let at = at.min(others.len());
                others.insert(at, (covering.to_string(), covering_keep, 0));
                others.push(("any".to_string(), last_keep, if archives { 1 } else { 0 }));
                let mut text = String::from("version: 1\nrules:\n");
                for (i, (m, k, otherwise)) in others.iter().enumerate() {
                    text.push_str(&format!("  - name: r{i}\n    match: {m}\n    keep: {k}\n"));
                    text.push_str(&otherwise_line(m, *otherwise));
                }
                ecr_lifecycle_compiler::parse(&SourceFile::new("p.yaml", text)).ok()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn native_is_sound_and_native_plus_runner_is_the_policy(
        p in policy(),
        images in images(),
        hold in prop::collection::vec(prop::bool::weighted(0.15), 12),
    ) {
        // Some rules held back to claims, as the planner does where images are in use.
        let ids = (0..p.rules.len())
            .map(RuleId::Rule)
            .chain((0..p.archive_rules().len()).map(RuleId::Archive))
            .chain(std::iter::once(RuleId::ArchiveDefault));
        let held: BTreeSet<RuleId> = ids.zip(&hold).filter(|(_, h)| **h).map(|(id, _)| id).collect();
        check_split(&p, &images, &held)?;
    }

    #[test]
    fn narrowed_rules_are_sound_and_native_plus_runner_is_the_policy(
        p in narrowed_policy(),
        images in images(),
    ) {
        let compiled = split::compile(&p);
        let last = compiled.rules.last().map(|r| r.narrowing);
        prop_assert!(
            !matches!(last, Some(Narrowing::None) | None),
            "the last `any` rule is not narrowed: {:?}", compiled.rules
        );
        check_split(&p, &images, &BTreeSet::new())?;
    }
}

/// Both invariants of DESIGN.md §3.3, and that a rule called native is carried out by ECR,
/// with the rules in `held` left to the runner.
fn check_split(p: &Policy, images: &[Image], held: &BTreeSet<RuleId>) -> Result<(), TestCaseError> {
    let (p, images) = (p.clone(), images.to_vec());
    {
        let compiled = split::compile_holding(&p, held);
        prop_assert!(
            compiled
                .warnings
                .iter()
                .all(|w| !matches!(w, split::Warning::NativeRefused(_))),
            "the compiler emitted a policy ECR would refuse: {:?}",
            compiled.warnings
        );
        let evaluation = reference::evaluate(&p, &images, None, now());
        let reference = evaluation.expired(&images);
        let reference_archived = evaluation.archived(&images);
        let kept = evaluation.with_fate(&images, Fate::Keep);
        let outcome = compiled
            .native
            .as_ref()
            .map(|n| native::simulate(n, &images, now()))
            .unwrap_or_default();
        let ecr = outcome.expired.clone();
        let ecr_archived = outcome.transitioned.clone();
        // ECR's rules can reach referrers whose subject is kept (README, known limits), and with
        // them whatever the policy keeps only through such a referrer (an index's children);
        // every other image ECR expires must be one the policy expires.
        let exposed = exposed_through_referrers(&images);
        let is_referrer = |d: &Digest| exposed.contains(d);
        let unsound: BTreeSet<Digest> = ecr
            .difference(&reference)
            .filter(|d| !is_referrer(d))
            .copied()
            .collect();
        prop_assert!(
            unsound.is_empty(),
            "ECR would expire kept images {:?}\nreference {:?}\necr {:?}\nnative {:?}",
            short(&unsound),
            short(&reference),
            short(&ecr),
            compiled.specs
        );
        let wrongly_archived: BTreeSet<Digest> = ecr_archived
            .intersection(&kept)
            .filter(|d| !is_referrer(d))
            .copied()
            .collect();
        prop_assert!(
            wrongly_archived.is_empty(),
            "ECR would archive kept images {:?}\nreference archives {:?}\necr archives {:?}\nnative {:?}",
            short(&wrongly_archived),
            short(&reference_archived),
            short(&ecr_archived),
            compiled.specs
        );
        // What production runs: `decide`, on the same images. Its native policy (the compiled
        // one, or none where ECR would harm a kept image here) never expires or archives
        // beyond the policy, and with the runner's share it is exactly the policy's work.
        let options = decide::Options {
            allow_early_archive_delete: true,
            ..decide::Options::default()
        };
        let d = decide::decide(&p, &compiled, &images, None, &InUse::new(), now(), &options);
        let ecr_d = d
            .native
            .as_ref()
            .map(|n| native::simulate(n, &images, now()))
            .unwrap_or_default();
        prop_assert!(
            ecr_d.expired.is_subset(&reference),
            "decide's native policy expires beyond the policy"
        );
        prop_assert!(
            ecr_d.transitioned.is_disjoint(&kept),
            "decide's native policy archives a kept image"
        );
        let acted = |actor: decide::Actor, fate: Fate| -> BTreeSet<Digest> {
            images
                .iter()
                .zip(d.evaluation.decisions.iter().zip(&d.actors))
                .filter(|(_, (dec, a))| **a == actor && dec.fate == fate)
                .map(|(i, _)| i.digest)
                .collect()
        };
        let runner = acted(decide::Actor::Runner, Fate::Expire);
        let by_ecr = acted(decide::Actor::Ecr, Fate::Expire);
        prop_assert!(by_ecr.is_subset(&ecr_d.expired));
        let both: BTreeSet<Digest> = by_ecr.union(&runner).copied().collect();
        prop_assert_eq!(short(&both), short(&reference));
        let runner_archived = acted(decide::Actor::Runner, Fate::Archive);
        let ecr_archived_d = acted(decide::Actor::Ecr, Fate::Archive);
        prop_assert!(runner_archived.is_disjoint(&ecr_archived_d));
        let archived_by_both: BTreeSet<Digest> =
            ecr_archived_d.union(&runner_archived).copied().collect();
        prop_assert_eq!(short(&archived_by_both), short(&reference_archived));
        // Where decide puts the compiled policy, the compiled policy's share is what ECR does.
        if d.native.is_some() && compiled.native.is_some() {
            prop_assert_eq!(short(&ecr_d.expired), short(&ecr));
        }

        // A rule called native is carried out by ECR, apart from what only the runner can know:
        // images exactly on a day boundary, index children and referrers (their fate follows
        // another image's).
        let in_graph = |img: &Image| {
            img.subject.is_some() || images.iter().any(|i| i.children.contains(&img.digest))
        };
        for report in &compiled.rules {
            let acting: Vec<&split::NativeRuleSpec> = compiled
                .specs
                .iter()
                .filter(|s| s.rule == report.rule && s.action.acts())
                .collect();
            if report.disposition == Disposition::Runtime || acting.is_empty() {
                continue;
            }
            for (img, d) in images.iter().zip(&evaluation.decisions) {
                if d.rule != Some(report.rule) || d.keeps() || in_graph(img) {
                    continue;
                }
                let by_pull = acting
                    .iter()
                    .any(|s| matches!(s.action, NativeAction::ArchiveNotPulledForDays(_)));
                let in_archive = acting.iter().any(|s| s.action.in_archive());
                let clock = match (by_pull, in_archive) {
                    (true, _) => img.pulled_or_pushed_at(),
                    // The policy keeps an archived image whose archive time is unknown.
                    (_, true) => img.archived_at.unwrap_or(now()),
                    _ => img.pushed_at,
                };
                let age = now().duration_since(clock).as_secs();
                let beyond_ecr_days = acting.iter().all(|s| match s.action {
                    NativeAction::ExpireOlderThanDays(days)
                    | NativeAction::ArchiveOlderThanDays(days)
                    | NativeAction::ArchiveNotPulledForDays(days)
                    | NativeAction::ExpireArchivedAfterDays(days) => age > days * DAY,
                    _ => true,
                });
                if report.disposition == Disposition::NativeAndRuntime && !beyond_ecr_days {
                    continue;
                }
                if age % DAY == 0 {
                    continue;
                }
                let done_by_ecr = if d.expires() { &ecr } else { &ecr_archived };
                prop_assert!(
                    done_by_ecr.contains(&img.digest),
                    "rule `{}` is called {:?} but ECR does not act on {:?} (age {}s)\nnative {:?}",
                    report.name,
                    report.disposition,
                    short(&BTreeSet::from([img.digest])),
                    age,
                    compiled.specs
                );
            }
        }
    }
    Ok(())
}
