//! ECR Public (DESIGN.md §5.1) end to end: the stand-in serves the ecr-public API moto lacks
//! (`tests/e2e/ecr_stand_in.py`); every rule runs at runtime there.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::e2e::{NOW, days_ago, digests};
use crate::harness::{Cli, temp_dir};
use crate::stand_in::StandIn;

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

const ALIAS: &str = "acme";

/// Public repositories: `web-app` with more images than one DescribeImages page and more
/// deletions than one BatchDeleteImage call, `web-legacy` (excluded, all of it old), `web-api`
/// (nothing due).
fn seed_public(s: &StandIn, untagged: usize) -> Value {
    let app: Vec<Value> = (0..untagged)
        .map(|n| json!({"tags": [], "pushedAt": days_ago(30 + (n % 10) as i64), "sizeInBytes": 1000 + n}))
        .chain((0..50).map(|n| json!({"tags": [format!("v{n}")], "pushedAt": days_ago(100 - n), "sizeInBytes": 5000})))
        .collect();
    let legacy: Vec<Value> = (0..5)
        .map(|n| json!({"tags": [], "pushedAt": days_ago(300 + n)}))
        .collect();
    let api: Vec<Value> = (0..3)
        .map(|n| json!({"tags": [format!("v{n}")], "pushedAt": days_ago(1)}))
        .collect();
    s.seed(json!({
        "registry": "ecr-public",
        "alias": ALIAS,
        "repositories": [
            {"name": "web-app", "images": app},
            {"name": "web-legacy", "images": legacy},
            {"name": "web-api", "images": api},
        ]
    }))
}

/// The public file of these tests, with a listing of what runs.
const PUBLIC_IN_USE: &str = r#"version: 1
registry: ecr-public
repositories: ["web-*"]
exclude: ["web-legacy"]
in_use: { files: [running.json] }
rules:
  - name: releases
    match: { tags: ["v*"] }
    keep: { newest: 3 }
  - name: untagged
    match: { untagged: true }
    keep: { within: 7d }
"#;

/// `v0` runs from this registry (kept); `v1` from another alias, which is not this registry.
const RUNNING: &str = r#"["public.ecr.aws/acme/web-app:v0", "public.ecr.aws/other/web-app:v1"]"#;

/// The calls the stand-in served, as (service, operation, repository, status, ids, maxResults).
fn calls(s: &StandIn) -> Vec<(String, String, String, u64, u64, u64)> {
    s.call("GET", "/_stand_in/calls", None)["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["service"].as_str().unwrap().to_string(),
                c["operation"].as_str().unwrap().to_string(),
                c["repositoryName"].as_str().unwrap_or("").to_string(),
                c["status"].as_u64().unwrap(),
                c["ids"].as_u64().unwrap(),
                c["maxResults"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// The digests ECR Public holds now in `repository`, read through the stand-in's test
/// endpoint (an update with no change answers the image; a listing is the plan's job).
fn present(s: &StandIn, d: &std::path::Path, repository: &str) -> BTreeSet<String> {
    let run = s
        .cli(d)
        .args([
            "snapshot",
            "--registry",
            "ecr-public",
            "--repositories",
            repository,
            "-o",
            "now.json",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("now.json")).unwrap()).unwrap();
    v["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["imageDetails"].as_array().unwrap().iter())
        .map(|i| i["imageDigest"].as_str().unwrap().to_string())
        .collect()
}

fn planned_deletions(plan: &Value) -> BTreeSet<String> {
    plan["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["deletions"].as_array().unwrap().iter())
        .map(|a| a["digest"].as_str().unwrap().to_string())
        .collect()
}

/// plan → apply → plan ("No changes") → diff on ECR Public: DescribeImages pages of 1000, delete
/// batches of at most 100, the excluded repository never read nor touched, an image in use
/// (by its public.ecr.aws reference) kept, and not one call to private ECR.
#[test]
fn plan_apply_plan_diff_on_ecr_public() {
    let s = StandIn::start();
    let seeded = seed_public(&s, 1100);
    let dir = temp_dir(&[("public.yaml", PUBLIC_IN_USE), ("running.json", RUNNING)]);
    let d = dir.path();
    // Whatever region is configured, ECR Public is asked in us-east-1 (the stand-in refuses
    // a signature for any other region, as AWS does).
    let cli = || {
        s.cli(d)
            .env("ECR_LIFECYCLE_NOW", NOW)
            .env("AWS_REGION", "eu-west-1")
    };
    s.reset_calls();
    let plan = cli()
        .args(["plan", "public.yaml", "-o", "plan.json", "--format", "json"])
        .run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    assert_eq!(
        plan.stderr
            .matches("public.yaml: ECR Public has no lifecycle policies")
            .count(),
        1,
        "{}",
        plan.stderr
    );
    let p: Value = serde_json::from_str(&plan.stdout).unwrap();
    let app = digests(&seeded, "web-app");
    // 1100 old untagged images and 46 of the 47 old releases: v0 runs.
    let expected: BTreeSet<String> = app[..1100]
        .iter()
        .chain(&app[1101..1147])
        .cloned()
        .collect();
    let planned = planned_deletions(&p);
    assert_eq!(
        planned.symmetric_difference(&expected).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "planned and expected deletions differ"
    );
    assert_eq!(p["summary"]["imagesToDelete"], 1146);
    assert_eq!(
        p["repositories"].as_array().unwrap().len(),
        2,
        "web-app and web-api, not web-legacy"
    );
    assert!(
        p["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["registry"] == "ecr-public" && r["lifecyclePolicy"]["action"] == "unchanged"),
        "{}",
        plan.stdout
    );
    assert!(
        p["registries"][0]
            .as_str()
            .unwrap()
            .starts_with("ecr-public:123456789012@")
    );
    let read = calls(&s);
    assert!(
        read.iter().all(|c| c.0 == "ecr-public" && c.3 == 200),
        "{read:?}"
    );
    let pages: Vec<u64> = read
        .iter()
        .filter(|c| c.1 == "DescribeImages" && c.2 == "web-app")
        .map(|c| c.5)
        .collect();
    assert_eq!(
        pages,
        [1000, 1000],
        "1150 images in two pages of up to 1000"
    );
    assert!(!read.iter().any(|c| c.2 == "web-legacy"), "{read:?}");

    // explain finds the registry from the file that governs the repository.
    let explain = cli().args(["explain", "web-app:v5", "public.yaml"]).run();
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(
        explain.stdout.contains("governed by rule `releases`")
            && explain
                .stdout
                .contains("ECR:    nothing: ECR Public has no lifecycle policies")
            && explain.stdout.contains("runner: deletes it"),
        "{}",
        explain.stdout
    );
    s.reset_calls();
    let apply = cli()
        .args(["apply", "plan.json", "--max-delete", "2000"])
        .run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let batches: Vec<u64> = calls(&s)
        .iter()
        .filter(|c| c.1 == "BatchDeleteImage")
        .map(|c| c.4)
        .collect();
    assert_eq!(batches.len(), 12, "{batches:?}");
    assert!(batches.iter().all(|&n| n <= 100), "{batches:?}");
    assert_eq!(batches.iter().sum::<u64>(), 1146);
    assert!(calls(&s).iter().all(|c| c.0 == "ecr-public"));

    let again = cli().args(["plan", "public.yaml"]).run();
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains(
            "No changes.\nNothing is due for the runner to delete in any governed repository."
        ),
        "{}",
        again.stdout
    );
    let diff = cli().args(["diff", "public.yaml"]).run();
    assert_eq!(diff.code, 0, "{}\n{}", diff.stdout, diff.stderr);
    assert!(
        diff.stderr
            .contains("public.yaml: ECR Public has no lifecycle policies"),
        "{}",
        diff.stderr
    );
    // What stays: the excluded repository whole, the kept releases and what runs.
    assert_eq!(
        present(&s, d, "web-legacy"),
        digests(&seeded, "web-legacy").into_iter().collect()
    );
    let left = present(&s, d, "web-app");
    let kept: BTreeSet<String> = [1100, 1147, 1148, 1149]
        .iter()
        .map(|&i| app[i].clone())
        .collect();
    assert_eq!(left, kept);
}

/// A smaller public registry and the plan of its files, saved to `plan.json`.
fn planned(s: &StandIn, d: &std::path::Path) -> (Value, BTreeSet<String>) {
    let seeded = seed_public(s, 250);
    let run = s
        .cli(d)
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args(["plan", "public.yaml", "-o", "plan.json", "--format", "json"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    let p: Value = serde_json::from_str(&run.stdout).unwrap();
    let deletions = planned_deletions(&p);
    assert_eq!(deletions.len(), 250 + 46);
    (seeded, deletions)
}

fn fault(s: &StandIn, spec: Value) {
    s.call("POST", "/_stand_in/faults", Some(&spec));
}

/// Throttling and 5xx storms on every ECR Public operation are retried through; a storm that
/// outlasts the retries stops the apply with a clear error, and the re-run finishes the work.
#[test]
fn ecr_public_apply_gets_through_throttling_and_5xx_storms() {
    let s = StandIn::start();
    let dir = temp_dir(&[("public.yaml", PUBLIC_IN_USE), ("running.json", RUNNING)]);
    let d = dir.path();
    let (seeded, deletions) = planned(&s, d);
    let all: BTreeSet<String> = digests(&seeded, "web-app").into_iter().collect();
    let cli = || s.cli(d).env("ECR_LIFECYCLE_NOW", NOW);
    for (operation, status, code) in [
        ("DescribeRepositories", 400, "ThrottlingException"),
        ("DescribeImages", 503, ""),
        ("BatchDeleteImage", 400, "ThrottlingException"),
        ("BatchDeleteImage", 500, ""),
    ] {
        fault(
            &s,
            json!({"operation": operation, "service": "ecr-public", "count": 2, "status": status, "code": code}),
        );
    }
    s.reset_calls();
    let run = cli().args(["apply", "plan.json"]).run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let failed: Vec<(String, u64)> = calls(&s)
        .into_iter()
        .filter(|c| c.3 != 200)
        .map(|c| (c.1, c.3))
        .collect();
    assert_eq!(
        failed.len(),
        8,
        "every injected fault was met and retried: {failed:?}"
    );
    let left = present(&s, d, "web-app");
    assert_eq!(
        left,
        all.difference(&deletions).cloned().collect(),
        "exactly the planned images are gone"
    );

    // A storm longer than the retries: a clear error naming the call, nothing swallowed.
    drop(s);
    let s = StandIn::start();
    let cli = || s.cli(d).env("ECR_LIFECYCLE_NOW", NOW);
    let (seeded, deletions) = planned(&s, d);
    fault(
        &s,
        json!({"operation": "BatchDeleteImage", "service": "ecr-public", "count": 50, "status": 503}),
    );
    let run = cli()
        .env("ECR_LIFECYCLE_MAX_ATTEMPTS", "2")
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(
        said.contains("BatchDeleteImage") && said.contains("ServiceUnavailableException"),
        "{said}"
    );
    s.call("DELETE", "/_stand_in/faults", None);
    let run = cli().args(["apply", "plan.json"]).run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let all: BTreeSet<String> = digests(&seeded, "web-app").into_iter().collect();
    assert_eq!(
        present(&s, d, "web-app"),
        all.difference(&deletions).cloned().collect()
    );
}

/// An apply killed between delete batches, re-run from the same plan, deletes the rest and
/// nothing else.
#[test]
fn a_killed_ecr_public_apply_rerun_finishes_the_work() {
    let s = StandIn::start();
    let dir = temp_dir(&[("public.yaml", PUBLIC_IN_USE), ("running.json", RUNNING)]);
    let d = dir.path();
    let (seeded, deletions) = planned(&s, d);
    let all: BTreeSet<String> = digests(&seeded, "web-app").into_iter().collect();
    // Each delete batch takes a while, so the apply can be killed between two.
    fault(
        &s,
        json!({"operation": "BatchDeleteImage", "service": "ecr-public", "count": 100, "delayMs": 700}),
    );
    s.reset_calls();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ecr-lifecycle"))
        .args(["apply", "plan.json"])
        .current_dir(d)
        .env_clear()
        .env("AWS_ENDPOINT_URL", &s.url)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", d)
        .env("ECR_LIFECYCLE_NOW", NOW)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("apply starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let served = || {
        calls(&s)
            .iter()
            .filter(|c| c.1 == "BatchDeleteImage")
            .count()
    };
    while served() < 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill the apply");
    let _ = child.wait();
    s.call("DELETE", "/_stand_in/faults", None);
    let midway = present(&s, d, "web-app");
    assert!(
        midway.len() < all.len() && midway.len() > all.len() - deletions.len(),
        "killed midway: {} of {} left",
        midway.len(),
        all.len()
    );
    let run = s
        .cli(d)
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        present(&s, d, "web-app"),
        all.difference(&deletions).cloned().collect()
    );
}

/// One set of files for both registries: the same globs for ECR and for ECR Public govern
/// each its own registry's repositories, in one plan; ECR gets its native policy, ECR Public
/// the runner's deletions; the next plan has no changes and diff no drift.
#[test]
fn one_file_set_serves_both_registries() {
    let s = StandIn::start();
    let public = seed_public(&s, 20);
    let private: Vec<Value> = (0..20)
        .map(|n| json!({"tags": [], "pushedAt": days_ago(30 + n)}))
        .chain((0..5).map(|n| json!({"tags": [format!("v{n}")], "pushedAt": days_ago(10 - n)})))
        .collect();
    let private = s.seed(json!({"repositories": [{"name": "web-app", "images": private}]}));
    let ecr = r#"version: 1
repositories: ["web-*"]
rules:
  - name: untagged
    match: { untagged: true }
    keep: { within: 14d }
  - name: releases
    match: any
    keep: { newest: 3 }
"#;
    let dir = temp_dir(&[
        ("public.yaml", PUBLIC_IN_USE),
        ("running.json", RUNNING),
        ("ecr.yaml", ecr),
    ]);
    let d = dir.path();
    let cli = || s.cli(d).env("ECR_LIFECYCLE_NOW", NOW);
    let plan = cli()
        .args([
            "plan",
            "ecr.yaml",
            "public.yaml",
            "-o",
            "plan.json",
            "--format",
            "json",
        ])
        .run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let p: Value = serde_json::from_str(&plan.stdout).unwrap();
    let registries: Vec<&str> = p["registries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().split(':').next().unwrap())
        .collect();
    assert_eq!(registries, ["ecr", "ecr-public"], "{}", plan.stdout);
    let repos: Vec<(String, String, String, usize)> = p["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["registry"].as_str().unwrap_or("ecr").to_string(),
                r["name"].as_str().unwrap().to_string(),
                r["lifecyclePolicy"]["action"].as_str().unwrap().to_string(),
                r["deletions"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        repos,
        [
            ("ecr".into(), "web-app".into(), "put".into(), 0),
            ("ecr-public".into(), "web-api".into(), "unchanged".into(), 0),
            (
                "ecr-public".into(),
                "web-app".into(),
                "unchanged".into(),
                20 + 46
            ),
        ],
        "{}",
        plan.stdout
    );
    let apply = cli().args(["apply", "plan.json"]).run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let again = cli().args(["plan", "ecr.yaml", "public.yaml"]).run();
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let diff = cli().args(["diff", "ecr.yaml", "public.yaml"]).run();
    assert_eq!(diff.code, 0, "{}\n{}", diff.stdout, diff.stderr);
    assert!(diff.stdout.contains("No drift."), "{}", diff.stdout);
    // ECR's images are ECR's to expire: the runner deleted none of them.
    let run = s.cli(d).args(["snapshot", "-o", "ecr.json"]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let snap = std::fs::read_to_string(d.join("ecr.json")).unwrap();
    assert!(
        digests(&private, "web-app")
            .iter()
            .all(|g| snap.contains(g.as_str())),
        "every private image is still there"
    );
    assert_eq!(
        present(&s, d, "web-app").len(),
        digests(&public, "web-app").len() - 66
    );
}

/// `lint` and `import` read native policies, which ECR Public does not have: they say so
/// rather than report an empty registry.
#[test]
fn lint_and_import_say_ecr_public_has_no_lifecycle_policies() {
    let dir = temp_dir(&[]);
    for command in ["lint", "import"] {
        let run = Cli::new()
            .dir(dir.path())
            .args([command, "--registry", "ecr-public"])
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .run();
        assert_eq!(run.code, 1, "{command}");
        assert!(
            run.stderr.starts_with(&format!(
                "error: ECR Public has no lifecycle policies, so there is nothing to {command}"
            )),
            "{}",
            run.stderr
        );
    }
}

/// ECR Public does not say which images an index lists: the plan says so, and the untagged
/// images a kept index lists, planned for deletion, are refused by the registry and reported
/// as skipped; they stay, and everything else due goes.
#[test]
fn the_children_of_a_kept_index_stay_on_ecr_public() {
    let s = StandIn::start();
    let seeded = s.seed(json!({
        "registry": "ecr-public",
        "repositories": [{"name": "multi", "images": [
            {"tags": [], "pushedAt": days_ago(40)},
            {"tags": [], "pushedAt": days_ago(40)},
            {"tags": ["v1"], "pushedAt": days_ago(40), "children": [0, 1]},
            {"tags": [], "pushedAt": days_ago(40)},
        ]}]
    }));
    let policy = r#"version: 1
registry: ecr-public
rules:
  - name: releases
    match: { tags: ["v*"] }
    keep: all
  - name: untagged
    match: { untagged: true }
    keep: none
"#;
    let dir = temp_dir(&[("multi.yaml", policy)]);
    let d = dir.path();
    let cli = || s.cli(d).env("ECR_LIFECYCLE_NOW", NOW);
    let plan = cli().args(["plan", "multi.yaml", "-o", "plan.json"]).run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    assert!(
        plan.stdout.contains(
            "! 1 image index here, and the registry does not say which images an index lists"
        ),
        "{}",
        plan.stdout
    );
    let apply = cli().args(["apply", "plan.json"]).run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains(
            "skipped 2 images an image index still lists (ImageReferencedByManifestList)"
        ),
        "{}",
        apply.stdout
    );
    let all = digests(&seeded, "multi");
    assert_eq!(
        present(&s, d, "multi"),
        all[..3].iter().cloned().collect(),
        "the index and its children stay; the other untagged image is gone"
    );
}
