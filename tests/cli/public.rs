//! ECR Public (DESIGN.md §5.1) end to end: the stand-in serves the ecr-public API moto lacks
//! (`tests/e2e/ecr_stand_in.py`); every rule runs at runtime there.

use crate::harness::{Cli, temp_dir};

const PULLS_AND_ARCHIVE: &str = r#"version: 1
repositories: ["web"]
rules:
  - name: hot
    match: { tags: ["v*"] }
    keep: { pulled_within: 30d }
  - name: cold
    match: any
    keep: { newest: 5 }
    otherwise: archive
"#;

/// A file that names no registry, read for ECR Public at run time: what ECR Public lacks is
/// refused at its place, before any call.
#[test]
fn rules_ecr_public_cannot_run_are_refused_at_their_place() {
    let dir = temp_dir(&[("web.yaml", PULLS_AND_ARCHIVE)]);
    let run = Cli::new()
        .dir(dir.path())
        .args(["plan", "web.yaml", "--registry", "ecr-public"])
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .run();
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
    assert_eq!(run.code, 1);
    // The same file is fine for ECR (validate reads it for ECR).
    let ok = Cli::new()
        .dir(dir.path())
        .args(["validate", "web.yaml"])
        .run();
    assert_eq!(ok.code, 0, "{}", ok.stderr);
}

const PUBLIC: &str = r#"version: 1
registry: ecr-public
repositories: ["web-*"]
exclude: ["web-legacy"]
rules:
  - name: releases
    match: { tags: ["v*"] }
    keep: { newest: 3 }
  - name: untagged
    match: { untagged: true }
    keep: { within: 7d }
"#;

/// `compile` says once for the file that everything runs at runtime, writes no native policy
/// and no per-rule warning.
#[test]
fn compile_says_once_that_ecr_public_runs_everything_at_runtime() {
    let dir = temp_dir(&[("public.yaml", PUBLIC)]);
    let run = Cli::new()
        .dir(dir.path())
        .args(["compile", "public.yaml"])
        .run();
    insta::assert_snapshot!(run.snapshot(None));
    assert_eq!(run.code, 0);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let out = Cli::new()
        .dir(dir.path())
        .args(["compile", "public.yaml", "--out", "out"])
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut written: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, ["public.compiled.json"], "no native policy file");
}

/// `iam-policy` for ECR Public files: the `ecr-public:` actions on ECR Public's repository
/// ARNs (no region), with the excluded repositories denied to apply; files for ECR beside
/// them keep their `ecr:` statements.
#[test]
fn iam_policy_gives_the_ecr_public_actions_for_its_files() {
    let private = "version: 1\nrepositories: [\"api\"]\nrules:\n  - { name: a, match: any, keep: { newest: 3 } }\n";
    let dir = temp_dir(&[("public.yaml", PUBLIC), ("private.yaml", private)]);
    let run = Cli::new()
        .dir(dir.path())
        .args(["iam-policy", "--apply", "public.yaml", "private.yaml"])
        .run();
    insta::assert_snapshot!(run.snapshot(None));
    assert_eq!(run.code, 0);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let actions: Vec<&str> = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap())
        .filter_map(|a| a.as_str())
        .filter(|a| a.starts_with("ecr-public:"))
        .collect();
    assert_eq!(
        actions,
        [
            "ecr-public:DescribeRepositories",
            "ecr-public:DescribeImages",
            "ecr-public:BatchDeleteImage",
            "ecr-public:BatchDeleteImage"
        ]
    );
    // A file that names no registry, with --registry ecr-public.
    let dir = temp_dir(&[("api.yaml", private)]);
    let run = Cli::new()
        .dir(dir.path())
        .args(["iam-policy", "--registry", "ecr-public", "api.yaml"])
        .run();
    assert!(
        run.stdout.contains("arn:aws:ecr-public::*:repository/api")
            && !run.stdout.contains("\"ecr:"),
        "{}",
        run.stdout
    );
}
