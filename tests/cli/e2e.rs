//! End to end against a local ECR API (moto with ECR's behaviour, see `stand_in.rs`):
//! snapshot → plan → apply → plan (no changes) → diff, with a multi-arch index, more than
//! 100 deletions in one repository, drift made behind the tool's back and a stale plan.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::harness::temp_dir;
use crate::stand_in::StandIn;

pub(crate) const NOW: &str = "2026-11-01T12:00:00Z";

pub(crate) fn days_ago(d: i64) -> String {
    let now: Timestamp = NOW.parse().unwrap();
    (now - SignedDuration::from_hours(d * 24)).to_string()
}

pub(crate) const POLICY: &str = r#"version: 1
repositories: ["bulk", "multiarch"]
rules:
  - name: releases
    match: { tag_regex: 'v[0-9]+' }
    keep: { newest: 2 }
  - name: untagged
    match: { untagged: true }
    keep: { newest: 3, within: 7d }
"#;

const WINDOW: &str = r#"version: 1
repositories: ["apps/*"]
rules:
  - name: release-window
    match: any
    keep:
      within: 365d
      anchor: { oldest_tagged: [dev, rc, prod, latest] }
      at_least: 3
  "#;

pub(crate) fn seed(s: &StandIn) -> Value {
    let bulk: Vec<Value> = (0..250)
        .map(|n| json!({"tags": [], "pushedAt": days_ago(30 + n % 10), "sizeInBytes": 1_000_000 + n}))
        .chain((0..3).map(|n| json!({"tags": [format!("v{n}")], "pushedAt": days_ago(20 - n), "sizeInBytes": 5_000_000})))
        .collect();
    let mut multiarch = Vec::new();
    for n in 0..3 {
        let base = multiarch.len();
        multiarch
            .push(json!({"tags": [], "pushedAt": days_ago(100 - n), "sizeInBytes": 2_000_000}));
        multiarch
            .push(json!({"tags": [], "pushedAt": days_ago(100 - n), "sizeInBytes": 3_000_000}));
        multiarch.push(json!({"tags": [format!("v{n}")], "pushedAt": days_ago(100 - n), "children": [base, base + 1]}));
    }
    let web: Vec<Value> = (0..30)
        .map(|n| {
            let tags = match n {
                29 => json!(["latest", "dev"]),
                20 => json!(["prod"]),
                _ => json!([format!("build-{n}")]),
            };
            json!({"tags": tags, "pushedAt": days_ago(600 - n * 20), "sizeInBytes": 7_000_000})
        })
        .collect();
    s.seed(json!({"repositories": [
        {"name": "bulk", "images": bulk},
        {"name": "multiarch", "images": multiarch},
        {"name": "apps/web", "images": web},
        {"name": "unrelated", "images": [], "lifecyclePolicy": {"rules": [{"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5}, "action": {"type": "expire"}}]}}
    ]}))
}

pub(crate) fn digests(seeded: &Value, repo: &str) -> Vec<String> {
    seeded["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == repo)
        .unwrap()["digests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn snapshot_plan_apply_plan_diff_against_the_local_ecr_api() {
    let s = StandIn::start();
    let seeded = seed(&s);
    let dir = temp_dir(&[("p.yaml", POLICY), ("w.yaml", WINDOW)]);
    let d = dir.path();
    let cli = || s.cli(d).env("ECR_LIFECYCLE_NOW", NOW);

    let snap = cli().args(["snapshot", "-o", "before.json"]).run();
    assert_eq!(snap.code, 0, "{}", snap.stderr);
    let before: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("before.json")).unwrap()).unwrap();
    assert_eq!(before["repositories"].as_array().unwrap().len(), 4);

    s.reset_calls();
    let plan = cli()
        .args([
            "plan",
            "p.yaml",
            "w.yaml",
            "-o",
            "plan.json",
            "--format",
            "json",
        ])
        .run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let p: Value = serde_json::from_str(&plan.stdout).unwrap();
    let bulk = p["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "bulk")
        .unwrap();
    assert_eq!(
        bulk["deletions"].as_array().unwrap().len(),
        248,
        "250 untagged less the 3 newest, plus v0"
    );
    // One DescribeImages page for 253 images, one GetLifecyclePolicy per repository,
    // BatchGetImage only where there are indexes.
    let calls = s.calls();
    let count = |op: &str, repo: &str| calls.iter().filter(|c| c.0 == op && c.1 == repo).count();
    assert_eq!(count("DescribeImages", "bulk"), 1, "{calls:?}");
    assert_eq!(count("GetLifecyclePolicy", "bulk"), 1);
    assert_eq!(count("BatchGetImage", "bulk"), 0);
    assert_eq!(count("BatchGetImage", "multiarch"), 1);

    s.reset_calls();
    let apply = cli().args(["apply", "plan.json"]).run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let calls = s.calls();
    let deletes: Vec<u64> = calls
        .iter()
        .filter(|c| c.0 == "BatchDeleteImage" && c.1 == "bulk")
        .map(|c| c.2)
        .collect();
    assert_eq!(
        deletes,
        vec![100, 100, 48],
        "batches of at most 100: {calls:?}"
    );
    assert!(
        apply.stdout.contains("bulk: deleted 248 images"),
        "{}",
        apply.stdout
    );

    // The kept indexes' untagged children survive; the expired index went with its children.
    let after = cli().args(["snapshot", "-o", "after.json"]).run();
    assert_eq!(after.code, 0, "{}", after.stderr);
    let after_text = std::fs::read_to_string(d.join("after.json")).unwrap();
    let m = digests(&seeded, "multiarch");
    for kept in &m[3..] {
        assert!(
            after_text.contains(kept.as_str()),
            "{kept} (a kept index or its child) must survive"
        );
    }
    for gone in &m[..3] {
        assert!(
            !after_text.contains(gone.as_str()),
            "{gone} (v0 and its children) must be gone"
        );
    }

    let replan = cli().args(["plan", "p.yaml", "w.yaml"]).run();
    assert_eq!(replan.code, 0, "{}", replan.stdout);
    assert!(replan.stdout.contains("No changes."), "{}", replan.stdout);
    let again = cli().args(["apply", "plan.json"]).run();
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("Apply complete: 0 images deleted"),
        "{}",
        again.stdout
    );

    let diff = cli().args(["diff", "p.yaml", "w.yaml"]).run();
    assert_eq!(diff.code, 0, "{}", diff.stdout);
    assert!(diff.stdout.contains("No drift."), "{}", diff.stdout);
    assert!(
        diff.stdout
            .contains("unrelated: a native policy is applied, and no policy file governs"),
        "{}",
        diff.stdout
    );

    // Drift behind the tool's back.
    s.call("POST", "/_stand_in/lifecycle", Some(&json!({"repository": "bulk", "policy": {"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1}, "action": {"type": "expire"}}]}})));
    let drift = cli().args(["diff", "p.yaml", "w.yaml"]).run();
    assert_eq!(drift.code, 2, "{}", drift.stdout);
    assert!(
        drift
            .stdout
            .contains("# bulk (p.yaml): a native policy is applied, and none is wanted"),
        "{}",
        drift.stdout
    );
}

#[test]
fn a_stale_plan_skips_what_no_longer_expires() {
    let s = StandIn::start();
    let seeded = seed(&s);
    let dir = temp_dir(&[("p.yaml", POLICY)]);
    let d = dir.path();
    let cli = || s.cli(d).env("ECR_LIFECYCLE_NOW", NOW);
    let plan = cli().args(["plan", "p.yaml", "-o", "plan.json"]).run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    // Someone tags an image the plan would delete: it is now the newest release.
    let bulk = digests(&seeded, "bulk");
    s.call("POST", "/_stand_in/update", Some(&json!({"repository": "bulk", "digest": bulk[0], "tags": ["v9"], "pushedAt": days_ago(1)})));
    let apply = cli().args(["apply", "plan.json"]).run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply
            .stdout
            .contains("bulk: skipped 1 image the current state keeps"),
        "{}",
        apply.stdout
    );
    let after = cli()
        .args(["snapshot", "--repositories", "bulk", "-o", "after.json"])
        .run();
    assert_eq!(after.code, 0);
    assert!(
        std::fs::read_to_string(d.join("after.json"))
            .unwrap()
            .contains(&bulk[0])
    );
}

#[test]
fn throttling_is_retried_and_permanent_failures_are_reported() {
    let s = StandIn::start();
    seed(&s);
    let dir = temp_dir(&[("p.yaml", POLICY)]);
    let d = dir.path();
    let cli = || s.cli(d).env("ECR_LIFECYCLE_NOW", NOW);
    s.call("POST", "/_stand_in/faults", Some(&json!({"operation": "BatchDeleteImage", "count": 2, "status": 400, "code": "ThrottlingException", "message": "Rate exceeded"})));
    s.call(
        "POST",
        "/_stand_in/faults",
        Some(&json!({"operation": "DescribeImages", "count": 1, "status": 503})),
    );
    let run = cli().args(["apply", "--auto-approve", "p.yaml"]).run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("Apply complete"), "{}", run.stdout);

    s.call("POST", "/_stand_in/faults", Some(&json!({"operation": "DescribeImages", "count": 100, "status": 400, "code": "AccessDeniedException", "message": "not authorized to perform: ecr:DescribeImages"})));
    let denied = cli().args(["plan", "p.yaml"]).run();
    assert_eq!(denied.code, 1);
    assert!(
        denied.stderr.contains("DescribeImages on repository"),
        "{}",
        denied.stderr
    );
    assert!(
        denied
            .stderr
            .contains("hint: the principal needs ECR permissions"),
        "{}",
        denied.stderr
    );
    assert!(
        !denied.stderr.contains("test"),
        "no credential appears in output: {}",
        denied.stderr
    );
}

#[test]
fn unreachable_endpoint_and_missing_credentials_are_one_paragraph_errors() {
    let dir = temp_dir(&[("p.yaml", POLICY)]);
    let d = dir.path();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = crate::harness::Cli::new()
        .dir(d)
        .env("AWS_ENDPOINT_URL", &format!("http://127.0.0.1:{port}"))
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEY123456")
        .env("AWS_SECRET_ACCESS_KEY", "very-secret-value")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("ECR_LIFECYCLE_MAX_ATTEMPTS", "1")
        .env("HOME", &d.display().to_string())
        .args(["plan", "p.yaml"])
        .run();
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("could not connect to the ECR endpoint"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("very-secret-value") && !run.stderr.contains("AKIAEXAMPLEKEY"),
        "{}",
        run.stderr
    );

    let s = StandIn::start();
    let no_creds = crate::harness::Cli::new()
        .dir(d)
        .env("AWS_ENDPOINT_URL", &s.url)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("ECR_LIFECYCLE_MAX_ATTEMPTS", "1")
        .env("HOME", &d.display().to_string())
        .args(["plan", "p.yaml"])
        .run();
    assert_eq!(no_creds.code, 1, "{}", no_creds.stderr);
    assert!(
        no_creds.stderr.contains("credentials"),
        "{}",
        no_creds.stderr
    );
    assert!(no_creds.stderr.contains("hint:"), "{}", no_creds.stderr);
}

#[test]
fn each_region_a_policy_names_is_planned_and_applied_on_its_own() {
    let s = StandIn::start();
    let images = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|k| json!({"tags": [], "pushedAt": days_ago(10 + k as i64), "sizeInBytes": 1000}))
            .collect()
    };
    let us = s.seed(
        json!({"region": "us-east-1", "repositories": [{"name": "web", "images": images(4)}]}),
    );
    let eu = s.seed(
        json!({"region": "eu-west-1", "repositories": [{"name": "web", "images": images(6)}]}),
    );
    let policy = "version: 1\nregions: [us-east-1, eu-west-1]\nrules:\n  - name: untagged\n    match: { untagged: true }\n    keep: { newest: 1, within: 1d }\n";
    let dir = temp_dir(&[("p.yaml", policy)]);
    let d = dir.path();
    let cli = || s.cli(d).env("ECR_LIFECYCLE_NOW", NOW);
    let plan = cli()
        .args(["plan", "p.yaml", "-o", "plan.json", "--format", "json"])
        .run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let p: Value = serde_json::from_str(&plan.stdout).unwrap();
    let per_region: Vec<(String, usize)> = p["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["region"].as_str().unwrap().to_string(),
                r["deletions"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        per_region,
        vec![("eu-west-1".to_string(), 5), ("us-east-1".to_string(), 3)]
    );
    let apply = cli().args(["apply", "plan.json"]).run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("web in eu-west-1: deleted 5 images"),
        "{}",
        apply.stdout
    );
    assert!(
        apply.stdout.contains("web in us-east-1: deleted 3 images"),
        "{}",
        apply.stdout
    );
    for (region, seeded, kept) in [("us-east-1", &us, 1), ("eu-west-1", &eu, 1)] {
        let snap = cli()
            .args(["snapshot", "--region", region, "-o", "s.json"])
            .run();
        assert_eq!(snap.code, 0, "{}", snap.stderr);
        let text = std::fs::read_to_string(d.join("s.json")).unwrap();
        let left = digests(seeded, "web")
            .iter()
            .filter(|d| text.contains(d.as_str()))
            .count();
        assert_eq!(left, kept, "{region}: the newest untagged image stays");
    }
    let diff = cli().args(["diff", "p.yaml"]).run();
    assert_eq!(diff.code, 0, "{}", diff.stdout);
}

#[test]
fn a_plan_is_not_applied_to_another_region_than_it_was_made_in() {
    let s = StandIn::start();
    let seeded = seed(&s);
    let dir = temp_dir(&[("p.yaml", POLICY)]);
    let d = dir.path();
    let plan = s
        .cli(d)
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args(["plan", "p.yaml", "-o", "plan.json"])
        .run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let elsewhere = s
        .cli(d)
        .env("ECR_LIFECYCLE_NOW", NOW)
        .env("AWS_REGION", "eu-west-1")
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(elsewhere.code, 1, "{}", elsewhere.stdout);
    assert!(
        elsewhere
            .stderr
            .contains("the plan was made against ecr:123456789012:us-east-1@"),
        "{}",
        elsewhere.stderr
    );
    assert!(
        elsewhere.stderr.contains("and this is ecr:?:eu-west-1@"),
        "{}",
        elsewhere.stderr
    );
    let snap = s
        .cli(d)
        .args(["snapshot", "--repositories", "bulk", "-o", "after.json"])
        .run();
    assert_eq!(snap.code, 0);
    let text = std::fs::read_to_string(d.join("after.json")).unwrap();
    assert!(
        digests(&seeded, "bulk")
            .iter()
            .all(|g| text.contains(g.as_str())),
        "nothing was deleted"
    );
}

const COLD: &str = r#"version: 1
repositories: ["cold"]
archive: { expire_after: 120d }
rules:
  - name: releases
    match: { tag_regex: 'v[0-9]+' }
    keep: { newest: 2, pulled_within: 30d }
    otherwise: archive
  - name: untagged
    match: { untagged: true }
    keep: { newest: 1, within: 7d }
"#;

#[test]
fn archive_and_delete_end_to_end_then_no_changes_and_no_drift() {
    let s = StandIn::start();
    // Six releases (one pulled last week), two untagged builds, one image archived 200 days
    // ago (past `expire_after`) and one archived 10 days ago (kept in the archive).
    let mut images: Vec<Value> = (0..6)
        .map(|n| json!({"tags": [format!("v{n}")], "pushedAt": days_ago(300 - n * 30), "sizeInBytes": 50_000_000}))
        .collect();
    images[1]["lastPulledAt"] = json!(days_ago(7));
    images.push(json!({"tags": [], "pushedAt": days_ago(40), "sizeInBytes": 9_000_000}));
    images.push(json!({"tags": [], "pushedAt": days_ago(2), "sizeInBytes": 9_000_000}));
    images.push(
        json!({"tags": ["old-1"], "pushedAt": days_ago(500), "sizeInBytes": 70_000_000,
        "status": "ARCHIVED", "lastArchivedAt": days_ago(200)}),
    );
    images.push(
        json!({"tags": ["old-2"], "pushedAt": days_ago(400), "sizeInBytes": 70_000_000,
        "status": "ARCHIVED", "lastArchivedAt": days_ago(10)}),
    );
    let seeded = s.seed(json!({"repositories": [{"name": "cold", "images": images}]}));
    let ids = digests(&seeded, "cold");
    let dir = temp_dir(&[("cold.yaml", COLD)]);
    let d = dir.path();
    let cli = || s.cli(d).env("ECR_LIFECYCLE_NOW", NOW);

    let plan = cli()
        .args(["plan", "cold.yaml", "-o", "plan.json", "--format", "json"])
        .run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let p: Value = serde_json::from_str(&plan.stdout).unwrap();
    let repo = &p["repositories"][0];
    let listed = |key: &str| -> Vec<String> {
        let mut v: Vec<String> = repo[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x["digest"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    // v0, v2, v3 are neither among the newest two nor pulled lately: the runner archives them
    // (an OR of conditions is not native), and deletes the old untagged build. The image 200
    // days in the archive is ECR's to expire, under the native policy the plan puts.
    assert_eq!(
        listed("archivals"),
        sorted(vec![ids[0].clone(), ids[2].clone(), ids[3].clone()])
    );
    assert_eq!(listed("deletions"), vec![ids[6].clone()]);
    assert_eq!(listed("ecrExpirations"), vec![ids[8].clone()]);

    s.reset_calls();
    let apply = cli().args(["apply", "plan.json"]).run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let archive_calls = s
        .calls()
        .iter()
        .filter(|c| c.0 == "UpdateImageStorageClass")
        .count();
    assert_eq!(archive_calls, 3, "one call per image");

    // The registry says what happened: three more images in the archive.
    let snap = cli().args(["snapshot", "-o", "after.json"]).run();
    assert_eq!(snap.code, 0, "{}", snap.stderr);
    let after: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("after.json")).unwrap()).unwrap();
    let details = after["repositories"][0]["imageDetails"].as_array().unwrap();
    let status = |digest: &str| {
        details
            .iter()
            .find(|i| i["imageDigest"] == digest)
            .map(|i| i["imageStatus"].as_str().unwrap_or("ACTIVE").to_string())
    };
    for i in [0, 2, 3] {
        assert_eq!(status(&ids[i]).as_deref(), Some("ARCHIVED"), "image {i}");
    }
    for i in [1, 4, 5, 7] {
        assert_eq!(status(&ids[i]).as_deref(), Some("ACTIVE"), "image {i}");
    }
    assert_eq!(status(&ids[6]), None, "the old untagged build is deleted");

    // Nothing is left for the runner; what remains is ECR's own work under the policy now in
    // place (the stand-in does not run lifecycle policies), which the plan notes.
    let again = cli().args(["plan", "cold.yaml"]).run();
    let diff = cli().args(["diff", "cold.yaml"]).run();
    insta::assert_snapshot!(
        format!(
            "{}\n{}\n{}",
            apply.snapshot(Some(d)),
            again.snapshot(Some(d)),
            diff.snapshot(Some(d))
        )
        .replace(&s.url, "[ENDPOINT]")
    );
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert_eq!(diff.code, 0, "{}", diff.stdout);
}
