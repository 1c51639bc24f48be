//! The planner never puts a native policy that would make ECR expire, on the images it sees,
//! an image the policy keeps (or only archives), nor archive one it keeps: no exceptions here
//! (referrers, restored or archived images included), because where the compiled policy would,
//! the planner withholds it. And the plan's lists add up to the policy: every expiry is the
//! runner's, ECR's or held for the 90-day archive minimum; every archival the runner's or ECR's.

#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops at the first surprise"
)]

use std::collections::BTreeSet;

use ecr_lifecycle_compiler::dsl;
use ecr_lifecycle_compiler::image::{Digest, Image, ImageStatus};
use ecr_lifecycle_compiler::in_use::InUse;
use ecr_lifecycle_compiler::native;
use ecr_lifecycle_compiler::reference::Fate;
use ecr_lifecycle_compiler::source::SourceFile;
use ecr_lifecycle_runtime::plan::{
    ImageAction, LoadedPolicy, Note, RepositoryOptions, decide_repository, plan_repository,
    plan_repository_with,
};
use ecr_lifecycle_runtime::snapshot::RepositoryState;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

const RULES: &[&str] = &[
    "{name: R, match: any, keep: {newest: 2}}",
    "{name: R, match: {untagged: true}, keep: {within: 3d}}",
    "{name: R, match: {untagged: true}, keep: {newest: 1}}",
    "{name: R, match: {untagged: false}, keep: {newest: 2}}",
    "{name: R, match: {tags: ['v*']}, keep: {newest: 1}}",
    "{name: R, match: {tags: ['prod']}, keep: all}",
    "{name: R, match: {tags: ['v*', 'rc*']}, keep: {within: 5d}}",
    "{name: R, match: {tag_regex: 'v[0-9]'}, keep: {newest: 1}}",
    "{name: R, match: any, keep: {within: 2d}}",
    "{name: R, match: {tags: ['v*']}, keep: {newest: 1}, otherwise: archive}",
    "{name: R, match: any, keep: {within: 3d}, otherwise: archive}",
    "{name: R, match: {untagged: true}, keep: {pulled_within: 2d}, otherwise: archive}",
    "{name: R, match: {tags: ['rc*', 'dev']}, keep: {within: 4d}, otherwise: untag}",
    "{name: R, match: {tag_regex: 'v[0-9]'}, keep: {newest: 1}, otherwise: untag}",
];

/// `archive` sections: `expire_after` alone, and archive rules ECR can and cannot select.
const ARCHIVES: &[&str] = &[
    "{expire_after: 95d}",
    "{expire_after: 95d, rules: [{name: a0, match: {tags: ['v*']}, expire_after: 92d}, {name: a1, match: {untagged: true}, keep: all}]}",
    "{rules: [{name: a0, match: {tag_regex: 'v[0-9]'}, keep: all}, {name: a1, match: any, expire_after: 91d}]}",
    "{expire_after: 100d, rules: [{name: a0, match: {tags: ['prod']}, keep: all}, {name: a1, match: {tags: ['v*', 'rc*']}, expire_after: 90d}]}",
];

fn policy() -> impl Strategy<Value = LoadedPolicy> {
    (
        prop::collection::vec(prop::sample::select(RULES), 1..4),
        prop::option::of(prop::sample::select(ARCHIVES)),
    )
        .prop_filter_map("reachable", |(rules, archive)| {
            let mut text = String::from("version: 1\n");
            if let Some(a) = archive {
                text.push_str(&format!("archive: {a}\n"));
            }
            text.push_str("rules:\n");
            for (i, r) in rules.iter().enumerate() {
                text.push_str(&format!(
                    "  - {}\n",
                    r.replace("name: R", &format!("name: r{i}"))
                ));
            }
            let file = SourceFile::new("p.yaml", text);
            ecr_lifecycle_compiler::parse(&file)
                .ok()
                .map(|p| LoadedPolicy::new(file, p))
        })
}

/// Whether the decision keeps the image.
fn kept_now(
    d: &Digest,
    evaluation: &ecr_lifecycle_compiler::reference::Evaluation,
    images: &[Image],
) -> bool {
    evaluation.with_fate(images, Fate::Keep).contains(d)
}

fn digest(n: usize) -> Digest {
    let mut b = [0u8; 32];
    b[31] = n as u8;
    Digest::from_bytes(b)
}

fn images() -> impl Strategy<Value = Vec<Image>> {
    let one = (
        prop::sample::subsequence(vec!["v1", "v2", "rc1", "prod", "dev"], 0..3),
        0i64..20,
        0u8..10,
        prop::option::weighted(0.2, 0usize..12),
        prop::option::weighted(0.15, 0usize..12),
        0i64..20,
    );
    prop::collection::vec(one, 0..12).prop_map(|specs| {
        let n = specs.len();
        let mut images: Vec<Image> = specs
            .iter()
            .enumerate()
            .map(|(i, (tags, age, status, subject, _, restored))| {
                let mut img = Image::new(
                    digest(i),
                    tags,
                    now() - SignedDuration::from_hours(age * 12),
                );
                match status {
                    0 => {
                        img.status = ImageStatus::Archived;
                        img.archived_at =
                            Some(now() - SignedDuration::from_hours((80 + restored * 2) * 24));
                    }
                    1 => img.status = ImageStatus::Activating,
                    2 => img.activated_at = Some(now() - SignedDuration::from_hours(restored * 6)),
                    _ => {}
                }
                img.subject = subject.filter(|s| *s < n && *s != i).map(digest);
                img
            })
            .collect();
        for (i, spec) in specs.iter().enumerate() {
            if let Some(parent) = spec.4.filter(|p| *p < n && *p != i) {
                let mut c = images[parent].children.to_vec();
                c.push(digest(i));
                images[parent].children = c.into_boxed_slice();
            }
        }
        images
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_policy_the_planner_puts_never_expires_a_kept_image(
        p in policy(),
        images in images(),
        used in prop::collection::vec(0usize..12, 0..3),
    ) {
        let state = RepositoryState { name: "web".into(), lifecycle_policy: None, images };
        let mut in_use = InUse::new();
        for &u in used.iter().filter(|&&u| u < state.images.len()) {
            in_use.insert(state.images[u].digest, format!("ecs service prod/s{u}"));
        }
        // The one decision every command asks for.
        let decision = decide_repository(&p, &state, &in_use, now(), RepositoryOptions::default());
        let evaluation = &decision.evaluation;
        let expired = evaluation.expired(&state.images);
        let archived = evaluation.archived(&state.images);
        let kept = evaluation.with_fate(&state.images, Fate::Keep);
        // Images in use are kept, whatever the rules say.
        for (d, _) in in_use.iter() {
            prop_assert!(kept.contains(d), "in use but not kept: {d}");
        }
        if let Some(native) = &decision.native {
            let outcome = native::simulate(native, &state.images, now());
            let harmed: BTreeSet<_> = outcome.expired.difference(&expired).collect();
            prop_assert!(harmed.is_empty(), "ECR would expire kept or archived {harmed:?}");
            let harmed: BTreeSet<_> = outcome.transitioned.intersection(&kept).collect();
            prop_assert!(harmed.is_empty(), "ECR would archive kept {harmed:?}");
        }
        let plan = plan_repository_with(&p, &state, &in_use, now(), RepositoryOptions::default());
        let set = |list: &[ImageAction]| -> BTreeSet<Digest> {
            list.iter().map(|a| a.digest).collect()
        };
        let (runner, by_ecr, held) = (set(&plan.deletions), set(&plan.ecr_expirations), set(&plan.held));
        prop_assert!(runner.is_disjoint(&by_ecr));
        let all: BTreeSet<Digest> = runner.iter().chain(&by_ecr).chain(&held).copied().collect();
        prop_assert_eq!(all, expired);
        // Held: only archived images under the 90-day minimum.
        for a in &plan.held {
            prop_assert!(a.early_delete_days() > 0, "{a:?}");
        }
        for a in &plan.deletions {
            prop_assert_eq!(a.early_delete_days(), 0, "{:?}", a);
        }
        let (runner_archives, ecr_archives) = (set(&plan.archivals), set(&plan.ecr_archivals));
        prop_assert!(runner_archives.is_disjoint(&ecr_archives));
        let all: BTreeSet<Digest> = runner_archives.union(&ecr_archives).copied().collect();
        prop_assert_eq!(all, archived);
        // What the rules alone would do and the images in use prevent is listed, and only that.
        // The rules alone, straight from the reference semantics.
        let alone = (!in_use.is_empty()).then(|| {
            ecr_lifecycle_compiler::reference::evaluate(&p.policy, &state.images, Some(&state.name), now())
        });
        let rose: BTreeSet<Digest> = match &alone {
            None => BTreeSet::new(),
            Some(alone) => state.images.iter()
                .zip(evaluation.decisions.iter().zip(&alone.decisions))
                .filter(|(_, (with, without))| {
                    with.fate > without.fate
                        || (with.tags_removed().is_empty() && !without.tags_removed().is_empty())
                })
                .map(|(i, _)| i.digest)
                .collect(),
        };
        let kept: Vec<_> = plan.kept_in_use.iter().map(|k| k.image.clone()).collect();
        prop_assert_eq!(set(&kept), rose);
        // Tag removals: exactly the decision's, from images that stay, each keeping a tag.
        let removals: BTreeSet<(Digest, String)> = plan.tag_removals.iter()
            .flat_map(|t| t.remove.iter().map(|r| (t.digest, r.clone())))
            .collect();
        let decided: BTreeSet<(Digest, String)> = state.images.iter().zip(&evaluation.decisions)
            .flat_map(|(i, d)| d.tags_removed().iter().map(|t| (i.digest, t.clone())))
            .collect();
        prop_assert_eq!(removals, decided);
        for t in &plan.tag_removals {
            let d: Digest = t.digest;
            prop_assert!(!t.keep.is_empty() && kept_now(&d, evaluation, &state.images), "{t:?}");
        }
        // Holding rules back is needed only where something is in use.
        if in_use.is_empty() {
            let held_back = plan.notes.iter().any(|n| matches!(n, Note::HeldBack { .. }));
            prop_assert!(!held_back, "{:?}", plan.notes);
        }
    }

    /// Where images are in use, rules are held back one by one rather than the whole native
    /// policy withheld: whenever the policy compiled with no rule held would be put without
    /// images in use, some native policy is still put with them, unless every native rule
    /// had to go.
    #[test]
    fn images_in_use_hold_back_rules_not_the_whole_policy(
        p in policy(),
        images in images(),
        used in prop::collection::vec(0usize..12, 1..3),
    ) {
        let state = RepositoryState { name: "web".into(), lifecycle_policy: None, images };
        let mut in_use = InUse::new();
        for &u in used.iter().filter(|&&u| u < state.images.len()) {
            in_use.insert(state.images[u].digest, "lambda function f:1");
        }
        let without = plan_repository(&p, &state, now());
        let with = plan_repository_with(&p, &state, &in_use, now(), RepositoryOptions::default());
        let withheld = |r: &ecr_lifecycle_runtime::plan::RepositoryPlan| {
            r.notes.iter().any(|n| matches!(n, Note::Withheld { .. }))
        };
        if !withheld(&without) && p.compiled.native.is_some() && p.policy.evaluation == dsl::policy::Evaluation::FirstMatch {
            prop_assert!(!withheld(&with), "withheld: {:?}", with.notes);
        }
    }
}
