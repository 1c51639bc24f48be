//! The archive storage class: policy errors, `--actions`, and plans that archive, hold and
//! delete archived images (with the 90-day minimum charge when allowed).

use crate::harness::{Cli, temp_dir};

const NOW: &str = "2026-06-01T00:00:00Z";

#[test]
fn archive_mistakes_are_errors_at_their_position() {
    let dir = temp_dir(&[(
        "p.yaml",
        "version: 1\narchive:\n  expire_after: 30d\n  priority: 4\nrules:\n  - name: all\n    match: any\n    keep: all\n    otherwise: archive\n",
    )]);
    let run = Cli::new()
        .dir(dir.path())
        .args(["validate", "p.yaml"])
        .run();
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
}

const POLICY: &str = "version: 1
repositories: [web]
archive: { expire_after: 90d }
rules:
  - name: releases
    match: { tags: [\"v?\"] }
    keep: { pulled_within: 30d }
    otherwise: archive
  - name: big-untagged
    match: { untagged: true, where: \"imageSizeInBytes > `1000000000`\" }
    keep: none
  - name: untagged
    match: { untagged: true }
    keep: { within: 7d }
";

/// Releases pulled recently and not; an archived release past 90 days; a big untagged image
/// whose SBOM was archived ten days ago (it follows its subject, but is held).
fn images() -> serde_json::Value {
    let digest = |n: u8| format!("sha256:{n:064x}");
    let img = |n: u8, tags: &[&str], pushed: &str, size: u64| {
        let mut v = serde_json::json!({
            "imageDigest": digest(n),
            "imagePushedAt": pushed,
            "imageSizeInBytes": size,
        });
        if !tags.is_empty() {
            v["imageTags"] = serde_json::json!(tags);
        }
        v
    };
    let mut pulled = img(1, &["v1"], "2026-01-10T00:00:00Z", 300 << 20);
    pulled["lastRecordedPullTime"] = "2026-05-20T00:00:00Z".into();
    let cold = img(2, &["v2"], "2026-02-01T00:00:00Z", 400 << 20);
    let mut archived = img(3, &["v0"], "2025-06-01T00:00:00Z", 500 << 20);
    archived["imageStatus"] = "ARCHIVED".into();
    archived["lastArchivedAt"] = "2026-01-01T00:00:00Z".into();
    let big = img(4, &[], "2026-05-20T00:00:00Z", 2 << 30);
    let mut sbom = img(5, &[], "2026-05-20T00:00:00Z", 120 << 20);
    sbom["subjectManifestDigest"] = digest(4).into();
    sbom["imageStatus"] = "ARCHIVED".into();
    sbom["lastArchivedAt"] = "2026-05-22T00:00:00Z".into();
    let recent = img(6, &[], "2026-05-30T00:00:00Z", 10 << 20);
    serde_json::json!([pulled, cold, archived, big, sbom, recent])
}

fn registry_json() -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "repositories": [{
            "repositoryName": "web",
            "lifecyclePolicy": null,
            "imageDetails": images(),
        }]
    }))
    .unwrap()
}

#[test]
fn evaluate_and_simulate_print_actions_when_asked() {
    let images = serde_json::to_string(&serde_json::json!({ "imageDetails": images() })).unwrap();
    let dir = temp_dir(&[("p.yaml", POLICY), ("images.json", &images)]);
    let cli = |args: &[&str]| {
        Cli::new()
            .dir(dir.path())
            .env("ECR_LIFECYCLE_NOW", NOW)
            .args(args)
            .run()
    };
    let plain = cli(&[
        "evaluate",
        "p.yaml",
        "--images",
        "images.json",
        "--repository",
        "web",
    ]);
    let actions = cli(&[
        "evaluate",
        "p.yaml",
        "--images",
        "images.json",
        "--repository",
        "web",
        "--actions",
    ]);
    let compiled = cli(&["compile", "p.yaml", "--out", "out"]);
    assert_eq!(compiled.code, 0, "{}", compiled.stderr);
    let simulated = cli(&[
        "simulate",
        "--policy",
        "out/p.lifecycle-policy.json",
        "--images",
        "images.json",
        "--actions",
    ]);
    // The default output is the expired digests only, as before `--actions` existed.
    for line in plain.stdout.lines() {
        assert!(actions.stdout.contains(&format!("expire {line}")), "{line}");
    }
    insta::assert_snapshot!(format!(
        "{}\n{}\n{}",
        plain.snapshot(None),
        actions.snapshot(None),
        simulated.snapshot(None)
    ));
}

#[test]
fn a_plan_archives_holds_and_deletes_early_only_when_allowed() {
    let dir = temp_dir(&[("p.yaml", POLICY), ("registry.json", &registry_json())]);
    let d = dir.path();
    let cli = |args: &[&str]| {
        Cli::new()
            .dir(d)
            .env("ECR_LIFECYCLE_NOW", NOW)
            .args(args)
            .run()
    };
    let held = cli(&[
        "plan",
        "p.yaml",
        "--registry",
        "file:registry.json",
        "-o",
        "held.json",
    ]);
    assert_eq!(held.code, 2, "{}", held.stderr);
    let markdown = cli(&[
        "plan",
        "p.yaml",
        "--registry",
        "file:registry.json",
        "--format",
        "markdown",
    ]);
    let early = cli(&[
        "plan",
        "p.yaml",
        "--registry",
        "file:registry.json",
        "--allow-early-archive-delete",
        "--archive-price",
        "0.07",
        "-o",
        "early.json",
    ]);
    insta::assert_snapshot!(format!(
        "{}\n{}\n{}",
        held.snapshot(Some(d)),
        markdown.snapshot(Some(d)),
        early.snapshot(Some(d))
    ));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("early.json")).unwrap()).unwrap();
    assert_eq!(saved["allowEarlyArchiveDelete"], true);
    assert_eq!(saved["prices"]["archivePerGbMonth"], 0.07);
    // 120 MiB for the 80 days left of 90 at $0.07 per GB-month; archiving 400 MiB saves $0.03
    // per GB-month.
    assert_eq!(saved["summary"]["earlyDeleteChargeUsd"], 0.02);
    assert_eq!(saved["summary"]["archiveMonthlySavingUsd"], 0.01);

    // Carry out the plan that holds the SBOM: the big image goes (ECR takes its referrers with
    // it), v2 is archived, and a new plan has nothing left to do.
    let apply = cli(&["apply", "held.json"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let again = cli(&["plan", "p.yaml", "--registry", "file:registry.json"]);
    let diff = cli(&["diff", "p.yaml", "--registry", "file:registry.json"]);
    insta::assert_snapshot!(format!(
        "{}\n{}\n{}",
        apply.snapshot(Some(d)),
        again.snapshot(Some(d)),
        diff.snapshot(Some(d))
    ));
    assert_eq!(again.code, 0);
    assert_eq!(diff.code, 0);
}

/// A policy real registries carry: archive rules for some archived images, and "keep forever"
/// written as a huge number of days.
const APPLIED_WITH_ARCHIVE_RULES: &str = r#"{"rules":[
  {"rulePriority":1,"description":"Archive what nobody pulled for a quarter","selection":{"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":90},"action":{"type":"transition","targetStorageClass":"archive"}},
  {"rulePriority":10,"description":"Builds go after 90 days in the archive","selection":{"tagStatus":"tagged","tagPatternList":["sha-*"],"storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":90},"action":{"type":"expire"}},
  {"rulePriority":11,"description":"Releases stay","selection":{"tagStatus":"tagged","tagPrefixList":["v"],"storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":365000},"action":{"type":"expire"}},
  {"rulePriority":20,"selection":{"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":730},"action":{"type":"expire"}}
]}"#;

#[test]
fn import_says_archive_rules_and_compiles_back_to_them() {
    let registry = serde_json::to_string_pretty(&serde_json::json!({
        "repositories": [{
            "repositoryName": "web",
            "lifecyclePolicy": APPLIED_WITH_ARCHIVE_RULES,
            "imageDetails": images(),
        }]
    }))
    .unwrap();
    let dir = temp_dir(&[("registry.json", &registry)]);
    let d = dir.path();
    let import = Cli::new()
        .dir(d)
        .args([
            "import",
            "--registry",
            "file:registry.json",
            "-o",
            "imported.yaml",
        ])
        .run();
    assert_eq!(import.code, 0, "{}", import.stderr);
    let yaml = std::fs::read_to_string(d.join("imported.yaml")).unwrap();
    insta::assert_snapshot!(yaml);
    let diff = Cli::new()
        .dir(d)
        .args(["diff", "imported.yaml", "--registry", "file:registry.json"])
        .run();
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);
    let compile = Cli::new().dir(d).args(["compile", "imported.yaml"]).run();
    assert_eq!(compile.code, 0, "{}", compile.stderr);
    insta::assert_snapshot!(compile.snapshot(Some(d)));
    // Its plan puts nothing and deletes nothing itself: ECR goes on as it did.
    let plan = Cli::new()
        .dir(d)
        .args([
            "plan",
            "imported.yaml",
            "--registry",
            "file:registry.json",
            "--now",
            NOW,
            "--format",
            "json",
        ])
        .run();
    let p: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(p["summary"]["policiesToReplace"], 0, "{}", plan.stdout);
    assert_eq!(p["summary"]["imagesToDelete"], 0, "{}", plan.stdout);
}
