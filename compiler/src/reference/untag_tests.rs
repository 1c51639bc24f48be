//! `otherwise: untag` (DESIGN.md §3.6): which tags leave which image, and which images go
//! with their last tag.

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use super::*;
use crate::dsl::parse;
use crate::source::SourceFile;

const DAY: i64 = 86_400;

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn policy(rules: &str) -> Policy {
    let text = format!("version: 1\nrules:\n{rules}");
    parse(&SourceFile::new("p.yaml", text)).unwrap_or_else(|e| panic!("{e:#?}"))
}

fn digest(n: u8) -> Digest {
    let mut b = [0u8; 32];
    b[31] = n;
    Digest::from_bytes(b)
}

fn img(n: u8, tags: &[&str], age_days: i64) -> Image {
    Image::new(
        digest(n),
        tags,
        now() - SignedDuration::from_secs(age_days * DAY),
    )
}

/// Each image's fate and the tags it loses.
fn outcome(p: &Policy, images: &[Image], used: &InUse) -> Vec<(u8, Fate, Vec<String>)> {
    evaluate_with(p, images, Some("repo"), now(), used)
        .decisions
        .iter()
        .zip(images)
        .map(|(d, i)| (i.digest.as_bytes()[31], d.fate, d.untag.clone()))
        .collect()
}

fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

const WORKED_EXAMPLE: &str = "  - {name: pull-requests, match: {tags: ['pr-*']}, keep: {within: 30d}, otherwise: untag}\n  - {name: untagged, match: {untagged: true}, keep: {within: 14d}}\n";

#[test]
fn the_worked_example_removes_old_pr_tags_and_keeps_images_another_tag_names() {
    let p = policy(WORKED_EXAMPLE);
    let images = [
        img(1, &["main", "pr-17"], 40),
        img(2, &["pr-18"], 40),
        img(3, &["pr-19", "v1.4.0"], 10),
        img(4, &["pr-20", "pr-21", "sha-1a2b3c4"], 50),
        img(5, &["v1.3.0"], 400),
    ];
    assert_eq!(
        outcome(&p, &images, &InUse::new()),
        [
            (1, Fate::Keep, tags(&["pr-17"])),
            // Its only tag goes, and ECR deletes an image with its last tag.
            (2, Fate::Expire, tags(&["pr-18"])),
            (3, Fate::Keep, vec![]),
            (4, Fate::Keep, tags(&["pr-20", "pr-21"])),
            (5, Fate::Keep, vec![]),
        ]
    );
    let e = evaluate(&p, &images, None, now());
    // The typed decision: the rule, and why the rule does not keep the image as it is.
    assert_eq!(e.decisions[0].rule, Some(RuleId::Rule(0)));
    assert_eq!(
        e.decisions[0].reason,
        Reason::Age {
            seconds: 40 * DAY,
            window: 30 * DAY
        }
    );
    assert_eq!(e.decisions[0].tags_removed(), ["pr-17"]);
    assert!(e.decisions[1].expires_untagged());
    assert!(e.decisions[1].tags_removed().is_empty());
    assert_eq!(
        e.expired(&images).into_iter().collect::<Vec<_>>(),
        [digest(2)]
    );
}

#[test]
fn every_tag_condition_names_the_tags_it_matches() {
    let images = [img(1, &["a-1", "b-1", "c-1", "latest"], 9)];
    for (m, removed) in [
        ("{tags: ['a-*', 'b-*']}", &["a-1", "b-1"][..]),
        ("{tags_all: ['a-*', 'c-*']}", &["a-1", "c-1"]),
        ("{tag_regex: '[bc]-[0-9]'}", &["b-1", "c-1"]),
        ("{tags: ['a-*'], tag_regex: 'c-.*'}", &["a-1", "c-1"]),
        ("{tags: ['a-*'], where: 'imageDigest'}", &["a-1"]),
    ] {
        let p = policy(&format!(
            "  - {{name: r, match: {m}, keep: none, otherwise: untag}}\n"
        ));
        assert_eq!(
            outcome(&p, &images, &InUse::new()),
            [(1, Fate::Keep, tags(removed))],
            "{m}"
        );
    }
}

#[test]
fn what_the_closure_or_a_consumer_keeps_keeps_all_its_tags() {
    let p = policy("  - {name: r, match: {tags: ['pr-*']}, keep: none, otherwise: untag}\n");
    // 1 is an index whose tags all go; its child 2 follows it; 3 is in use.
    let mut index = img(1, &["pr-1"], 5);
    index.children = Box::new([digest(2)]);
    let mut kept_index = img(4, &["pr-4", "main"], 5);
    kept_index.children = Box::new([digest(5)]);
    let images = [
        index,
        img(2, &["pr-2"], 5),
        img(3, &["pr-3", "main"], 5),
        kept_index,
        img(5, &["pr-5"], 5),
    ];
    assert_eq!(
        outcome(&p, &images, &InUse::new())[..2],
        [
            (1, Fate::Expire, tags(&["pr-1"])),
            (2, Fate::Expire, tags(&["pr-2"]))
        ]
    );
    let mut used = InUse::new();
    used.insert(digest(3), "ecs service prod/web");
    used.insert(digest(1), "lambda function api:7");
    assert_eq!(
        outcome(&p, &images, &used),
        [
            (1, Fate::Keep, vec![]),
            (2, Fate::Keep, vec![]),
            (3, Fate::Keep, vec![]),
            // An index that keeps a tag is kept, and keeps its child whole.
            (4, Fate::Keep, tags(&["pr-4"])),
            (5, Fate::Keep, vec![]),
        ]
    );
}

const TAGS: &[&str] = &["pr-1", "pr-2", "main", "v1.0.0", "sha-1", "latest"];

fn images() -> impl Strategy<Value = Vec<Image>> {
    prop::collection::vec(
        (
            prop::collection::vec(prop::sample::select(TAGS), 0..4),
            0i64..60,
            prop::option::weighted(0.15, 0usize..12),
            prop::option::weighted(0.15, 0usize..12),
        ),
        0..12,
    )
    .prop_map(|specs| {
        let n = specs.len();
        let mut images: Vec<Image> = specs
            .iter()
            .enumerate()
            .map(|(i, (t, age, subject, _))| {
                let mut t = t.clone();
                t.sort_unstable();
                t.dedup();
                let mut image = img(i as u8, &t, *age);
                image.subject = subject
                    .filter(|s| *s < n && *s != i)
                    .map(|s| digest(s as u8));
                image
            })
            .collect();
        for (i, (_, _, _, parent)) in specs.iter().enumerate() {
            if let Some(p) = parent.filter(|p| *p < n && *p != i) {
                let mut c = images[p].children.to_vec();
                c.push(digest(i as u8));
                images[p].children = c.into_boxed_slice();
            }
        }
        images
    })
}

/// Rules that remove tags, with a protection rule and a rule for untagged images around them.
fn untag_policy() -> impl Strategy<Value = (String, Policy)> {
    let matcher = prop_oneof![
        Just("{tags: ['pr-*']}"),
        Just("{tags: ['pr-*', 'sha-*']}"),
        Just("{tags_all: ['pr-*', 'main']}"),
        Just("{tag_regex: 'pr-[0-9]+|latest'}"),
        Just("{tags: ['*']}"),
    ];
    let keep = prop_oneof![
        Just("none"),
        Just("{newest: 2}"),
        Just("{within: 20d}"),
        Just("{newest: 1, within: 10d}"),
    ];
    (matcher, keep, any::<bool>(), any::<bool>()).prop_map(|(m, k, protect, untagged)| {
        let mut rules = String::new();
        if protect {
            rules.push_str("  - {name: releases, match: {tags: ['v*']}, keep: all}\n");
        }
        rules.push_str(&format!(
            "  - {{name: retire, match: {m}, keep: {k}, otherwise: untag}}\n"
        ));
        if untagged {
            rules.push_str("  - {name: untagged, match: {untagged: true}, keep: none}\n");
        }
        let p = policy(&rules);
        (rules, p)
    })
}

fn used(images: &[Image], picks: &[usize]) -> InUse {
    let mut u = InUse::new();
    for &p in picks.iter().filter(|&&p| p < images.len()) {
        u.insert(images[p].digest, "ecs service prod/web");
    }
    u
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn an_image_only_loses_tags_its_rule_names_and_one_that_keeps_a_tag_stays(
        (text, p) in untag_policy(),
        images in images(),
        picks in prop::collection::vec(0usize..12, 0..2),
    ) {
        let used = used(&images, &picks);
        let e = evaluate_with(&p, &images, None, now(), &used);
        for (image, d) in images.iter().zip(&e.decisions) {
            let named: Vec<String> = match d.rule {
                Some(RuleId::Rule(r)) if p.rules[r].otherwise == Otherwise::Untag => image
                    .tags
                    .iter()
                    .filter(|t| p.rules[r].matcher.names_tag(t))
                    .map(|t| t.to_string())
                    .collect(),
                _ => Vec::new(),
            };
            // Only tags the governing untag rule names, only tags the image has.
            prop_assert!(
                d.untag.iter().all(|t| named.contains(t)),
                "{text}\n{image:?} loses {:?}, its rule names {named:?}", d.untag
            );
            if d.keeps() {
                // A kept image keeps at least one tag.
                prop_assert!(d.untag.len() < image.tags.len().max(1), "{text}\n{image:?}: {d:?}");
            }
            if d.expires() && !d.untag.is_empty() {
                prop_assert_eq!(d.untag.len(), image.tags.len(), "{}\n{:?}", text, image);
            }
            // An image keeps a tag the rule does not name: it is never deleted for its tags
            // (only a referrer whose subject goes follows it, as ECR does).
            let keeps_a_tag = named.len() < image.tags.len();
            if keeps_a_tag && !named.is_empty() && d.expires() {
                prop_assert!(
                    matches!(d.reason, Reason::FollowsSubject { .. }),
                    "{text}\n{image:?} keeps a tag yet expires: {d:?}"
                );
            }
            // Whatever the closure or a consumer keeps keeps every tag.
            if matches!(
                d.reason,
                Reason::InUse { .. }
                    | Reason::SubjectOfInUse { .. }
                    | Reason::ChildOfKeptIndex { .. }
                    | Reason::FollowsSubject { .. }
            ) {
                prop_assert!(d.untag.is_empty(), "{text}\n{image:?}: {d:?}");
            }
        }
    }

    #[test]
    fn untag_with_every_tag_named_is_expire(
        keep in prop_oneof![Just("none"), Just("{newest: 2}"), Just("{within: 20d}")],
        images in images(),
        picks in prop::collection::vec(0usize..12, 0..2),
    ) {
        let rules = |otherwise: &str| format!(
            "  - {{name: releases, match: {{tags: ['v*']}}, keep: {{newest: 1}}}}\n  - {{name: r, match: {{tags: ['*']}}, keep: {keep}{otherwise}}}\n  - {{name: untagged, match: {{untagged: true}}, keep: none}}\n"
        );
        let used = used(&images, &picks);
        let untag = evaluate_with(&policy(&rules(", otherwise: untag")), &images, None, now(), &used);
        let expire = evaluate_with(&policy(&rules("")), &images, None, now(), &used);
        for (u, e) in untag.decisions.iter().zip(&expire.decisions) {
            prop_assert_eq!((u.rule, u.fate, &u.reason), (e.rule, e.fate, &e.reason));
            prop_assert!(u.tags_removed().is_empty());
        }
    }
}
