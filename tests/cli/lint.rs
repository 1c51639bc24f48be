//! `lint`: one test per trap, each from a native policy a user would plausibly write by hand,
//! then JSON output, a clean policy, files that are not policies, and a file registry.

use crate::harness::{Cli, temp_dir};

const NOW: &str = "2026-06-01T00:00:00Z";

/// "Keep prod images, and of the rest the newest 10" (the AWS page's Example B).
const KEEP_PROD_THEN_TEN: &str = r#"{
  "rules": [
    {
      "rulePriority": 1,
      "description": "keep prod",
      "selection": {
        "tagStatus": "tagged",
        "tagPatternList": ["prod*"],
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 3650
      },
      "action": { "type": "expire" }
    },
    {
      "rulePriority": 2,
      "description": "keep the 10 newest others",
      "selection": {
        "tagStatus": "tagged",
        "tagPatternList": ["*"],
        "countType": "imageCountMoreThan",
        "countNumber": 10
      },
      "action": { "type": "expire" }
    }
  ]
}
"#;

/// "Expire dev and staging builds after a week."
const DEV_AND_STAGING: &str = r#"{
  "rules": [
    {
      "rulePriority": 1,
      "description": "dev and staging builds",
      "selection": {
        "tagStatus": "tagged",
        "tagPatternList": ["dev*", "staging*"],
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 7
      },
      "action": { "type": "expire" }
    }
  ]
}
"#;

/// The region-specific rule was meant to come before the general one.
const GENERAL_BEFORE_SPECIFIC: &str = r#"{
  "rules": [
    {
      "rulePriority": 1,
      "description": "prod",
      "selection": {
        "tagStatus": "tagged",
        "tagPatternList": ["prod*"],
        "countType": "imageCountMoreThan",
        "countNumber": 20
      },
      "action": { "type": "expire" }
    },
    {
      "rulePriority": 2,
      "description": "prod in eu",
      "selection": {
        "tagStatus": "tagged",
        "tagPatternList": ["prod-eu-*"],
        "countType": "imageCountMoreThan",
        "countNumber": 5
      },
      "action": { "type": "expire" }
    }
  ]
}
"#;

/// Releases by count, untagged images after two weeks: the most common hand-written policy.
const RELEASES_AND_UNTAGGED: &str = r#"{
  "rules": [
    {
      "rulePriority": 1,
      "description": "releases",
      "selection": {
        "tagStatus": "tagged",
        "tagPatternList": ["v*"],
        "countType": "imageCountMoreThan",
        "countNumber": 50
      },
      "action": { "type": "expire" }
    },
    {
      "rulePriority": 2,
      "description": "untagged",
      "selection": {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 14
      },
      "action": { "type": "expire" }
    }
  ]
}
"#;

/// A catch-all written first, and a day count without its unit: ECR refuses both.
const REFUSED: &str = r#"{
  "rules": [
    {
      "rulePriority": 1,
      "selection": { "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 100 },
      "action": { "type": "expire" }
    },
    {
      "rulePriority": 2,
      "selection": { "tagStatus": "untagged", "countType": "sinceImagePushed", "countNumber": 14 },
      "action": { "type": "expire" }
    }
  ]
}
"#;

/// Release images by count, feature branches by age: nothing surprising.
const CLEAN: &str = r#"{
  "rules": [
    {
      "rulePriority": 1,
      "selection": {
        "tagStatus": "tagged",
        "tagPatternList": ["v*.*.*"],
        "countType": "imageCountMoreThan",
        "countNumber": 30
      },
      "action": { "type": "expire" }
    },
    {
      "rulePriority": 2,
      "selection": {
        "tagStatus": "tagged",
        "tagPrefixList": ["feature-"],
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 14
      },
      "action": { "type": "expire" }
    }
  ]
}
"#;

fn lint(files: &[(&str, &str)], args: &[&str]) -> String {
    let dir = temp_dir(files);
    let run = Cli::new()
        .dir(dir.path())
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args(["lint"])
        .args(args)
        .run();
    run.snapshot(Some(dir.path()))
}

#[test]
fn lint_count_includes_images_a_higher_rule_protects() {
    insta::assert_snapshot!(lint(
        &[("keep-prod.json", KEEP_PROD_THEN_TEN)],
        &["keep-prod.json"]
    ));
}

#[test]
fn lint_list_of_patterns_is_and_not_or() {
    insta::assert_snapshot!(lint(
        &[("dev-staging.json", DEV_AND_STAGING)],
        &["dev-staging.json"]
    ));
}

#[test]
fn lint_rule_shadowed_by_a_broader_one() {
    insta::assert_snapshot!(lint(
        &[("prod.json", GENERAL_BEFORE_SPECIFIC)],
        &["prod.json"]
    ));
}

#[test]
fn lint_untagged_rule_meets_index_children() {
    insta::assert_snapshot!(lint(
        &[("releases.json", RELEASES_AND_UNTAGGED)],
        &["releases.json"]
    ));
}

#[test]
fn lint_reports_what_ecr_refuses() {
    insta::assert_snapshot!(lint(&[("refused.json", REFUSED)], &["refused.json"]));
}

#[test]
fn lint_clean_policy_exits_0() {
    insta::assert_snapshot!(lint(&[("clean.json", CLEAN)], &["clean.json"]));
}

#[test]
fn lint_json_is_one_document_for_machines() {
    let dir = temp_dir(&[("dev-staging.json", DEV_AND_STAGING), ("clean.json", CLEAN)]);
    let run = Cli::new()
        .dir(dir.path())
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args(["lint", "dev-staging.json", "clean.json", "--format", "json"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    assert_eq!(doc["summary"]["findings"], 1);
    assert_eq!(
        doc["policies"][0]["findings"][0]["kind"],
        "and-list-meant-as-or"
    );
    assert_eq!(doc["policies"][1]["findings"], serde_json::json!([]));
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
}

#[test]
fn lint_refuses_a_file_that_is_not_a_policy_and_lints_the_others() {
    let get_policy_output = r#"{
  "registryId": "123456789012",
  "repositoryName": "web",
  "lifecyclePolicyText": "{\"rules\":[]}"
}"#;
    insta::assert_snapshot!(lint(
        &[
            (
                "trailing-comma.json",
                "{\"rules\": [\n  {\"rulePriority\": 1,}\n]}\n"
            ),
            ("response.json", get_policy_output),
            ("clean.json", CLEAN),
        ],
        &[
            "trailing-comma.json",
            "response.json",
            "missing.json",
            "clean.json"
        ]
    ));
}

#[test]
fn lint_reads_the_policies_applied_in_a_file_registry() {
    let run = Cli::new()
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args(["lint", "--registry", "file:demo/registry.json"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    insta::assert_snapshot!(run.snapshot(None));

    let run = Cli::new()
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args([
            "lint",
            "--registry",
            "file:demo/registry.json",
            "--repositories",
            "apps/*",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("lint-registry-without-policies", run.snapshot(None));
}

#[test]
fn lint_help_explains_the_traps_and_exit_codes() {
    let run = Cli::new().args(["lint", "--help"]).run();
    assert_eq!(run.code, 0);
    // What lint says of itself; the shared registry options are documented elsewhere.
    let about = run.stdout.split("Usage:").next().unwrap_or_default();
    let examples = run.stdout.split("Examples:").nth(1).unwrap_or_default();
    insta::assert_snapshot!(format!("{about}Examples:{examples}"));
}
