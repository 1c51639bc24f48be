//! `import` then `compile` gives back exactly the applied policy (rules by priority,
//! descriptions included): for every example policy of the AWS page "Examples of lifecycle
//! policies in Amazon ECR", archive examples included, and for random policies of every shape
//! the validator accepts — archive rules for some archived images, prefixes and patterns, odd
//! descriptions, priorities and counts up to ECR's 32-bit limit.

#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops at the first surprise"
)]

mod common;

use ecr_lifecycle_compiler::dsl::Policy;
use ecr_lifecycle_compiler::import::to_dsl;
use ecr_lifecycle_compiler::native::{
    self, Action, Count, LifecyclePolicy, NativeRule, Selection, ValidPolicy, parse_and_validate,
};
use ecr_lifecycle_compiler::source::SourceFile;
use ecr_lifecycle_compiler::split;
use proptest::prelude::*;

fn canonical(mut p: LifecyclePolicy) -> String {
    p.rules.sort_by_key(|r| r.rule_priority);
    p.to_json_pretty()
}

#[track_caller]
fn valid(text: &str) -> ValidPolicy {
    parse_and_validate(text).unwrap_or_else(|e| panic!("{e:?}"))
}

/// Imports `applied`, checks the file, compiles it: the file and its native policy.
fn round_trip(applied: &ValidPolicy) -> Result<(String, LifecyclePolicy), String> {
    let yaml = to_dsl(applied, &["web".to_string()])?;
    let file = SourceFile::new("imported.yaml", yaml.clone());
    let policy: Policy =
        ecr_lifecycle_compiler::parse(&file).map_err(|e| format!("{e:#?}\n{yaml}"))?;
    let compiled = split::compile(&policy);
    if !compiled.warnings.is_empty() {
        return Err(format!("{:?}\n{yaml}", compiled.warnings));
    }
    let native = compiled
        .native
        .ok_or_else(|| format!("no native policy\n{yaml}"))?;
    Ok((yaml, native.into_policy()))
}

#[test]
fn every_example_round_trips() {
    let mut examples = common::standard_storage_examples();
    assert_eq!(examples.len(), 10);
    examples.extend(common::archive_examples());
    assert_eq!(examples.len(), 14);
    for (name, text) in examples {
        let applied = valid(&text);
        let (yaml, native) = round_trip(&applied).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            canonical(native),
            canonical(applied.into_policy()),
            "{name}:\n{yaml}"
        );
    }
}

#[test]
fn an_imported_archive_policy_reads_as_archive_rules() {
    let (yaml, _) = round_trip(&valid(common::ARCHIVE_THEN_EXPIRE)).unwrap();
    assert!(yaml.contains("archive:\n  expire_after: 365d\n"), "{yaml}");
    assert!(
        yaml.contains("    keep: { within: 30d }\n    otherwise: archive\n"),
        "{yaml}"
    );
}

#[test]
fn archive_rules_for_some_archived_images_are_imported_in_priority_order() {
    // Three archive rules (tagged by pattern, tagged by prefix, untagged), the `any` one with
    // a priority of its own, given out of order.
    let text = r#"{"rules":[
      {"rulePriority":9,"description":"Everything else after two years","selection":{"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":730},"action":{"type":"expire"}},
      {"rulePriority":4,"description":"Untagged after 90 days","selection":{"tagStatus":"untagged","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":90},"action":{"type":"expire"}},
      {"rulePriority":2,"description":"Archived builds","selection":{"tagStatus":"tagged","tagPatternList":["sha-*"],"storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":90},"action":{"type":"expire"}},
      {"rulePriority":3,"selection":{"tagStatus":"tagged","tagPrefixList":["v"],"storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":3650},"action":{"type":"expire"}},
      {"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":365000},"action":{"type":"transition","targetStorageClass":"archive"}}
    ]}"#;
    let applied = valid(text);
    let (yaml, native) = round_trip(&applied).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        canonical(native),
        canonical(applied.into_policy()),
        "{yaml}"
    );
    let archive = yaml
        .split("archive:\n")
        .nth(1)
        .and_then(|rest| rest.split("rules:\n  - ").next())
        .unwrap_or_default();
    assert_eq!(
        archive,
        "  expire_after: 730d
  description: \"Everything else after two years\"
  priority: 9
  rules:
    - name: archived-builds
      priority: 2
      description: \"Archived builds\"
      match: { tags_all: [\"sha-*\"] }
      expire_after: 90d
    - name: rule-3
      priority: 3
      match: { tag_prefixes: [\"v\"] }
      expire_after: 3650d
    - name: untagged-after-90-days
      priority: 4
      description: \"Untagged after 90 days\"
      match: { untagged: true }
      expire_after: 90d
",
        "{yaml}"
    );
    // "Keep forever", written as a huge number of days, is said as it is.
    assert!(yaml.contains("keep: { within: 365000d }"), "{yaml}");
}

#[test]
fn the_largest_numbers_ecr_accepts_round_trip() {
    let max = i64::from(i32::MAX);
    let applied = native::validate(LifecyclePolicy::new(vec![
        NativeRule::new(
            max - 1,
            Selection::untagged(Count::PushedDaysAgo(max)),
            Action::expire(),
        ),
        NativeRule::new(
            max,
            Selection::any(Count::TransitionedDaysAgo(max)).in_archive(),
            Action::expire(),
        ),
        NativeRule::new(
            1,
            Selection::tagged_prefixes(["v"], Count::MoreThan(max)),
            Action::expire(),
        ),
    ]))
    .unwrap();
    let (yaml, native) = round_trip(&applied).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        canonical(native),
        canonical(applied.into_policy()),
        "{yaml}"
    );
}

#[test]
fn patterns_and_descriptions_are_written_verbatim() {
    // ECR reads `?` and `/` literally, and a description may hold anything a JSON string can.
    let applied = native::validate(LifecyclePolicy::new(vec![
        NativeRule::new(
            1,
            Selection::tagged_patterns(["v?", "a/b*", "x*", "x*"], Count::MoreThan(3)),
            Action::expire(),
        )
        .with_description("tab\there, \"quotes\", \u{7f}\u{85}\u{feff}\u{2028} and ✓"),
        NativeRule::new(
            2,
            Selection::tagged_prefixes(["", "r c"], Count::PushedDaysAgo(9)),
            Action::expire(),
        )
        .with_description(""),
    ]))
    .unwrap();
    let (yaml, native) = round_trip(&applied).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        canonical(native),
        canonical(applied.into_policy()),
        "{yaml}"
    );
}

/// Tag lists of the shapes real policies have, odd ones included.
const PATTERNS: &[&str] = &["v*", "*", "prod", "*-rc*", "a?b", "feat/*", "*.*.*", "**"];
const PREFIXES: &[&str] = &["v", "release-", "", "feat/", "sha"];

fn tag_list() -> impl Strategy<Value = (bool, Vec<String>)> {
    (
        any::<bool>(),
        prop::collection::vec(prop::sample::select(PATTERNS), 1..3),
        prop::collection::vec(prop::sample::select(PREFIXES), 1..3),
    )
        .prop_map(|(prefixes, patterns, list)| {
            let chosen = if prefixes { list } else { patterns };
            (prefixes, chosen.into_iter().map(String::from).collect())
        })
}

/// Days and counts: small, around ECR's limits, and "forever" written as a huge number.
fn number(min: i64) -> impl Strategy<Value = i64> {
    let max = i64::from(i32::MAX);
    prop_oneof![
        4 => min..min + 400,
        1 => Just(36_500i64),
        1 => Just(365_000i64),
        1 => max - 3..=max,
        1 => min..=max,
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Status {
    Tagged,
    Untagged,
    Any,
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![3 => Just(Status::Tagged), 1 => Just(Status::Untagged), 1 => Just(Status::Any)]
}

/// A rule of the standard storage class: what it counts and whether it archives.
fn standard_rule() -> impl Strategy<Value = (Status, (bool, Vec<String>), Count, bool)> {
    let count = prop_oneof![
        number(1).prop_map(Count::MoreThan),
        number(1).prop_map(Count::PushedDaysAgo),
        number(1).prop_map(Count::PulledDaysAgo),
    ];
    (status(), tag_list(), count, any::<bool>()).prop_map(|(s, l, c, archive)| {
        // ECR archives, and never expires, by last pull.
        let archive = archive || matches!(c, Count::PulledDaysAgo(_));
        (s, l, c, archive)
    })
}

fn archive_rule() -> impl Strategy<Value = (Status, (bool, Vec<String>), i64)> {
    (status(), tag_list(), number(90))
}

fn selection(status: Status, (prefixes, list): (bool, Vec<String>), count: Count) -> Selection {
    match status {
        Status::Any => Selection::any(count),
        Status::Untagged => Selection::untagged(count),
        Status::Tagged if prefixes => Selection::tagged_prefixes(list, count),
        Status::Tagged => Selection::tagged_patterns(list, count),
    }
}

/// Policies the validator accepts, with rules in a random priority order (the `any` rule of
/// each storage class last within it, as ECR requires) and random descriptions.
fn applied_policy() -> impl Strategy<Value = ValidPolicy> {
    (
        prop::collection::vec(standard_rule(), 0..5),
        prop::collection::vec(archive_rule(), 0..5),
        prop::collection::vec(
            prop::option::weighted(0.5, prop_oneof![any::<String>(), "[a-z ]{0,20}"]),
            10,
        ),
        prop::collection::btree_set(1..=i64::from(i32::MAX), 10),
        Just((0..10).collect::<Vec<usize>>()).prop_shuffle(),
    )
        .prop_filter_map(
            "ECR refuses it",
            |(standard, archived, descriptions, priorities, order)| {
                let mut rules: Vec<NativeRule> = standard
                    .into_iter()
                    .map(|(s, l, c, archive)| {
                        let action = if archive {
                            Action::transition_to_archive()
                        } else {
                            Action::expire()
                        };
                        NativeRule::new(0, selection(s, l, c), action)
                    })
                    .chain(archived.into_iter().map(|(s, l, days)| {
                        let count = Count::TransitionedDaysAgo(days);
                        NativeRule::new(0, selection(s, l, count).in_archive(), Action::expire())
                    }))
                    .collect();
                let priorities: Vec<i64> = priorities.into_iter().collect();
                for (i, rule) in rules.iter_mut().enumerate() {
                    rule.rule_priority = priorities[order[i]];
                    rule.description = descriptions[i].clone();
                }
                // Within a storage class, the `any` rule takes the class's last priority.
                for class in [
                    native::StorageClass::Standard,
                    native::StorageClass::Archive,
                ] {
                    let members: Vec<usize> = (0..rules.len())
                        .filter(|&i| rules[i].storage_class() == class)
                        .collect();
                    let last = members
                        .iter()
                        .copied()
                        .max_by_key(|&i| rules[i].rule_priority);
                    let any = members
                        .iter()
                        .copied()
                        .find(|&i| rules[i].selection.tag_status == native::TagStatus::Any);
                    if let (Some(a), Some(l)) = (any, last) {
                        let (pa, pl) = (rules[a].rule_priority, rules[l].rule_priority);
                        rules[a].rule_priority = pl;
                        rules[l].rule_priority = pa;
                    }
                }
                native::validate(LifecyclePolicy::new(rules)).ok()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn every_policy_ecr_accepts_is_imported_and_compiles_back(applied in applied_policy()) {
        let (yaml, native) = round_trip(&applied).map_err(TestCaseError::fail)?;
        prop_assert_eq!(canonical(native), canonical(applied.into_policy()), "{}", yaml);
    }
}
