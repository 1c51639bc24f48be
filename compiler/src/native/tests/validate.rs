//! One test per documented check, each quoting the AWS sentence it encodes. Page names:
//! - PROPERTIES: "Lifecycle policy properties in Amazon ECR" (lifecycle_policy_parameters)
//! - EVALUATION: "Automate the cleanup of images by using lifecycle policies in Amazon ECR",
//!   section "Lifecycle policy evaluation rules" (LifecyclePolicies)
//! - EXAMPLES: "Examples of lifecycle policies in Amazon ECR" (lifecycle_policy_examples)
//! - QUOTAS: "Amazon ECR service quotas"; API: the `PutLifecyclePolicy` API reference.

use crate::native::validate::{MAX_POLICY_CHARS, MAX_RULES};
use crate::native::{
    Action, ActionType, Count, CountType, CountUnit, LifecyclePolicy, NativeError,
    NativeErrorKind as K, NativeRule, RuleRef, Selection, StorageClass, TagStatus,
    parse_and_validate, validate,
};

fn rule(priority: i64, selection: Selection) -> NativeRule {
    NativeRule::new(priority, selection, Action::expire())
}

fn kinds(rules: Vec<NativeRule>) -> Vec<K> {
    match validate(LifecyclePolicy::new(rules)) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.kind).collect(),
    }
}

fn errors(rules: Vec<NativeRule>) -> Vec<NativeError> {
    validate(LifecyclePolicy::new(rules))
        .err()
        .unwrap_or_default()
}

#[track_caller]
fn assert_valid(rules: Vec<NativeRule>) {
    assert_eq!(kinds(rules), Vec::<K>::new());
}

#[track_caller]
fn assert_only(rules: Vec<NativeRule>, expected: K) {
    assert_eq!(kinds(rules), vec![expected]);
}

fn tagged(patterns: &[&str]) -> Selection {
    Selection::tagged_patterns(patterns.iter().copied(), Count::MoreThan(3))
}

#[test]
fn needs_at_least_one_rule() {
    // LifecyclePolicies: "A lifecycle policy contains one or more rules, and each rule defines
    // an action for Amazon ECR."
    let errs = parse_and_validate(r#"{"rules": []}"#).unwrap_err();
    let kinds: Vec<_> = errs.into_iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&K::NoRules), "{kinds:?}");
}

#[test]
fn at_most_fifty_rules() {
    // QUOTAS: "Rules per lifecycle policy | Each supported Region: 50 | No | The maximum number
    // of rules in a lifecycle policy"
    let rules = |n: i64| -> Vec<NativeRule> {
        (1..=n)
            .map(|p| rule(p, tagged(&[&format!("r{p}-*")])))
            .collect()
    };
    assert_valid(rules(MAX_RULES as i64));
    assert_only(
        rules(MAX_RULES as i64 + 1),
        K::TooManyRules { count: 51, max: 50 },
    );
}

#[test]
fn policy_text_is_between_100_and_30720_characters() {
    // QUOTAS: "Lifecycle policy length | Each supported Region: 30,720 | No | The maximum number of
    // characters in a lifecycle policy."
    // API (lifecyclePolicyText): "Length Constraints: Minimum length of 100. Maximum length of
    // 30720."
    let long_pattern = "x".repeat(MAX_POLICY_CHARS);
    let errs = kinds(vec![rule(1, tagged(&[&long_pattern]))]);
    assert!(
        matches!(errs.as_slice(), [K::TextTooLong { max: 30_720, .. }]),
        "{errs:?}"
    );

    let text = LifecyclePolicy::new(vec![rule(1, tagged(&["a*"]))]).to_json_compact();
    let padded = format!("{text}{}", " ".repeat(MAX_POLICY_CHARS - text.len()));
    assert!(parse_and_validate(&padded).is_ok());
    let errs = parse_and_validate(&format!("{padded} ")).unwrap_err();
    assert_eq!(
        errs[0].kind,
        K::TextTooLong {
            chars: 30_721,
            max: 30_720
        }
    );

    let errs = parse_and_validate(r#"{"rules":[]}"#).unwrap_err();
    assert_eq!(
        errs[0].kind,
        K::TextTooShort {
            chars: 12,
            min: 100
        }
    );
    // The shortest one-rule policy is still long enough.
    let shortest = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#;
    assert!(shortest.len() >= 100);
    assert!(parse_and_validate(shortest).is_ok());
}

#[test]
fn priorities_are_unique() {
    // PROPERTIES: "When you add rules to a lifecycle policy, you must give them each a unique
    // value for `rulePriority`. Values don't need to be sequential across rules in a policy."
    assert_valid(vec![rule(3, tagged(&["a*"])), rule(70, tagged(&["b*"]))]);
    let errs = errors(vec![rule(3, tagged(&["a*"])), rule(3, tagged(&["b*"]))]);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].kind, K::DuplicatePriority { first_index: 0 });
    assert_eq!(
        errs[0].rule,
        Some(RuleRef {
            index: 1,
            priority: 3
        })
    );
}

#[test]
fn priorities_start_at_one() {
    // PROPERTIES: "A lifecycle policy rule with a priority of `1` is applied first, a rule with
    // priority of `2` is next, and so on." (1 is the first priority; the AWS Terraform
    // provider enforces `priority >= 1` for the same reason.)
    assert_only(vec![rule(0, tagged(&["a*"]))], K::PriorityNotPositive);
    assert_only(vec![rule(-1, tagged(&["a*"]))], K::PriorityNotPositive);
    // PROPERTIES (rulePriority): "Type: integer" — 32 bits in ECR's API.
    assert_valid(vec![rule(i64::from(i32::MAX), tagged(&["a*"]))]);
    assert_only(
        vec![rule(i64::from(i32::MAX) + 1, tagged(&["a*"]))],
        K::PriorityTooLarge {
            max: i64::from(i32::MAX),
        },
    );
}

#[test]
fn tagged_needs_a_list() {
    // PROPERTIES: "If you specify `tagged`, then you must also specify a `tagPrefixList` value
    // or a `tagPatternList` value."
    let mut sel = tagged(&["a*"]);
    sel.tag_pattern_list = None;
    assert_only(vec![rule(1, sel.clone())], K::TaggedWithoutList);
    sel.tag_prefix_list = Some(vec![]);
    assert_only(
        vec![rule(1, sel)],
        K::EmptyTagList {
            field: "tagPrefixList",
        },
    );
}

#[test]
fn tagged_takes_one_list_not_both() {
    // EVALUATION: "A lifecycle policy rule may specify either `tagPatternList` or
    // `tagPrefixList`, but not both. However, a lifecycle policy may contain multiple rules
    // where different rules use both pattern and prefix lists."
    let mut both = tagged(&["a*"]);
    both.tag_prefix_list = Some(vec!["b".into()]);
    assert_only(vec![rule(1, both)], K::TaggedWithBothLists);
    assert_valid(vec![
        rule(1, tagged(&["a*"])),
        rule(
            2,
            Selection::tagged_prefixes(["b"], Count::PushedDaysAgo(3)),
        ),
    ]);
}

#[test]
fn untagged_and_any_take_no_list() {
    // PROPERTIES: "If you specify `untagged`, then you must omit both `tagPrefixList` and
    // `tagPatternList`."
    // EVALUATION: "The `tagPatternList` or `tagPrefixList` parameters may only used if the
    // `tagStatus` is `tagged`."
    let mut untagged = Selection::untagged(Count::MoreThan(1));
    untagged.tag_prefix_list = Some(vec!["a".into()]);
    assert_only(
        vec![rule(1, untagged)],
        K::TagListNotAllowed {
            field: "tagPrefixList",
            status: TagStatus::Untagged,
        },
    );
    let mut any = Selection::any(Count::MoreThan(1));
    any.tag_pattern_list = Some(vec![]);
    assert_only(
        vec![rule(1, any)],
        K::TagListNotAllowed {
            field: "tagPatternList",
            status: TagStatus::Any,
        },
    );
}

#[test]
fn at_most_four_wildcards_per_pattern() {
    // PROPERTIES: "There is a maximum limit of four wildcards (`*`) per string. For example,
    // `["*test*1*2*3", "test*1*2*3*"]` is valid but `["test*1*2*3*4*5*6"]` is invalid."
    assert_valid(vec![rule(1, tagged(&["*test*1*2*3", "test*1*2*3*"]))]);
    assert_only(
        vec![rule(1, tagged(&["test*1*2*3*4*5*6"]))],
        K::TooManyWildcards {
            pattern: "test*1*2*3*4*5*6".into(),
            count: 6,
            max: 4,
        },
    );
}

#[test]
fn count_number_is_positive() {
    // PROPERTIES: "Specify a count number. Acceptable values are positive integers (`0` is not
    // an accepted value)."
    for n in [0, -5] {
        assert_only(
            vec![rule(1, Selection::untagged(Count::MoreThan(n)))],
            K::CountNumberNotPositive { count_number: n },
        );
    }
    assert_valid(vec![rule(1, Selection::untagged(Count::MoreThan(1)))]);
    // PROPERTIES (countNumber): "Type: integer" — a 32-bit integer in ECR's API, so the
    // largest is 2147483647 (a "keep forever" written as a huge number is still one).
    assert_valid(vec![rule(
        1,
        Selection::untagged(Count::PushedDaysAgo(i64::from(i32::MAX))),
    )]);
    assert_only(
        vec![rule(
            1,
            Selection::untagged(Count::PushedDaysAgo(i64::from(i32::MAX) + 1)),
        )],
        K::CountNumberTooLarge {
            count_number: i64::from(i32::MAX) + 1,
            max: i64::from(i32::MAX),
        },
    );
}

#[test]
fn count_unit_goes_with_the_since_types_only() {
    // PROPERTIES (countUnit): "Required: yes, only if `countType` is set to
    // `sinceImagePushed`, `sinceImagePulled`, or `sinceImageTransitioned`" and "This should
    // only be specified when `countType` is `sinceImagePushed`, `sinceImagePulled`, or
    // `sinceImageTransitioned`; an error will occur if you specify a count unit when
    // `countType` is any other value."
    let mut missing = Selection::untagged(Count::PushedDaysAgo(14));
    missing.count_unit = None;
    assert_only(
        vec![rule(1, missing)],
        K::CountUnitMissing {
            count_type: CountType::SinceImagePushed,
        },
    );
    let mut extra = Selection::untagged(Count::MoreThan(1));
    extra.count_unit = Some(CountUnit::Days);
    assert_only(
        vec![rule(1, extra)],
        K::CountUnitNotAllowed {
            count_type: CountType::ImageCountMoreThan,
        },
    );
    // Only `days` exists; anything else does not parse.
    let weeks = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"weeks","countNumber":1},"action":{"type":"expire"}}]}"#;
    let errs = parse_and_validate(weeks).unwrap_err();
    assert!(
        errs[0].to_string().contains("unknown variant `weeks`"),
        "{}",
        errs[0]
    );
}

#[test]
fn since_image_pulled_only_transitions() {
    // EXAMPLES ("Filtering on last pulled time"): "The `sinceImagePulled` count type must be
    // used with the `transition` action. It cannot be used with the `expire` action."
    assert_only(
        vec![rule(1, Selection::any(Count::PulledDaysAgo(90)))],
        K::PulledNeedsTransition,
    );
    assert_valid(vec![NativeRule::new(
        1,
        Selection::any(Count::PulledDaysAgo(90)),
        Action::transition_to_archive(),
    )]);
}

#[test]
fn since_image_transitioned_needs_archive_class_and_expire() {
    // EXAMPLES ("Filtering on archive transition time"): "The `sinceImageTransitioned` count
    // type must be used with the `expire` action and the `archive` storage class."
    // PROPERTIES (storageClass): "When using a count type of `sinceImageTransitioned`, this is
    // required, and the only supported value is `archive`."
    assert_only(
        vec![rule(1, Selection::any(Count::TransitionedDaysAgo(365)))],
        K::TransitionedNeedsArchive,
    );
    let mut standard = Selection::any(Count::TransitionedDaysAgo(365));
    standard.storage_class = Some(StorageClass::Standard);
    assert_only(vec![rule(1, standard)], K::TransitionedNeedsArchive);
    assert_only(
        vec![NativeRule::new(
            1,
            Selection::any(Count::TransitionedDaysAgo(365)).in_archive(),
            Action::transition_to_archive(),
        )],
        K::TransitionedNeedsExpire,
    );
    assert_valid(vec![rule(
        1,
        Selection::any(Count::TransitionedDaysAgo(365)).in_archive(),
    )]);
}

#[test]
fn archived_images_stay_ninety_days() {
    // EXAMPLES: "Images must be in archive storage for a minimum of 90 days before deletion."
    // and "Archived images have a minimum storage duration of 90 days. You cannot configure
    // lifecycle policies that delete images that have been in archive for less than 90 days."
    assert_only(
        vec![rule(
            1,
            Selection::any(Count::TransitionedDaysAgo(89)).in_archive(),
        )],
        K::TransitionedTooSoon {
            count_number: 89,
            min: 90,
        },
    );
    assert_valid(vec![rule(
        1,
        Selection::any(Count::TransitionedDaysAgo(90)).in_archive(),
    )]);
}

#[test]
fn archive_rules_only_count_time_in_archive() {
    // PROPERTIES (storageClass): "When using a `countType` of `imageCountMoreThan`,
    // `sinceImagePushed`, or `sinceImagePulled`, the only supported value is `standard`."
    // So an archive rule is always sinceImageTransitioned, hence always `expire`.
    for count in [
        Count::MoreThan(5),
        Count::PushedDaysAgo(100),
        Count::PulledDaysAgo(100),
    ] {
        let action = if count.count_type() == CountType::SinceImagePulled {
            Action::transition_to_archive()
        } else {
            Action::expire()
        };
        assert_only(
            vec![NativeRule::new(
                1,
                Selection::any(count).in_archive(),
                action,
            )],
            K::ArchiveNeedsTransitioned {
                count_type: count.count_type(),
            },
        );
    }
}

#[test]
fn transition_targets_the_archive() {
    // PROPERTIES (targetStorageClass): "Required: yes, if `type` is `transition`" and "The
    // storage class you want the lifecycle policy to transition the image to. `archive` is the
    // only supported value."
    let mut no_target = Action::transition_to_archive();
    no_target.target_storage_class = None;
    assert_only(
        vec![NativeRule::new(
            1,
            Selection::any(Count::PushedDaysAgo(30)),
            no_target,
        )],
        K::TransitionNeedsTarget,
    );
    let mut standard = Action::transition_to_archive();
    standard.target_storage_class = Some(StorageClass::Standard);
    assert_only(
        vec![NativeRule::new(
            1,
            Selection::any(Count::PushedDaysAgo(30)),
            standard,
        )],
        K::TargetNotArchive,
    );
    // Not stated by AWS, refused so a rule cannot look like it archives when it deletes.
    let mut expire_to = Action::expire();
    expire_to.target_storage_class = Some(StorageClass::Archive);
    assert_eq!(expire_to.action_type, ActionType::Expire);
    assert_only(
        vec![NativeRule::new(
            1,
            Selection::any(Count::PushedDaysAgo(30)),
            expire_to,
        )],
        K::TargetWithoutTransition,
    );
}

#[test]
fn one_untagged_rule_per_storage_class() {
    // EVALUATION: "Only one rule selecting a specific storage class is allowed to select
    // untagged images."
    // (`any` rules do not count: EXAMPLES "Filtering on all images, Example B" combines an
    // untagged rule and an any rule.)
    let errs = errors(vec![
        rule(1, Selection::untagged(Count::MoreThan(5))),
        rule(2, Selection::untagged(Count::PushedDaysAgo(5))),
    ]);
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].kind,
        K::SecondUntaggedRule {
            storage_class: StorageClass::Standard,
            first_priority: 1,
        }
    );
    assert_eq!(errs[0].rule.map(|r| r.index), Some(1));
    assert_valid(vec![
        rule(1, Selection::untagged(Count::PushedDaysAgo(5))),
        rule(
            2,
            Selection::untagged(Count::TransitionedDaysAgo(100)).in_archive(),
        ),
        rule(3, Selection::any(Count::MoreThan(5))),
    ]);
}

#[test]
fn any_rule_comes_last_in_its_storage_class() {
    // PROPERTIES: "A rule with a `tagStatus` value of `any` must have the highest value for
    // `rulePriority` and be evaluated last."
    // Per storage class: EXAMPLES "Combining archive and expire rules" puts a standard `any`
    // rule (priority 1) before an archive `any` rule (priority 2).
    assert_only(
        vec![
            rule(1, Selection::any(Count::MoreThan(5))),
            rule(2, tagged(&["a*"])),
        ],
        K::AnyNotLast {
            storage_class: StorageClass::Standard,
            later_priority: 2,
        },
    );
    assert_valid(vec![
        NativeRule::new(
            1,
            Selection::any(Count::PushedDaysAgo(30)),
            Action::transition_to_archive(),
        ),
        rule(
            2,
            Selection::any(Count::TransitionedDaysAgo(365)).in_archive(),
        ),
    ]);
    // Two `any` rules in one class: the first is not last.
    let errs = errors(vec![
        rule(1, Selection::any(Count::MoreThan(5))),
        rule(2, Selection::any(Count::PushedDaysAgo(5))),
    ]);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].rule.map(|r| r.priority), Some(1));
}

#[test]
fn prefix_sets_are_unique_per_storage_class() {
    // EVALUATION: "The set of all rules selecting a specific storage class must contain a
    // unique set of prefixes."
    let prefixes = |p: &[&str], days| {
        Selection::tagged_prefixes(p.iter().copied(), Count::PushedDaysAgo(days))
    };
    assert_only(
        vec![
            rule(1, prefixes(&["prod", "v"], 10)),
            rule(2, prefixes(&["v", "prod", "v"], 20)),
        ],
        K::DuplicatePrefixSet {
            storage_class: StorageClass::Standard,
            other_priority: 1,
        },
    );
    assert_valid(vec![
        rule(1, prefixes(&["prod"], 10)),
        rule(2, prefixes(&["prod", "v"], 20)),
    ]);
}

#[test]
fn reports_every_problem_with_its_rule() {
    let text = r#"{"rules":[
      {"rulePriority":0,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countNumber":0},"action":{"type":"expire"}},
      {"rulePriority":0,"selection":{"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":30},"action":{"type":"expire"}}
    ]}"#;
    let errs = parse_and_validate(text).unwrap_err();
    let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "rules[0] (rulePriority 0): `rulePriority` must be a whole number of at least 1",
            "rules[0] (rulePriority 0): `countNumber` must be a positive whole number, found 0",
            "rules[0] (rulePriority 0): `countType: sinceImagePushed` needs `countUnit: days`",
            "rules[1] (rulePriority 0): `rulePriority` must be a whole number of at least 1",
            "rules[1] (rulePriority 0): `rulePriority` is also used by rules[0]; every rule needs its own",
            "rules[1] (rulePriority 0): `countType: sinceImagePulled` only works with the `transition` action; to delete by pull time, archive first and expire with `sinceImageTransitioned`",
        ]
    );
}

#[test]
fn valid_policy_reads_through_to_the_policy() {
    let valid = validate(LifecyclePolicy::new(vec![rule(1, tagged(&["a*"]))])).unwrap();
    assert_eq!(valid.rules.len(), 1);
    assert_eq!(valid.as_policy().rules[0].rule_priority, 1);
    assert_eq!(valid.clone().into_policy(), *valid.as_policy());
}

#[test]
fn never_panics_on_junk() {
    for text in [
        "",
        "null",
        "[]",
        "{}",
        "{\"rules\":null}",
        "{\"rules\":[null]}",
        "{\"rules\":[{}]}",
        "\u{feff}{}",
        "{\"rules\":[{\"rulePriority\":1e400}]}",
    ] {
        assert!(parse_and_validate(text).is_err(), "{text:?}");
    }
}
