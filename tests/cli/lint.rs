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

/// Real-shaped: untagged images after 14 days, dev and staging builds by prefix keep 30,
/// everything keep 100. The prefix list is AND, and the count of 100 ranks the untagged and the
/// dev-and-staging images the rules above select first.
const UNTAGGED_DEV_STAGING_ANY: &str = r#"{
  "rules": [
    {
      "rulePriority": 1,
      "description": "untagged after 14 days",
      "selection": {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 14
      },
      "action": { "type": "expire" }
    },
    {
      "rulePriority": 2,
      "description": "keep 30 dev and staging",
      "selection": {
        "tagStatus": "tagged",
        "tagPrefixList": ["dev", "staging"],
        "countType": "imageCountMoreThan",
        "countNumber": 30
      },
      "action": { "type": "expire" }
    },
    {
      "rulePriority": 3,
      "description": "keep 100",
      "selection": {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": 100
      },
      "action": { "type": "expire" }
    }
  ]
}
"#;

/// Real-shaped: protected tag prefixes kept "forever" (9999), then everything keep 500.
const PROTECTED_THEN_500: &str = r#"{
  "rules": [
    {
      "rulePriority": 1,
      "description": "protect prod",
      "selection": {
        "tagStatus": "tagged",
        "tagPrefixList": ["prod"],
        "countType": "imageCountMoreThan",
        "countNumber": 9999
      },
      "action": { "type": "expire" }
    },
    {
      "rulePriority": 2,
      "description": "protect releases",
      "selection": {
        "tagStatus": "tagged",
        "tagPatternList": ["release-*"],
        "countType": "imageCountMoreThan",
        "countNumber": 9999
      },
      "action": { "type": "expire" }
    },
    {
      "rulePriority": 3,
      "description": "keep 500",
      "selection": {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": 500
      },
      "action": { "type": "expire" }
    }
  ]
}
"#;

/// Real-shaped: one rule per environment prefix keeping the newest image, then everything keep 1.
const ONE_PER_ENVIRONMENT: &str = r#"{
  "rules": [
    {
      "rulePriority": 1,
      "description": "dev",
      "selection": { "tagStatus": "tagged", "tagPrefixList": ["dev"], "countType": "imageCountMoreThan", "countNumber": 1 },
      "action": { "type": "expire" }
    },
    {
      "rulePriority": 2,
      "description": "staging",
      "selection": { "tagStatus": "tagged", "tagPrefixList": ["staging"], "countType": "imageCountMoreThan", "countNumber": 1 },
      "action": { "type": "expire" }
    },
    {
      "rulePriority": 3,
      "description": "prod",
      "selection": { "tagStatus": "tagged", "tagPrefixList": ["prod"], "countType": "imageCountMoreThan", "countNumber": 1 },
      "action": { "type": "expire" }
    },
    {
      "rulePriority": 4,
      "description": "the rest",
      "selection": { "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1 },
      "action": { "type": "expire" }
    }
  ]
}
"#;

/// Everything keep 50, nothing above it: only the note on index children applies.
const KEEP_FIFTY: &str = r#"{
  "rules": [
    {
      "rulePriority": 1,
      "selection": { "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 50 },
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

/// A note, not a finding: the policy does what it says, so lint exits 0.
#[test]
fn lint_untagged_rule_meets_index_children() {
    let out = lint(
        &[("releases.json", RELEASES_AND_UNTAGGED)],
        &["releases.json"],
    );
    assert!(out.starts_with("exit_code: 0\n"), "{out}");
    insta::assert_snapshot!(out);
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

/// The count of 100 is shown with the rows that make the point and the others counted, and
/// names each rule it ranks once; the AND list comes after it, the note last.
#[test]
fn lint_real_policy_untagged_dev_staging_and_keep_100() {
    let out = lint(&[("web.json", UNTAGGED_DEV_STAGING_ANY)], &["web.json"]);
    let table_rows = out.lines().filter(|l| l.contains("ago  ")).count();
    assert!(table_rows <= 12, "{table_rows} example rows:\n{out}");
    assert!(!out.contains("and rule 1 and rule 2"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn lint_real_policy_protected_prefixes_and_keep_500() {
    let out = lint(&[("api.json", PROTECTED_THEN_500)], &["api.json"]);
    assert!(
        out.contains("… 494 more images of rules 1 and 2, all kept …"),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn lint_real_policy_one_rule_per_environment_and_keep_1() {
    insta::assert_snapshot!(lint(&[("envs.json", ONE_PER_ENVIRONMENT)], &["envs.json"]));
}

/// JSON keeps every example image (the text leaves most out) and says what is a finding and
/// what a note.
#[test]
fn lint_json_keeps_every_example_image_and_each_severity() {
    let dir = temp_dir(&[
        ("web.json", UNTAGGED_DEV_STAGING_ANY),
        ("api.json", PROTECTED_THEN_500),
    ]);
    let run = Cli::new()
        .dir(dir.path())
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args(["lint", "web.json", "api.json", "--format", "json"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let found = |policy: usize| -> Vec<(String, String, usize)> {
        doc["policies"][policy]["findings"]
            .as_array()
            .map(|fs| {
                fs.iter()
                    .map(|f| {
                        (
                            f["kind"].as_str().unwrap_or_default().to_string(),
                            f["severity"].as_str().unwrap_or_default().to_string(),
                            f["example"]["images"].as_array().map_or(0, Vec::len),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let row = |k: &str, s: &str, n: usize| (k.to_string(), s.to_string(), n);
    assert_eq!(
        found(0),
        [
            row("count-includes-protected", "finding", 101),
            row("and-list-meant-as-or", "finding", 2),
            row("untagged-hits-index-children", "note", 3),
        ]
    );
    assert_eq!(
        found(1),
        [
            row("count-includes-protected", "finding", 501),
            row("untagged-hits-index-children", "note", 502),
        ]
    );
    assert_eq!(
        doc["summary"],
        serde_json::json!({ "policies": 2, "findings": 3, "notes": 2 })
    );
}

#[test]
fn lint_json_of_one_rule_per_environment() {
    let dir = temp_dir(&[("envs.json", ONE_PER_ENVIRONMENT)]);
    let run = Cli::new()
        .dir(dir.path())
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args(["lint", "envs.json", "--format", "json"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
}

/// Files whose only issue is the note on index children: exit 0, and the note said once,
/// naming each rule, rather than once per file.
#[test]
fn lint_files_with_only_the_index_note_exit_0_and_say_it_once() {
    let out = lint(
        &[
            ("releases.json", RELEASES_AND_UNTAGGED),
            ("keep-50.json", KEEP_FIFTY),
            ("clean.json", CLEAN),
        ],
        &["releases.json", "keep-50.json", "clean.json"],
    );
    assert!(out.starts_with("exit_code: 0\n"), "{out}");
    assert_eq!(
        out.matches("untagged-hits-index-children").count(),
        1,
        "{out}"
    );
    assert!(
        out.contains("releases.json:14:5") && out.contains("keep-50.json:3:5"),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

/// A snapshot registry: `web` holds a multi-architecture index and shares the untagged cleanup
/// with `worker`, which holds none; `batch` has its own policy and no index.
fn registry_with_an_index() -> String {
    let digest = |n: u8| format!("sha256:{}", format!("{n:02x}").repeat(32));
    let policy =
        |text: &str| -> serde_json::Value { serde_json::from_str(text).expect("a policy") };
    let doc = serde_json::json!({ "repositories": [
        {
            "repositoryName": "web",
            "lifecyclePolicy": policy(RELEASES_AND_UNTAGGED),
            "imageDetails": [
                {
                    "imageDigest": digest(1),
                    "imageTags": ["v1.2.0"],
                    "imagePushedAt": "2026-05-20T10:00:00+00:00",
                    "imageManifestMediaType": "application/vnd.oci.image.index.v1+json",
                    "childManifestDigests": [digest(2), digest(3)]
                },
                {
                    "imageDigest": digest(2),
                    "imagePushedAt": "2026-05-20T09:59:00+00:00",
                    "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json"
                },
                {
                    "imageDigest": digest(3),
                    "imagePushedAt": "2026-05-20T09:59:00+00:00",
                    "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json"
                }
            ]
        },
        {
            "repositoryName": "worker",
            "lifecyclePolicy": policy(RELEASES_AND_UNTAGGED),
            "imageDetails": [
                {
                    "imageDigest": digest(4),
                    "imageTags": ["v3.0.1"],
                    "imagePushedAt": "2026-05-21T10:00:00+00:00",
                    "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json"
                }
            ]
        },
        {
            "repositoryName": "batch",
            "lifecyclePolicy": policy(KEEP_FIFTY),
            "imageDetails": [
                {
                    "imageDigest": digest(5),
                    "imagePushedAt": "2026-05-22T10:00:00+00:00",
                    "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json"
                }
            ]
        }
    ]});
    serde_json::to_string_pretty(&doc).expect("JSON")
}

/// Against a registry the note on index children is raised only for the repositories that hold
/// an image index, and names them; it is still a note, so the exit code stays 0.
#[test]
fn lint_registry_notes_index_children_only_where_indexes_are() {
    let registry = registry_with_an_index();
    let dir = temp_dir(&[("registry.json", &registry)]);
    let lint_registry = |extra: &[&str]| {
        Cli::new()
            .dir(dir.path())
            .env("ECR_LIFECYCLE_NOW", NOW)
            .args(["lint", "--registry", "file:registry.json"])
            .args(extra)
            .run()
    };

    let all = lint_registry(&[]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert_eq!(
        all.stdout.matches("untagged-hits-index-children").count(),
        1,
        "only the policy of web and worker: {}",
        all.stdout
    );
    assert!(
        all.stdout.contains("web holds 1 image index"),
        "{}",
        all.stdout
    );
    insta::assert_snapshot!(
        "lint-registry-with-an-index",
        all.snapshot(Some(dir.path()))
    );

    let without = lint_registry(&["--repositories", "worker", "batch"]);
    assert_eq!(without.code, 0, "{}", without.stderr);
    assert!(
        !without.stdout.contains("untagged-hits-index-children"),
        "{}",
        without.stdout
    );
    insta::assert_snapshot!(
        "lint-registry-without-an-index",
        without.snapshot(Some(dir.path()))
    );
}
