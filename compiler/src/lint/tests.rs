//! One test per trap, each from a native policy a user would plausibly write by hand, plus a
//! clean policy, policies ECR refuses, and checks that every example is what the simulator
//! says and that every suggestion checks and means what the rule order said.

use jiff::Timestamp;

use super::*;
use crate::image::Image;
use crate::native::{parse_and_validate, simulate};
use crate::source::SourceFile;

const NOW: Timestamp = Timestamp::constant(1_780_272_000, 0); // 2026-06-01T00:00:00Z

fn web(image_indexes: usize) -> Repository {
    Repository {
        name: "web".into(),
        image_indexes,
    }
}

/// The report on a policy applied to `web`, a repository that holds image indexes.
fn report(text: &str) -> Report {
    match lint(text, NOW, Some(&[web(1)])) {
        Ok(r) => r,
        Err(e) => panic!("not a policy: {e}"),
    }
}

fn kinds(r: &Report) -> Vec<(FindingKind, Option<i64>)> {
    r.findings
        .iter()
        .map(|f| (f.kind(), f.rule.map(|r| r.priority)))
        .collect()
}

fn example(f: &Finding) -> &Example {
    match &f.example {
        Some(e) => e,
        None => panic!("no example for {f:?}"),
    }
}

fn images(e: &Example) -> Vec<Image> {
    e.rows.iter().map(|r| r.image.clone()).collect()
}

fn suggestion(r: &Report) -> &str {
    match &r.suggestion {
        Some(Suggestion::Policy(text)) => text,
        other => panic!("no suggested policy: {other:?}"),
    }
}

/// Every example row says what the simulator does, and every suggestion checks and, over the
/// example's images, expires what the rule order says (index children aside: a policy file
/// keeps the children of a kept index, which is the point of that finding).
fn assert_consistent(text: &str, r: &Report) {
    let valid = parse_and_validate(text).expect("valid policy");
    let suggested = match &r.suggestion {
        Some(Suggestion::Policy(s)) => {
            Some(crate::parse(&SourceFile::new("s.yaml", s.clone())).expect("suggestion checks"))
        }
        _ => None,
    };
    for f in &r.findings {
        let e = example(f);
        let imgs = images(e);
        let outcome = simulate(&valid, &imgs, NOW);
        for row in &e.rows {
            let expired = outcome.expired.contains(&row.image.digest);
            assert_eq!(expired, row.ecr.treatment == Treatment::Expired, "{f:?}");
        }
        if let (Some(p), true) = (
            &suggested,
            f.kind() != FindingKind::UntaggedHitsIndexChildren,
        ) {
            let reference = crate::reference::evaluate(p, &imgs, Some("web"), NOW);
            for (row, d) in e.rows.iter().zip(&reference.decisions) {
                assert_eq!(
                    d.expires(),
                    row.meant.treatment == Treatment::Expired,
                    "{:?}: {:?}",
                    f.issue,
                    row.image.tags
                );
            }
        }
    }
}

/// "Keep prod images, and of the rest the newest 10": the AWS page's Example B trap.
const KEEP_PROD_THEN_TEN: &str = r#"{"rules": [
  {"rulePriority": 1, "description": "keep prod",
   "selection": {"tagStatus": "tagged", "tagPatternList": ["prod*"],
                 "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 3650},
   "action": {"type": "expire"}},
  {"rulePriority": 2, "description": "keep the 10 newest others",
   "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
   "action": {"type": "expire"}}
]}"#;

#[test]
fn a_count_below_a_protecting_rule_counts_the_protected_images() {
    let r = report(KEEP_PROD_THEN_TEN);
    assert_eq!(
        kinds(&r),
        [
            (FindingKind::CountIncludesProtected, Some(2)),
            (FindingKind::UntaggedHitsIndexChildren, Some(2))
        ]
    );
    let f = &r.findings[0];
    assert_eq!(f.other.map(|o| o.priority), Some(1));
    assert_eq!(f.position, Some(Position { line: 6, column: 3 }));
    let e = example(f);
    assert_eq!(
        e.rows.len(),
        11,
        "10 protected images and one of rule 2's own"
    );
    assert!(
        e.rows[..10]
            .iter()
            .all(|r| r.image.tags[0].starts_with("prod"))
    );
    let last = &e.rows[10];
    assert!(!last.image.is_tagged());
    assert_eq!(
        last.ecr,
        Fate {
            treatment: Treatment::Expired,
            rule: Some(2)
        }
    );
    assert_eq!(
        last.meant,
        Fate {
            treatment: Treatment::Kept,
            rule: Some(2)
        }
    );
    let s = suggestion(&r);
    assert!(s.contains("match: any\n    keep: { newest: 10 }"), "{s}");
    assert!(!s.contains("evaluation"), "{s}");
    assert_consistent(KEEP_PROD_THEN_TEN, &r);
}

/// Release tags kept by count under a protection of `latest`: exact tags name one image, so
/// the example fills the count with images of the rule's own.
#[test]
fn a_count_under_an_exact_tag_is_shown_with_the_one_image_it_can_have() {
    let text = r#"{"rules": [
      {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["latest"],
       "countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}},
      {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPatternList": ["*"],
       "countType": "imageCountMoreThan", "countNumber": 3}, "action": {"type": "expire"}}
    ]}"#;
    let r = report(text);
    assert_eq!(kinds(&r), [(FindingKind::CountIncludesProtected, Some(2))]);
    let e = example(&r.findings[0]);
    let tags: Vec<&str> = e.rows.iter().map(|r| &*r.image.tags[0]).collect();
    assert_eq!(tags[0], "latest");
    assert_eq!(e.rows.len(), 4);
    assert!(tags[1..].iter().all(|t| *t != "latest"));
    assert_consistent(text, &r);
}

#[test]
fn a_list_of_two_patterns_is_and_not_or() {
    // "Expire dev and staging builds after a week."
    let text = r#"{"rules": [
      {"rulePriority": 1, "description": "dev and staging builds",
       "selection": {"tagStatus": "tagged", "tagPatternList": ["dev*", "staging*"],
                     "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
       "action": {"type": "expire"}}
    ]}"#;
    let r = report(text);
    assert_eq!(kinds(&r), [(FindingKind::AndListMeantAsOr, Some(1))]);
    let f = &r.findings[0];
    match &f.issue {
        Issue::AndListMeantAsOr {
            rule,
            lone_tag,
            no_single_tag,
        } => {
            assert_eq!(lone_tag, "dev1");
            assert!(no_single_tag, "no tag can start with both dev and staging");
            assert_eq!(
                rule.tags,
                TagFilter::Tagged(vec!["dev*".into(), "staging*".into()])
            );
        }
        other => panic!("{other:?}"),
    }
    let e = example(f);
    assert_eq!(e.rows.len(), 2);
    for row in &e.rows {
        assert_eq!(row.image.tags.len(), 1);
        assert_eq!(
            row.ecr,
            Fate {
                treatment: Treatment::Kept,
                rule: None
            }
        );
        assert_eq!(
            row.meant,
            Fate {
                treatment: Treatment::Expired,
                rule: Some(1)
            }
        );
    }
    let s = suggestion(&r);
    assert!(
        s.contains("match: { tags: [\"dev*\", \"staging*\"] }"),
        "{s}"
    );
    assert!(s.contains("name: dev-and-staging-builds"), "{s}");
    assert_consistent(text, &r);
}

#[test]
fn a_prefix_list_is_and_too_and_becomes_globs() {
    let text = r#"{"rules": [
      {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPrefixList": ["feature-", "bugfix-"],
       "countType": "imageCountMoreThan", "countNumber": 5}, "action": {"type": "expire"}}
    ]}"#;
    let r = report(text);
    assert_eq!(kinds(&r), [(FindingKind::AndListMeantAsOr, Some(1))]);
    assert!(suggestion(&r).contains("{ tags: [\"feature-*\", \"bugfix-*\"] }"));
    assert_consistent(text, &r);
}

#[test]
fn a_rule_below_a_broader_one_never_acts() {
    // The specific rule was meant to come first.
    let text = r#"{"rules": [
      {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["prod*"],
       "countType": "imageCountMoreThan", "countNumber": 20}, "action": {"type": "expire"}},
      {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPatternList": ["prod-eu-*"],
       "countType": "imageCountMoreThan", "countNumber": 5}, "action": {"type": "expire"}}
    ]}"#;
    let r = report(text);
    assert_eq!(kinds(&r), [(FindingKind::Shadowed, Some(2))]);
    let f = &r.findings[0];
    assert_eq!(f.other.map(|o| o.priority), Some(1));
    let e = example(f);
    assert_eq!(e.rows.len(), 1);
    assert_eq!(e.rows[0].ecr.rule, Some(1));
    let s = suggestion(&r);
    assert!(
        s.contains("# rule 2 is left out: rule 1 before it governs"),
        "{s}"
    );
    assert_consistent(text, &r);
}

#[test]
fn an_any_rule_below_rules_for_every_tagged_and_untagged_image_never_acts() {
    let text = r#"{"rules": [
      {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["*"],
       "countType": "imageCountMoreThan", "countNumber": 30}, "action": {"type": "expire"}},
      {"rulePriority": 2, "selection": {"tagStatus": "untagged",
       "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}, "action": {"type": "expire"}},
      {"rulePriority": 3, "selection": {"tagStatus": "any",
       "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 90}, "action": {"type": "expire"}}
    ]}"#;
    let r = report(text);
    // The rule that never acts comes before the note about expectations.
    assert_eq!(
        kinds(&r),
        [
            (FindingKind::Shadowed, Some(3)),
            (FindingKind::UntaggedHitsIndexChildren, Some(2))
        ]
    );
    let f = &r.findings[0];
    match &f.issue {
        Issue::Shadowed { by, .. } => {
            let by: Vec<i64> = by.iter().map(|b| b.priority).collect();
            assert_eq!(by, [1, 2], "the two rules cover it between them");
        }
        other => panic!("{other:?}"),
    }
    let e = example(f);
    let owners: Vec<Option<i64>> = e.rows.iter().map(|r| r.ecr.rule).collect();
    assert_eq!(owners, [Some(2), Some(1)]);
    assert_consistent(text, &r);
}

#[test]
fn a_narrower_rule_above_a_broader_one_is_not_shadowed() {
    let text = r#"{"rules": [
      {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["prod-*"],
       "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 365}, "action": {"type": "expire"}},
      {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPatternList": ["prod*"],
       "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30}, "action": {"type": "expire"}}
    ]}"#;
    assert_eq!(kinds(&report(text)), []);
}

#[test]
fn an_untagged_cleanup_does_not_delete_the_children_of_a_live_index() {
    // The most common hand-written policy: releases by count, untagged after two weeks.
    let text = r#"{"rules": [
      {"rulePriority": 1, "description": "releases",
       "selection": {"tagStatus": "tagged", "tagPatternList": ["v*"],
                     "countType": "imageCountMoreThan", "countNumber": 50}, "action": {"type": "expire"}},
      {"rulePriority": 2, "description": "untagged",
       "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                     "countNumber": 14}, "action": {"type": "expire"}}
    ]}"#;
    let r = report(text);
    assert_eq!(
        kinds(&r),
        [(FindingKind::UntaggedHitsIndexChildren, Some(2))]
    );
    let e = example(&r.findings[0]);
    assert_eq!(e.rows.len(), 3);
    let index = &e.rows[0];
    assert_eq!(index.image.children.len(), 2);
    assert_eq!(index.ecr.treatment, Treatment::Kept);
    for child in &e.rows[1..] {
        assert!(index.image.children.contains(&child.image.digest));
        assert_eq!(
            child.ecr,
            Fate {
                treatment: Treatment::Kept,
                rule: Some(2)
            }
        );
        assert_eq!(
            child.meant,
            Fate {
                treatment: Treatment::Expired,
                rule: Some(2)
            }
        );
    }
    // Once the index is gone, the rule deletes them.
    let valid = parse_and_validate(text).unwrap();
    let orphans: Vec<Image> = e.rows[1..].iter().map(|r| r.image.clone()).collect();
    assert_eq!(simulate(&valid, &orphans, NOW).expired.len(), 2);
    assert_consistent(text, &r);
}

/// The untagged cleanup of the test above, with each thing lint may know of the repositories.
const RELEASES_AND_UNTAGGED: &str = r#"{"rules": [
  {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["v*"],
   "countType": "imageCountMoreThan", "countNumber": 50}, "action": {"type": "expire"}},
  {"rulePriority": 2, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
   "countUnit": "days", "countNumber": 14}, "action": {"type": "expire"}}
]}"#;

fn index_notes(repositories: Option<&[Repository]>) -> Vec<Indexes> {
    let r = match lint(RELEASES_AND_UNTAGGED, NOW, repositories) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    // A note is not a finding: nothing to fix, no policy file suggested.
    assert!(!r.has_findings(), "{r:?}");
    assert_eq!(r.suggestion, None);
    r.findings
        .iter()
        .map(|f| match &f.issue {
            Issue::UntaggedHitsIndexChildren { indexes, .. } => indexes.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn index_children_are_noted_where_image_indexes_may_be() {
    // A file: nothing is known, so the note is given.
    assert_eq!(index_notes(None), [Indexes::Unknown]);
    // Repositories without an image index: nothing to note.
    assert_eq!(index_notes(Some(&[web(0)])), []);
    // The repositories that hold indexes are named, those that do not are left out.
    let api = Repository {
        name: "api".into(),
        image_indexes: 0,
    };
    assert_eq!(
        index_notes(Some(&[api, web(3)])),
        [Indexes::Held(vec![("web".into(), 3)])]
    );
}

/// Untagged after 14 days, dev and staging by prefix keep 30, everything keep 100: a shape
/// many real policies have, with all three traps.
const UNTAGGED_DEV_STAGING_ANY: &str = r#"{"rules": [
  {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
   "countUnit": "days", "countNumber": 14}, "action": {"type": "expire"}},
  {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPrefixList": ["dev", "staging"],
   "countType": "imageCountMoreThan", "countNumber": 30}, "action": {"type": "expire"}},
  {"rulePriority": 3, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
   "countNumber": 100}, "action": {"type": "expire"}}
]}"#;

#[test]
fn findings_come_by_consequence_and_a_count_names_each_protector_once() {
    let r = report(UNTAGGED_DEV_STAGING_ANY);
    // Images ECR expires that the order keeps, then a list read as AND, then the note, though
    // the note is about rule 1.
    assert_eq!(
        kinds(&r),
        [
            (FindingKind::CountIncludesProtected, Some(3)),
            (FindingKind::AndListMeantAsOr, Some(2)),
            (FindingKind::UntaggedHitsIndexChildren, Some(1)),
        ]
    );
    let severities: Vec<Severity> = r.findings.iter().map(Finding::severity).collect();
    assert_eq!(
        severities,
        [Severity::Finding, Severity::Finding, Severity::Note]
    );
    let f = &r.findings[0];
    match &f.issue {
        Issue::CountIncludesProtected {
            count, protectors, ..
        } => {
            assert_eq!(*count, 100);
            let p: Vec<i64> = protectors.iter().map(|p| p.priority).collect();
            assert_eq!(p, [1, 2]);
        }
        other => panic!("{other:?}"),
    }
    let e = example(f);
    assert_eq!(e.rows.len(), 101, "the full example is kept");
    match &e.shows {
        Shows::Count {
            protected,
            by,
            marked,
            own,
            ..
        } => {
            assert_eq!(protected.len(), 100);
            assert_eq!(by, &[1, 2], "each protecting rule once");
            assert_eq!((*marked, own.as_slice()), (100, &[100][..]));
        }
        other => panic!("{other:?}"),
    }
    assert_consistent(UNTAGGED_DEV_STAGING_ANY, &r);
}

#[test]
fn a_count_over_every_image_holds_index_children_among_its_newest() {
    let text = r#"{"rules": [{"rulePriority": 1,
      "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5},
      "action": {"type": "expire"}}]}"#;
    let r = report(text);
    assert_eq!(
        kinds(&r),
        [(FindingKind::UntaggedHitsIndexChildren, Some(1))]
    );
    let f = &r.findings[0];
    assert_eq!(f.severity(), Severity::Note);
    assert!(
        matches!(
            &f.issue,
            Issue::UntaggedHitsIndexChildren { count: Some(5), indexes: Indexes::Held(held), .. }
                if held == &[("web".to_string(), 1)]
        ),
        "{:?}",
        f.issue
    );
    assert_eq!(
        example(f).rows.len(),
        7,
        "the index, its two children and four newer images"
    );
    assert_consistent(text, &r);
}

#[test]
fn an_age_rule_over_every_image_deletes_old_indexes_with_their_children() {
    // The index is as old as its children, so both go: nothing surprising to report.
    let text = r#"{"rules": [{"rulePriority": 1,
      "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 90},
      "action": {"type": "expire"}}]}"#;
    assert_eq!(kinds(&report(text)), []);
}

#[test]
fn a_clean_policy_has_no_findings_and_no_suggestion() {
    let text = r#"{"rules": [
      {"rulePriority": 1, "description": "releases",
       "selection": {"tagStatus": "tagged", "tagPatternList": ["v*.*.*"],
                     "countType": "imageCountMoreThan", "countNumber": 30}, "action": {"type": "expire"}},
      {"rulePriority": 2, "description": "feature branches",
       "selection": {"tagStatus": "tagged", "tagPrefixList": ["feature-"],
                     "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
       "action": {"type": "expire"}}
    ]}"#;
    let r = report(text);
    assert_eq!(r.findings, []);
    assert_eq!(r.suggestion, None);
}

#[test]
fn what_ecr_refuses_is_reported_rule_by_rule() {
    // `any` first, and a second untagged rule: both refused.
    let text = r#"{"rules": [
      {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 100},
       "action": {"type": "expire"}},
      {"rulePriority": 2, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1},
       "action": {"type": "expire"}},
      {"rulePriority": 3, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
       "action": {"type": "expire"}}
    ]}"#;
    let r = report(text);
    assert_eq!(
        kinds(&r),
        [
            (FindingKind::Invalid, Some(1)),
            (FindingKind::Invalid, Some(3))
        ]
    );
    match &r.findings[0].issue {
        Issue::Invalid(kind) => assert!(
            kind.to_string()
                .contains("must have the highest `rulePriority`"),
            "{kind}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(r.has_findings());
    assert_eq!(
        r.findings[1].position,
        Some(Position { line: 6, column: 7 })
    );
    assert!(matches!(r.suggestion, Some(Suggestion::Declined(_))));
}

#[test]
fn text_that_is_not_a_policy_is_an_error_with_its_position() {
    let e = lint("{\"rules\": [\n  {\"rulePriority\": 1,}\n]}", NOW, None).unwrap_err();
    assert_eq!(e.position.map(|p| p.line), Some(2));
    assert!(lint("{\"rules\": [], \"extra\": 1}", NOW, None).is_err());
}

#[test]
fn archive_rules_for_some_archived_images_are_suggested_as_archive_rules() {
    let text = r#"{"rules": [
      {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["rc*", "beta*"],
       "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 30},
       "action": {"type": "transition", "targetStorageClass": "archive"}},
      {"rulePriority": 2, "description": "Archived candidates", "selection": {"tagStatus": "tagged", "tagPatternList": ["rc*"], "storageClass": "archive",
       "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365},
       "action": {"type": "expire"}},
      {"rulePriority": 3, "selection": {"tagStatus": "tagged", "tagPrefixList": ["x", "v"], "storageClass": "archive",
       "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 90},
       "action": {"type": "expire"}},
      {"rulePriority": 4, "selection": {"tagStatus": "any", "storageClass": "archive",
       "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 730},
       "action": {"type": "expire"}}
    ]}"#;
    let r = report(text);
    assert_eq!(
        kinds(&r),
        [
            (FindingKind::AndListMeantAsOr, Some(1)),
            (FindingKind::AndListMeantAsOr, Some(3))
        ]
    );
    let e = example(&r.findings[0]);
    assert_eq!(e.rows[0].meant.treatment, Treatment::Archived);
    let s = suggestion(&r);
    assert!(
        s.contains(
            "archive:
  expire_after: 730d
  rules:
    - name: archived-candidates
      description: \"Archived candidates\"
      match: { tags: [\"rc*\"] }
      expire_after: 365d
    - name: rule-3
      # ECR reads the tagPrefixList [\"x\", \"v\"] as AND.
      # `tags` matches any of them; `tags_all` would match all of them.
      match: { tags: [\"x*\", \"v*\"] }
      expire_after: 90d
"
        ),
        "{s}"
    );
    assert_consistent(text, &r);
}

#[test]
fn an_archive_rule_the_ones_above_cover_is_left_out_of_the_suggestion() {
    let text = r#"{"rules": [
      {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["a*", "b*"],
       "countType": "imageCountMoreThan", "countNumber": 3}, "action": {"type": "expire"}},
      {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPatternList": ["rc*"], "storageClass": "archive",
       "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365},
       "action": {"type": "expire"}},
      {"rulePriority": 3, "selection": {"tagStatus": "tagged", "tagPatternList": ["rc-*"], "storageClass": "archive",
       "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 90},
       "action": {"type": "expire"}}
    ]}"#;
    let r = report(text);
    let s = suggestion(&r);
    assert!(
        s.contains("archive:\n  # rule 3 is left out: rule 2 before it governs every image it matches.\n  rules:\n    - name: rule-2\n"),
        "{s}"
    );
    assert_consistent(text, &r);
}

#[test]
fn policies_built_in_code_are_checked_too() {
    use crate::native::{Action, Count, NativeRule, Selection};
    let policy = LifecyclePolicy::new(vec![
        NativeRule::new(
            1,
            Selection::tagged_patterns(["prod*"], Count::PushedDaysAgo(3650)),
            Action::expire(),
        ),
        NativeRule::new(
            2,
            Selection::tagged_patterns(["*"], Count::MoreThan(2)),
            Action::expire(),
        ),
    ]);
    let found = check(&policy, NOW);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind(), FindingKind::CountIncludesProtected);
    assert_eq!(example(&found[0]).rows.len(), 3);
}

mod props {
    use jiff::SignedDuration;
    use proptest::prelude::*;

    use super::*;
    use crate::image::Digest;
    use crate::native::{Action, Cause, Count, NativeRule, Selection};

    const PATTERNS: [&str; 8] = [
        "prod*",
        "prod-*",
        "prod-eu-*",
        "*-eu",
        "v*.*",
        "*",
        "latest",
        "dev",
    ];
    const TAGS: [&str; 9] = [
        "prod1",
        "prod-1",
        "prod-eu-1",
        "v1.2",
        "1-eu",
        "latest",
        "dev",
        "x",
        "prod-eu",
    ];

    fn count() -> impl Strategy<Value = Count> {
        prop_oneof![
            (1i64..4).prop_map(Count::MoreThan),
            (1i64..10).prop_map(Count::PushedDaysAgo),
        ]
    }

    fn tagged() -> impl Strategy<Value = Selection> {
        let entries = prop::sample::subsequence(PATTERNS.to_vec(), 1..3);
        (entries, any::<bool>(), count()).prop_map(|(entries, prefixes, count)| {
            // A prefix with a `*` inside would be literal, matching no tag.
            let literal = |e: &&str| !e.trim_end_matches('*').contains('*');
            if prefixes && entries.iter().all(literal) {
                Selection::tagged_prefixes(entries.iter().map(|e| e.trim_end_matches('*')), count)
            } else {
                Selection::tagged_patterns(entries, count)
            }
        })
    }

    /// Rules of the archive storage class: tagged ones, then perhaps an untagged and an `any`
    /// one, deleting after some days in the archive.
    fn archived() -> impl Strategy<Value = Vec<Selection>> {
        let days = || (90i64..100).prop_map(Count::TransitionedDaysAgo);
        (
            prop::collection::vec(tagged(), 0..3),
            prop::collection::vec(days(), 3),
            prop::option::weighted(0.3, days()),
            prop::option::weighted(0.3, days()),
        )
            .prop_map(|(tagged, days, untagged, any)| {
                let mut out: Vec<Selection> = tagged
                    .into_iter()
                    .zip(days)
                    .map(|(mut s, d)| {
                        (s.count_type, s.count_unit, s.count_number) = (
                            d.count_type(),
                            Some(crate::native::CountUnit::Days),
                            d.number(),
                        );
                        s
                    })
                    .collect();
                out.extend(untagged.map(Selection::untagged));
                out.extend(any.map(Selection::any));
                out.into_iter().map(Selection::in_archive).collect()
            })
    }

    /// Policy text of the shapes ECR accepts, in a random order of priorities.
    fn policy_text() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(tagged(), 0..4),
            prop::option::of(count()),
            prop::option::of(count()),
            prop::option::weighted(0.3, archived()),
        )
            .prop_filter_map("ECR refuses it", |(tagged, untagged, any, archived)| {
                let mut selections = tagged;
                selections.extend(untagged.map(Selection::untagged));
                selections.extend(any.map(Selection::any));
                selections.extend(archived.into_iter().flatten());
                let rules: Vec<NativeRule> = selections
                    .into_iter()
                    .zip(1..)
                    .map(|(s, p)| NativeRule::new(p, s, Action::expire()))
                    .collect();
                let text = LifecyclePolicy::new(rules).to_json_pretty();
                parse_and_validate(&text).is_ok().then_some(text)
            })
    }

    fn images() -> impl Strategy<Value = Vec<Image>> {
        let one = (prop::sample::subsequence(TAGS.to_vec(), 0..3), 0i64..400);
        prop::collection::vec(one, 0..12).prop_map(|imgs| {
            let mut seen = std::collections::BTreeSet::new();
            imgs.into_iter()
                .enumerate()
                .map(|(i, (tags, hours))| {
                    // A tag names one image.
                    let tags: Vec<&str> = tags.into_iter().filter(|t| seen.insert(*t)).collect();
                    let pushed = NOW - SignedDuration::from_hours(hours);
                    Image::new(Digest::from_bytes([i as u8 + 1; 32]), &tags, pushed)
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Every example is what the simulator does, every suggestion checks and says what
        /// the rule order says, and a rule reported shadowed never acts on any image set.
        #[test]
        fn findings_are_confirmed_and_shadowing_is_sound(text in policy_text(), imgs in images()) {
            let r = report(&text);
            assert_consistent(&text, &r);
            prop_assert_eq!(r.suggestion.is_some(), r.has_findings());
            if let Some(Suggestion::Declined(reason)) = &r.suggestion {
                prop_assert!(false, "declined: {}", reason);
            }
            let valid = parse_and_validate(&text).unwrap();
            let outcome = simulate(&valid, &imgs, NOW);
            for f in r.findings.iter().filter(|f| f.kind() == FindingKind::Shadowed) {
                let p = f.rule.map(|r| r.priority);
                let acts = outcome
                    .causes
                    .values()
                    .any(|c| matches!(c, Cause::Rule { priority } if Some(*priority) == p));
                prop_assert!(!acts, "shadowed rule {:?} acts", p);
                prop_assert!(imgs.iter().all(|i| crate::native::governing_rule(&valid, i) != p));
            }
        }
    }
}

#[test]
fn an_archiving_policy_is_suggested_with_its_archive_section() {
    let text = r#"{"rules": [
      {"rulePriority": 1, "description": "Archive old releases",
       "selection": {"tagStatus": "tagged", "tagPatternList": ["v*", "rc*"],
       "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 90},
       "action": {"type": "transition", "targetStorageClass": "archive"}},
      {"rulePriority": 2, "description": "Expire after a year in the archive",
       "selection": {"tagStatus": "any", "storageClass": "archive",
       "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365},
       "action": {"type": "expire"}}
    ]}"#;
    let r = report(text);
    assert_eq!(kinds(&r), [(FindingKind::AndListMeantAsOr, Some(1))]);
    let s = suggestion(&r);
    assert!(s.contains("archive:\n  expire_after: 365d\n"), "{s}");
    assert!(
        s.contains("    keep: { pulled_within: 90d }\n    otherwise: archive\n"),
        "{s}"
    );
    assert_consistent(text, &r);
}

#[test]
fn the_longest_ages_ecr_accepts_build_examples_without_overflow() {
    // 2147483647 days reach millions of years before any timestamp: the example images stop
    // at the earliest time there is, too young for the rule to act on, and the examples
    // still show what each rule governs.
    let text = r#"{"rules": [
      {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["a*", "b*"],
       "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 2147483647},
       "action": {"type": "expire"}},
      {"rulePriority": 2, "selection": {"tagStatus": "any", "storageClass": "archive",
       "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 2147483647},
       "action": {"type": "expire"}}
    ]}"#;
    let r = report(text);
    assert_eq!(kinds(&r), [(FindingKind::AndListMeantAsOr, Some(1))]);
    assert_consistent(text, &r);
}

/// A rule per major version, each keeping 5 (aws/containers-roadmap #1213's workaround): the
/// suggestion says the rules as they are and offers one rule that counts per family, which
/// checks once uncommented.
#[test]
fn rules_per_tag_family_with_one_count_get_a_per_hint() {
    let rule = |p: i64, list: &str, n: i64| {
        format!(
            r#"{{"rulePriority": {p}, "selection": {{"tagStatus": "tagged", {list}, "countType": "imageCountMoreThan", "countNumber": {n}}}, "action": {{"type": "expire"}}}}"#
        )
    };
    let text = format!(
        r#"{{"rules": [{}, {}, {}, {}]}}"#,
        rule(1, r#""tagPatternList": ["v1.*"]"#, 5),
        rule(2, r#""tagPatternList": ["v2.*"]"#, 5),
        rule(3, r#""tagPrefixList": ["v3."]"#, 5),
        rule(4, r#""tagPatternList": ["main-*"]"#, 10),
    );
    let r = report(&text);
    let s = suggestion(&r);
    let hint: Vec<&str> = s
        .lines()
        .filter(|l| l.trim_start().starts_with("# -") || l.trim_start().starts_with("#   "))
        .collect();
    assert_eq!(
        hint,
        vec![
            "  # - name: per-family",
            r#"  #   match: { tags: ["v1.*", "v2.*", "v3.*"] }"#,
            r"  #   keep: { newest: 5, per: '(v1\.|v2\.|v3\.).*' }",
        ],
        "{s}"
    );
    // The hint comes right after the three rules it is about, before `main-*`'s.
    assert!(s.find("per-family") < s.find("main-*"), "{s}");
    let uncommented: String = hint
        .iter()
        .map(|l| format!("{}\n", l.replacen("  #", " ", 1)))
        .collect();
    crate::parse(&SourceFile::new(
        "u.yaml",
        format!("version: 1\nrules:\n{uncommented}"),
    ))
    .expect("the hinted rule checks");

    // Different counts, or one rule alone: no hint.
    let text = format!(
        r#"{{"rules": [{}, {}]}}"#,
        rule(1, r#""tagPatternList": ["v1.*"]"#, 5),
        rule(2, r#""tagPatternList": ["v2.*"]"#, 3),
    );
    assert!(!suggestion(&report(&text)).contains("per-family"));
}
