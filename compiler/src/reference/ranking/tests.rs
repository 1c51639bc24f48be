//! `newest` by version and per group, against hand-worked examples and against a model: each
//! group counted as a repository of its own.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use crate::dsl::Policy;
use crate::image::{Digest, Image};
use crate::reference::{Fate, Group, Reason, evaluate};
use crate::source::SourceFile;

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn policy(rules: &str) -> Policy {
    let text = format!("version: 1\nrules:\n{rules}");
    crate::parse(&SourceFile::new("p.yaml", text)).unwrap_or_else(|e| panic!("{e:#?}"))
}

fn digest(n: u8) -> Digest {
    let mut b = [0u8; 32];
    b[31] = n;
    Digest::from_bytes(b)
}

/// Image `n` pushed `age` minutes before `now`.
fn img(n: u8, tags: &[&str], age: i64) -> Image {
    Image::new(digest(n), tags, now() - SignedDuration::from_mins(age))
}

fn expired(p: &Policy, images: &[Image]) -> Vec<u8> {
    evaluate(p, images, Some("repo"), now())
        .expired(images)
        .iter()
        .map(|d| d.as_bytes()[31])
        .collect()
}

#[test]
fn a_hotfix_pushed_late_does_not_push_a_higher_release_out() {
    let images = [
        img(1, &["v2.1.0"], 30),
        img(2, &["v2.0.0"], 40),
        img(3, &["v1.9.3"], 50),
        img(4, &["v1.9.4"], 1), // the hotfix, pushed last
        img(5, &["latest", "v2.0.1"], 35),
        img(6, &["nightly"], 0), // no version: after every versioned image
    ];
    let by_version = policy("  - {name: r, match: any, keep: {newest: 3, by: version}}\n");
    assert_eq!(expired(&by_version, &images), vec![3, 4, 6]);
    let by_push = policy("  - {name: r, match: any, keep: {newest: 3}}\n");
    assert_eq!(expired(&by_push, &images), vec![2, 3, 5]);
    let e = evaluate(&by_version, &images, Some("repo"), now());
    assert_eq!(
        e.decisions[4].reason,
        Reason::Ranked {
            rank: 2,
            limit: 3,
            by: crate::dsl::policy::Order::Version,
            version: Some("v2.0.1".into()),
            group: None,
        }
    );
    assert!(matches!(
        e.decisions[5].reason,
        Reason::Ranked {
            rank: 6,
            version: None,
            ..
        }
    ));
}

#[test]
fn equal_versions_rank_newer_push_first_then_digest() {
    let p = policy("  - {name: r, match: any, keep: {newest: 1, by: version}}\n");
    // `v1.2` and `1.2.0+b7` are the same version: the newer push wins.
    let images = [img(1, &["v1.2"], 10), img(2, &["1.2.0+b7"], 5)];
    assert_eq!(expired(&p, &images), vec![1]);
    let images = [img(9, &["v1.2"], 5), img(3, &["1.2.0"], 5)];
    assert_eq!(expired(&p, &images), vec![9]);
}

#[test]
fn release_lines_keep_their_highest_patches() {
    // DESIGN.md §3.5's example (with 2): the highest patch releases of every minor line.
    let p = policy(
        "  - name: releases\n    match: { tags: [\"v*\"] }\n    keep: { newest: 2, by: version, per: 'v?(\\d+\\.\\d+)\\..*' }\n",
    );
    let images = [
        img(1, &["v1.4.0"], 90),
        img(2, &["v1.4.1"], 80),
        img(3, &["v1.4.2"], 70),
        img(4, &["v1.5.0"], 60),
        img(5, &["v1.4.3"], 1), // a late hotfix of the old line
        img(6, &["v2.0.0-rc.1"], 50),
        img(7, &["v2.0.0-rc.2"], 40),
        img(8, &["v2.0.0-rc.10"], 45),
        img(9, &["v2"], 20), // no patch: matches `v*` but no line; a group of its own
    ];
    assert_eq!(expired(&p, &images), vec![1, 2, 6]);
    let e = evaluate(&p, &images, Some("repo"), now());
    assert_eq!(
        e.decisions[1].reason,
        Reason::Ranked {
            rank: 3,
            limit: 2,
            by: crate::dsl::policy::Order::Version,
            version: Some("v1.4.1".into()),
            group: Some(Group::Captures(vec![Some("1.4".into())])),
        }
    );
    assert!(matches!(
        &e.decisions[8].reason,
        Reason::Ranked {
            rank: 1,
            group: Some(Group::Unmatched),
            ..
        }
    ));
}

#[test]
fn branches_keep_their_newest_builds_and_an_image_in_two_groups_is_kept_by_either() {
    let p = policy(
        "  - name: branches\n    match: { tags: [\"feature-*\"] }\n    keep: { newest: 2, per: 'feature-(.+)-[0-9a-f]{7}' }\n",
    );
    let images = [
        img(1, &["feature-login-1111111"], 50),
        img(2, &["feature-login-2222222"], 40),
        img(3, &["feature-login-3333333"], 30),
        img(4, &["feature-search-4444444"], 45),
        // Third of `login`, but first of `cart`: kept.
        img(5, &["feature-login-5555555", "feature-cart-5555555"], 35),
        img(6, &["feature-notes"], 10),
    ];
    assert_eq!(expired(&p, &images), vec![1, 2]);
    let e = evaluate(&p, &images, Some("repo"), now());
    assert_eq!(
        e.decisions[4].reason,
        Reason::Ranked {
            rank: 1,
            limit: 2,
            by: crate::dsl::policy::Order::Push,
            version: None,
            group: Some(Group::Captures(vec![Some("cart".into())])),
        }
    );
}

#[test]
fn other_keys_stay_alternatives() {
    let p = policy(
        "  - {name: r, match: any, keep: {newest: 1, by: version, per: 'v(\\d+)\\..*', within: 1h}}\n",
    );
    let images = [
        img(1, &["v1.0.0"], 300),
        img(2, &["v1.1.0"], 200),
        img(3, &["v1.0.1"], 30), // young: kept by `within`
        img(4, &["v2.0.0"], 400),
    ];
    assert_eq!(expired(&p, &images), vec![1]);
}

// --- Properties -------------------------------------------------------------------------------

const TAGS: &[&str] = &[
    "v1.2.3",
    "1.2.4",
    "v1.3",
    "v1.3.0+b1",
    "v2.0.0-rc.1",
    "v2.0.0",
    "V2.1",
    "2026.01.15",
    "latest",
    "main",
    "feature-a-1a2b3c4",
    "feature-b-7654321",
    "v1",
    "release-1.2",
];

const PERS: &[&str] = &[
    r"v?(\d+)\..*",
    r"[vV]?(\d+\.\d+).*",
    r"feature-(.+)-[0-9a-f]{7}",
    r"(main|latest)",
    r"(?:release-)?v?(\d+)(\.\d+)?.*",
];

fn arb_images() -> impl Strategy<Value = Vec<Image>> {
    prop::collection::vec(
        (0i64..12, prop::collection::btree_set(0..TAGS.len(), 0..3)),
        0..14,
    )
    .prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(|(n, (age, tags))| {
                let tags: Vec<&str> = tags.into_iter().map(|t| TAGS[t]).collect();
                img(n as u8 + 1, &tags, age)
            })
            .collect()
    })
}

fn kept(p: &Policy, images: &[Image]) -> BTreeSet<Digest> {
    evaluate(p, images, Some("repo"), now()).with_fate(images, Fate::Keep)
}

fn yaml_quoted(re: &str) -> String {
    format!("'{}'", re.replace('\'', "''"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The model: each group (by the regex itself, in this test) counted as a repository of
    /// its own; an image is kept exactly when one of its groups keeps it.
    #[test]
    fn per_keeps_the_union_of_what_each_group_keeps(
        images in arb_images(),
        n in 1u32..4,
        version in any::<bool>(),
        per in 0..PERS.len(),
    ) {
        let by = if version { "version" } else { "push" };
        let full = policy(&format!(
            "  - {{name: r, match: any, keep: {{newest: {n}, by: {by}, per: {}}}}}\n",
            yaml_quoted(PERS[per])
        ));
        let alone = policy(&format!(
            "  - {{name: r, match: any, keep: {{newest: {n}, by: {by}}}}}\n"
        ));
        let re = regex::Regex::new(&format!("^(?:{})$", PERS[per])).unwrap();
        let mut groups: BTreeMap<Option<Vec<Option<String>>>, Vec<Image>> = BTreeMap::new();
        for image in &images {
            let mut named: BTreeSet<Vec<Option<String>>> = BTreeSet::new();
            for tag in image.tags.iter() {
                if let Some(c) = re.captures(tag) {
                    named.insert(c.iter().skip(1).map(|m| m.map(|m| m.as_str().to_string())).collect());
                }
            }
            if named.is_empty() {
                groups.entry(None).or_default().push(image.clone());
            }
            for g in named {
                groups.entry(Some(g)).or_default().push(image.clone());
            }
        }
        let mut expected = BTreeSet::new();
        for members in groups.values() {
            expected.extend(kept(&alone, members));
        }
        prop_assert_eq!(kept(&full, &images), expected);
    }

    /// All governed images in one group: the same as no `per` (one group named by an empty
    /// capture, or the group of images no tag of which matches).
    #[test]
    fn per_with_one_group_is_no_per(
        images in arb_images(),
        n in 1u32..5,
        version in any::<bool>(),
        never in any::<bool>(),
    ) {
        let by = if version { "version" } else { "push" };
        let per = if never { "(never)" } else { ".*()" };
        let grouped = policy(&format!(
            "  - {{name: r, match: {{untagged: false}}, keep: {{newest: {n}, by: {by}, per: '{per}'}}}}\n"
        ));
        let plain = policy(&format!(
            "  - {{name: r, match: {{untagged: false}}, keep: {{newest: {n}, by: {by}}}}}\n"
        ));
        prop_assert_eq!(expired(&grouped, &images), expired(&plain, &images));
    }

    /// Where the version order is the push order (versions rise with push time; the images
    /// without a version were pushed before all the others), `by: version` is `by: push`.
    #[test]
    fn by_version_is_by_push_where_versions_follow_pushes(
        specs in prop::collection::vec((0i64..10, any::<bool>(), 0u8..3), 0..14),
        n in 1u32..5,
        per in prop::option::of(0..PERS.len()),
    ) {
        let images: Vec<Image> = specs
            .iter()
            .enumerate()
            .map(|(i, &(age, versioned, extra))| {
                let tag = if versioned {
                    // Younger, higher; spelled several ways.
                    let minor = 20 - age;
                    match extra {
                        0 => format!("v1.{minor}"),
                        1 => format!("1.{minor}.0+build.{i}"),
                        _ => format!("V1.{minor}.0"),
                    }
                } else {
                    format!("feature-x{extra}-1a2b3c4")
                };
                // Unversioned images are pushed before every versioned one.
                let age = if versioned { age } else { 100 + age };
                let extra_tag = ["latest", "main", "release-1.2"][usize::from(extra)];
                img(i as u8 + 1, &[&tag, extra_tag], age)
            })
            .collect();
        let per = per.map_or(String::new(), |p| format!(", per: {}", yaml_quoted(PERS[p])));
        let by_version = policy(&format!(
            "  - {{name: r, match: any, keep: {{newest: {n}, by: version{per}}}}}\n"
        ));
        let by_push = policy(&format!(
            "  - {{name: r, match: any, keep: {{newest: {n}, by: push{per}}}}}\n"
        ));
        prop_assert_eq!(expired(&by_version, &images), expired(&by_push, &images));
    }
}
