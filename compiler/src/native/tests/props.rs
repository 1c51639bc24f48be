//! Properties of the validator and simulator over random policies and repositories.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use crate::image::{Digest, Image, ImageStatus};
use crate::native::{
    Action, Cause, Count, LifecyclePolicy, NativeRule, Selection, StorageClass, TagFilter,
    ValidPolicy, parse_and_validate, simulate, validate,
};

const NOW: Timestamp = Timestamp::constant(1_750_000_000, 0);
const TAGS: [&str; 4] = ["a1", "b1", "a2", "c"];

fn hours_ago(h: i64) -> Timestamp {
    NOW - SignedDuration::from_hours(h)
}

fn count() -> impl Strategy<Value = Count> {
    prop_oneof![
        (1i64..4).prop_map(Count::MoreThan),
        (1i64..10).prop_map(Count::PushedDaysAgo),
        (1i64..10).prop_map(Count::PulledDaysAgo),
    ]
}

fn tagged() -> impl Strategy<Value = Selection> {
    let entries = prop::sample::subsequence(vec!["a", "b", "a*", "*1", "c", "*"], 1..3);
    (entries, any::<bool>(), count()).prop_map(|(entries, prefixes, count)| {
        if prefixes {
            Selection::tagged_prefixes(entries.iter().map(|e| e.trim_matches('*')), count)
        } else {
            Selection::tagged_patterns(entries, count)
        }
    })
}

fn rule_for(priority: i64, selection: Selection, archive: bool) -> NativeRule {
    let action = if archive || selection.count_type == crate::native::CountType::SinceImagePulled {
        Action::transition_to_archive()
    } else {
        Action::expire()
    };
    NativeRule::new(priority, selection, action)
}

/// Policies of the shapes ECR accepts: tagged rules, at most one untagged rule, an optional
/// `any` rule last, and an optional archive rule.
fn policy() -> impl Strategy<Value = ValidPolicy> {
    let standard = (
        prop::collection::vec((tagged(), any::<bool>()), 0..4),
        prop::option::of((count(), any::<bool>())),
        prop::option::of((count(), any::<bool>())),
    );
    let archive = prop::option::of(90i64..200);
    (standard, archive).prop_filter_map("ECR refuses it", |((tagged, untagged, any), archive)| {
        let mut selections: Vec<(Selection, bool)> = tagged;
        selections.extend(untagged.map(|(c, a)| (Selection::untagged(c), a)));
        selections.extend(any.map(|(c, a)| (Selection::any(c), a)));
        let mut rules: Vec<NativeRule> = selections
            .into_iter()
            .zip(1..)
            .map(|((s, a), p)| rule_for(p, s, a))
            .collect();
        if let Some(days) = archive {
            rules.push(NativeRule::new(
                100,
                Selection::any(Count::TransitionedDaysAgo(days)).in_archive(),
                Action::expire(),
            ));
        }
        validate(LifecyclePolicy::new(rules)).ok()
    })
}

fn images() -> impl Strategy<Value = Vec<Image>> {
    let one = (
        prop::sample::subsequence(TAGS.to_vec(), 0..3),
        0i64..400,
        prop::option::of(0i64..400),
        prop_oneof![
            4 => Just(ImageStatus::Active),
            2 => Just(ImageStatus::Archived),
            1 => Just(ImageStatus::Activating),
        ],
        prop::option::of(0i64..6000),
        prop::sample::subsequence((1u8..=10).collect::<Vec<_>>(), 0..3),
        prop::option::of(1u8..=10),
    );
    prop::collection::vec(one, 0..10).prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(
                |(i, (tags, pushed, pulled, status, archived, children, subject))| {
                    let n = i as u8 + 1;
                    Image {
                        last_pulled_at: pulled.map(|h| hours_ago(h * 24)),
                        status,
                        archived_at: archived.map(hours_ago),
                        children: children
                            .into_iter()
                            .filter(|&c| c != n)
                            .map(|c| Digest::from_bytes([c; 32]))
                            .collect(),
                        subject: subject
                            .filter(|&s| s != n)
                            .map(|s| Digest::from_bytes([s; 32])),
                        ..Image::new(Digest::from_bytes([n; 32]), &tags, hours_ago(pushed * 24))
                    }
                },
            )
            .collect()
    })
}

proptest! {
    #[test]
    fn parsing_never_panics(text in "\\PC{0,200}") {
        let _ = parse_and_validate(&text);
    }

    #[test]
    fn parsing_mangled_policies_never_panics(cut in 0usize..400, junk in "[\\[\\]{}:,\"0-9a-z -]{0,5}") {
        let text = LifecyclePolicy::new(vec![
            rule_for(1, Selection::tagged_patterns(["a*"], Count::MoreThan(2)), false),
            rule_for(2, Selection::any(Count::PulledDaysAgo(30)), true),
        ])
        .to_json_pretty();
        let cut = text.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(text.len());
        let (head, tail) = text.split_at(cut);
        let _ = parse_and_validate(&format!("{head}{junk}{tail}"));
    }

    #[test]
    fn outcome_is_consistent(policy in policy(), images in images()) {
        let out = simulate(&policy, &images, NOW);
        prop_assert!(out.expired.is_disjoint(&out.transitioned));
        let acted: BTreeSet<Digest> = out.expired.union(&out.transitioned).copied().collect();
        prop_assert_eq!(&acted, &out.causes.keys().copied().collect::<BTreeSet<_>>());

        let mut reversed = images.clone();
        reversed.reverse();
        prop_assert_eq!(&simulate(&policy, &reversed, NOW), &out, "input order matters");

        let mut rules: Vec<(&NativeRule, &TagFilter)> = policy.filtered_rules().collect();
        rules.sort_by_key(|(r, _)| r.rule_priority);
        for img in &images {
            let Some(cause) = out.causes.get(&img.digest) else { continue };
            // Never acted on while a live index lists it.
            let listed_by_live_index = images.iter().any(|p| {
                p.status == ImageStatus::Active
                    && !acted.contains(&p.digest)
                    && p.children.contains(&img.digest)
            });
            prop_assert!(!listed_by_live_index, "{} is in a live index", img.digest);
            match *cause {
                Cause::Rule { priority } => {
                    // The shield: the acting rule is the first of its class to match.
                    let class = match img.status {
                        ImageStatus::Active => StorageClass::Standard,
                        ImageStatus::Archived => StorageClass::Archive,
                        ImageStatus::Activating => {
                            return Err(TestCaseError::fail("a rule acted on an activating image"));
                        }
                    };
                    let first = rules
                        .iter()
                        .find(|(r, f)| r.storage_class() == class && f.matches(&img.tags));
                    prop_assert_eq!(first.map(|(r, _)| r.rule_priority), Some(priority));
                }
                Cause::Subject(subject) => {
                    prop_assert_eq!(img.subject, Some(subject));
                    prop_assert!(acted.contains(&subject));
                }
            }
        }
    }
}
