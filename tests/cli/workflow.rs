//! plan → apply → plan → diff against a snapshot-file registry (`--registry file:PATH`).

use crate::harness::{Cli, repo_root, temp_dir};

const NOW: &str = "2026-11-01T12:00:00Z";

/// A copy of the demo registry and the example policies in a temporary directory.
fn workspace() -> tempfile::TempDir {
    let root = repo_root();
    let mut files: Vec<(String, String)> = vec![(
        "registry.json".into(),
        std::fs::read_to_string(root.join("demo/registry.json")).unwrap(),
    )];
    for e in std::fs::read_dir(root.join("policies")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        files.push((
            format!("policies/{name}"),
            std::fs::read_to_string(e.path()).unwrap(),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    temp_dir(&refs)
}

fn policies(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("policies"))
        .unwrap()
        .flatten()
        .map(|e| format!("policies/{}", e.file_name().to_string_lossy()))
        .collect();
    v.sort();
    v
}

fn cli(dir: &std::path::Path) -> Cli {
    Cli::new().dir(dir).env("ECR_LIFECYCLE_NOW", NOW)
}

#[test]
fn plan_apply_plan_is_no_changes_and_diff_is_clean() {
    let dir = workspace();
    let d = dir.path();
    let files = policies(d);
    let mut args = vec!["plan".to_string()];
    args.extend(files.clone());
    args.extend(["--registry", "file:registry.json", "-o", "plan.json"].map(String::from));
    let plan = cli(d).args(&args).run();
    assert_eq!(plan.code, 2, "changes are due: {}", plan.stderr);
    assert!(
        plan.stdout
            .contains("Plan: 2 policies to put, 1 to replace, 0 to delete, 111 images to delete"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(", 9 images to archive ("),
        "{}",
        plan.stdout
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("plan.json")).unwrap()).unwrap();
    assert_eq!(saved["formatVersion"], 3);
    assert_eq!(
        saved["registries"],
        serde_json::json!(["file:registry.json"])
    );
    // Reasons are data with their figures; the renderers word them.
    let web = saved["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "apps/web")
        .unwrap();
    assert_eq!(web["deletions"][0]["rule"], "release-window");
    assert_eq!(web["deletions"][0]["reason"]["kind"], "anchor");
    assert_eq!(web["deletions"][0]["reason"]["position"], "beforeWindow");
    assert_eq!(web["deletions"][0]["reason"]["atLeast"], 13);
    assert_eq!(saved["summary"]["imagesToDelete"], 111);
    assert_eq!(saved["summary"]["imagesToArchive"], 9);
    let to_archive: Vec<String> = saved["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["archivals"].as_array().cloned().unwrap_or_default())
        .map(|a| a["digest"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(to_archive.len(), 9);

    let before = std::fs::read_to_string(d.join("registry.json")).unwrap();
    let apply = cli(d).args(["apply", "plan.json"]).run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("Apply complete: 111 images deleted"),
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains("archive/reports: archived 9 images (2.4 GiB)"),
        "{}",
        apply.stdout
    );
    let after = std::fs::read_to_string(d.join("registry.json")).unwrap();
    assert_ne!(before, after, "the snapshot file was rewritten");
    assert!(!d.join(".registry.json.tmp").exists());

    // The archived images are in the archive storage class since the apply.
    let snapshot: serde_json::Value = serde_json::from_str(&after).unwrap();
    let reports = snapshot["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["repositoryName"] == "archive/reports")
        .unwrap();
    for digest in &to_archive {
        let image = reports["imageDetails"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["imageDigest"] == digest.as_str())
            .expect("an archived image stays in the repository");
        assert_eq!(image["imageStatus"], "ARCHIVED", "{image}");
        assert_eq!(
            image["lastArchivedAt"], "2026-11-01T12:00:00+00:00",
            "{image}"
        );
    }

    // The index's untagged children stay with their index.
    let snapshot: serde_json::Value = serde_json::from_str(&after).unwrap();
    let sandbox = snapshot["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["repositoryName"] == "sandbox/experiments")
        .unwrap();
    let index = sandbox["imageDetails"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["imageTags"][0] == "multiarch")
        .expect("the index is kept");
    for child in index["childManifestDigests"].as_array().unwrap() {
        assert!(
            after.contains(child.as_str().unwrap()),
            "child {child} of a kept index must survive"
        );
    }

    // Applying the same plan again deletes nothing and succeeds.
    let again = cli(d).args(["apply", "plan.json"]).run();
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("Apply complete: 0 images deleted"),
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("already gone"), "{}", again.stdout);

    args.truncate(args.len() - 2);
    let replan = cli(d).args(&args).run();
    assert_eq!(replan.code, 0, "{}", replan.stdout);
    assert!(replan.stdout.contains("No changes."), "{}", replan.stdout);

    let mut diff = vec!["diff".to_string()];
    diff.extend(files);
    diff.extend(["--registry", "file:registry.json"].map(String::from));
    let run = cli(d).args(&diff).run();
    insta::assert_snapshot!(run.snapshot(Some(d)));
}

#[test]
fn drift_made_behind_the_tools_back_shows_as_a_diff() {
    let dir = workspace();
    let d = dir.path();
    let run = cli(d)
        .args([
            "diff",
            "policies/release-lines.yaml",
            "policies/untagged-cleanup.yaml",
            "--registry",
            "file:registry.json",
        ])
        .run();
    insta::assert_snapshot!(run.snapshot(Some(d)));
    let json = cli(d)
        .args([
            "diff",
            "policies/release-lines.yaml",
            "--registry",
            "file:registry.json",
            "--format",
            "json",
        ])
        .run();
    assert_eq!(json.code, 2);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let payments = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["repository"] == "services/payments")
        .unwrap();
    assert_eq!(payments["status"], "differs");
}

#[test]
fn a_plan_from_other_policy_files_is_refused_and_nothing_is_deleted() {
    let dir = workspace();
    let d = dir.path();
    let plan = cli(d)
        .args([
            "plan",
            "policies/release-window.yaml",
            "--registry",
            "file:registry.json",
            "-o",
            "plan.json",
        ])
        .run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let policy = d.join("policies/release-window.yaml");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(&policy, text.replace("at_least: 13", "at_least: 3")).unwrap();
    let before = std::fs::read_to_string(d.join("registry.json")).unwrap();
    let run = cli(d).args(["apply", "plan.json"]).run();
    insta::assert_snapshot!(run.snapshot(Some(d)));
    assert_eq!(
        before,
        std::fs::read_to_string(d.join("registry.json")).unwrap()
    );
}

#[test]
fn max_delete_stops_an_apply_before_it_starts() {
    let dir = workspace();
    let d = dir.path();
    let run = cli(d)
        .args([
            "apply",
            "--auto-approve",
            "policies/release-window.yaml",
            "--registry",
            "file:registry.json",
            "--max-delete",
            "10",
        ])
        .run();
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("the plan deletes 47 images, more than --max-delete 10"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(d.join("registry.json")).unwrap(),
        std::fs::read_to_string(repo_root().join("demo/registry.json")).unwrap()
    );
}

#[test]
fn apply_of_policy_files_without_a_terminal_asks_for_auto_approve() {
    let dir = workspace();
    let run = cli(dir.path())
        .args([
            "apply",
            "policies/release-window.yaml",
            "--registry",
            "file:registry.json",
        ])
        .run();
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("pass --auto-approve"), "{}", run.stderr);
}

#[test]
fn corrupt_plan_and_snapshot_files_are_clear_errors() {
    let dir = temp_dir(&[
        ("plan.json", "{\"formatVersion\": 99}"),
        (
            "broken.json",
            "{\"repositories\": [ {\"repositoryName\": \"x\", \"imageDetails\": [ {\"imageDigest\": 5} ] } ]",
        ),
        (
            "p.yaml",
            "version: 1\nrules: [{name: a, match: any, keep: all}]\n",
        ),
    ]);
    let d = dir.path();
    let plan = Cli::new().dir(d).args(["apply", "plan.json"]).run();
    let snap = Cli::new()
        .dir(d)
        .args(["plan", "p.yaml", "--registry", "file:broken.json"])
        .run();
    let missing = Cli::new()
        .dir(d)
        .args(["plan", "p.yaml", "--registry", "file:nope.json"])
        .run();
    let unknown = Cli::new()
        .dir(d)
        .args(["plan", "p.yaml", "--registry", "s3:bucket"])
        .run();
    insta::assert_snapshot!(format!(
        "{}\n{}\n{}\n{}",
        plan.snapshot(Some(d)),
        snap.snapshot(Some(d)),
        missing.snapshot(Some(d)),
        unknown.snapshot(Some(d))
    ));
}

/// Files given as a snapshot that are something else: each error names the file, the position
/// where there is one, what the file is, and what to do.
#[test]
fn files_that_are_not_snapshots_say_what_they_are_and_what_to_do() {
    let digest = |n: u8| format!("sha256:{n:064x}");
    let image = |n: u8| {
        format!(
            "{{\"repositoryName\": \"web\", \"imageDigest\": \"{}\", \"imagePushedAt\": \"2026-01-01T00:00:00Z\"}}",
            digest(n)
        )
    };
    let describe_images = format!(
        "{{\"imageDetails\": [\n  {},\n  {}\n]}}\n",
        image(1),
        image(2)
    );
    let bare = format!("[{}]\n", image(1));
    let duplicate = format!(
        "{{\"repositories\": [\n  {{\"repositoryName\": \"web\", \"lifecyclePolicy\": null, \"imageDetails\": [\n    {},\n    {},\n    {}\n  ]}}\n]}}\n",
        image(1),
        image(2),
        image(1)
    );
    let dir = temp_dir(&[
        (
            "p.yaml",
            "version: 1\nrules: [{name: a, match: any, keep: all}]\n",
        ),
        ("images.json", &describe_images),
        ("bare.json", &bare),
        (
            "repositories.json",
            "{\"repositories\": [{\"repositoryArn\": \"arn:aws:ecr:eu-west-1:123456789012:repository/web\", \"registryId\": \"123456789012\", \"repositoryName\": \"web\"}]}\n",
        ),
        ("duplicate.json", &duplicate),
        ("notes.txt", "registry of 2026-11-01\n"),
    ]);
    let d = dir.path();
    let runs: Vec<String> = [
        "images.json",
        "bare.json",
        "repositories.json",
        "duplicate.json",
        "notes.txt",
        "p.yaml",
        "",
        "nope.json",
    ]
    .iter()
    .map(|f| {
        let registry = format!("--registry=file:{f}");
        let run = Cli::new().dir(d).args(["plan", "p.yaml", &registry]).run();
        assert_eq!(run.code, 1, "{f}");
        format!("$ plan p.yaml {registry}\n{}", run.snapshot(Some(d)))
    })
    .collect();
    insta::assert_snapshot!(runs.join("\n"));
}

/// Without `--now`, the clock is read to the whole second: no nanoseconds in a plan's header,
/// its JSON or its Markdown.
#[test]
fn plans_read_the_clock_to_the_whole_second_and_counts_agree_in_number() {
    let dir = workspace();
    let d = dir.path();
    let plan = |format: &str| {
        let run = Cli::new()
            .dir(d)
            .args([
                "plan",
                "policies/mixed.yaml",
                "--registry",
                "file:registry.json",
                "--format",
                format,
            ])
            .run();
        assert_eq!(run.code, 2, "{}", run.stderr);
        run.stdout
    };
    let text = plan("text");
    let header = text.lines().next().unwrap();
    let at = header
        .split(" at ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("no time in {header:?}"));
    assert!(!at.contains('.'), "{header}");
    at.parse::<jiff::Timestamp>().unwrap();
    let json: serde_json::Value = serde_json::from_str(&plan("json")).unwrap();
    let created = json["createdAt"].as_str().unwrap();
    assert!(!created.contains('.'), "{created}");
    assert!(!plan("markdown").contains(&format!("{}.", &at[..19])));

    let run = Cli::new()
        .dir(d)
        .args([
            "snapshot",
            "--registry",
            "file:registry.json",
            "--repositories",
            "web-frontend",
            "-o",
            "one.json",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "Saved 1 repository to one.json.\n");
}

#[test]
fn plan_text_markdown_and_snapshot_of_a_small_registry() {
    let registry = r#"{"repositories": [
      {"repositoryName": "web", "lifecyclePolicy": null, "imageDetails": [
        {"imageDigest": "sha256:1111111111111111111111111111111111111111111111111111111111111111", "imageTags": ["v1"], "imagePushedAt": "2026-01-01T00:00:00Z", "imageSizeInBytes": 1073741824},
        {"imageDigest": "sha256:2222222222222222222222222222222222222222222222222222222222222222", "imageTags": ["v2"], "imagePushedAt": "2026-06-01T00:00:00Z", "imageSizeInBytes": 536870912},
        {"imageDigest": "sha256:3333333333333333333333333333333333333333333333333333333333333333", "imagePushedAt": "2026-10-01T00:00:00Z", "imageSizeInBytes": 1000},
        {"imageDigest": "sha256:4444444444444444444444444444444444444444444444444444444444444444", "imageTags": ["v3"], "imagePushedAt": "2026-10-30T00:00:00Z", "imageSizeInBytes": 2048}
      ]},
      {"repositoryName": "other", "lifecyclePolicy": null, "imageDetails": []}
    ]}"#;
    let policy = "version: 1\nrepositories: [web]\nrules:\n  - name: untagged\n    match: { untagged: true }\n    keep: { within: 14d }\n  - name: releases\n    match: { tag_regex: 'v[0-9]+' }\n    keep: { newest: 1 }\n";
    let dir = temp_dir(&[("registry.json", registry), ("p.yaml", policy)]);
    let d = dir.path();
    let text = cli(d)
        .args(["plan", "p.yaml", "--registry", "file:registry.json"])
        .run();
    let md = cli(d)
        .args([
            "plan",
            "p.yaml",
            "--registry",
            "file:registry.json",
            "--format",
            "markdown",
        ])
        .run();
    insta::assert_snapshot!(format!(
        "{}\n{}",
        text.snapshot(Some(d)),
        md.snapshot(Some(d))
    ));

    let snap = cli(d)
        .args([
            "snapshot",
            "--registry",
            "file:registry.json",
            "--repositories",
            "w*",
            "-o",
            "copy.json",
        ])
        .run();
    assert_eq!(snap.code, 0, "{}", snap.stderr);
    let copy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("copy.json")).unwrap()).unwrap();
    let repos = copy["repositories"].as_array().unwrap();
    assert_eq!(repos.len(), 1);
    assert_eq!(repos[0]["imageDetails"].as_array().unwrap().len(), 4);
    // A snapshot plans exactly like the registry it was taken from.
    let again = cli(d)
        .args([
            "plan",
            "p.yaml",
            "--registry",
            "file:copy.json",
            "--format",
            "json",
        ])
        .run();
    let first = cli(d)
        .args([
            "plan",
            "p.yaml",
            "--registry",
            "file:registry.json",
            "--format",
            "json",
        ])
        .run();
    let strip = |s: &str| {
        s.replace("file:copy.json", "R")
            .replace("file:registry.json", "R")
    };
    assert_eq!(strip(&again.stdout), strip(&first.stdout));
}

#[test]
fn a_repository_gone_since_the_plan_is_reported_and_the_others_proceed() {
    let dir = workspace();
    let d = dir.path();
    let plan = cli(d)
        .args([
            "plan",
            "policies/release-window.yaml",
            "policies/mixed.yaml",
            "--registry",
            "file:registry.json",
            "-o",
            "plan.json",
        ])
        .run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let mut reg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("registry.json")).unwrap()).unwrap();
    reg["repositories"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["repositoryName"] != "apps/web");
    std::fs::write(d.join("registry.json"), reg.to_string()).unwrap();
    let run = cli(d).args(["apply", "plan.json"]).run();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("apps/web: stopped: DescribeImages on repository `apps/web` failed: the repository does not exist"), "{}", run.stdout);
    assert!(
        run.stdout.contains("web-frontend: deleted"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Apply incomplete"), "{}", run.stdout);
}

#[test]
fn with_native_policies_left_to_terraform_the_plan_only_deletes() {
    let dir = workspace();
    let d = dir.path();
    let files = policies(d);
    let run_with = |mode: &str| {
        let mut args = vec!["plan".to_string()];
        args.extend(files.clone());
        args.extend(
            [
                "--registry",
                "file:registry.json",
                "--format",
                "json",
                "--native-policies",
                mode,
            ]
            .map(String::from),
        );
        let run = cli(d).args(&args).run();
        serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()
    };
    let managed = run_with("manage");
    let ignored = run_with("ignore");
    assert_eq!(ignored["summary"]["policiesToPut"], 0);
    assert_eq!(ignored["summary"]["policiesToReplace"], 0);
    // The runner's share assumes the compiled policies, which the other tool puts.
    assert_eq!(
        managed["summary"]["imagesToDelete"],
        ignored["summary"]["imagesToDelete"]
    );
    // ECR's figures are those of the policy in force: the compiled one where it is applied,
    // the applied one elsewhere, with a warning.
    let repos = |plan: &serde_json::Value| plan["repositories"].as_array().unwrap().clone();
    let count = |r: &serde_json::Value| r["ecrExpirations"].as_array().map_or(0, Vec::len);
    let mut differing = 0;
    for (m, i) in repos(&managed).iter().zip(&repos(&ignored)) {
        assert_eq!(m["name"], i["name"]);
        let warned = i["notes"].as_array().is_some_and(|n| {
            n.iter()
                .any(|n| n["kind"] == "appliedPolicyDiffers" || n["kind"] == "noPolicyApplied")
        });
        match m["lifecyclePolicy"]["action"].as_str().unwrap() {
            "unchanged" => {
                assert_eq!(count(m), count(i), "{}", m["name"]);
                assert!(!warned, "{}", m["name"]);
            }
            // Nothing is applied yet: ECR expires nothing until the other tool puts it.
            "put" => {
                assert_eq!(count(i), 0, "{}", m["name"]);
                assert!(warned, "{}", m["name"]);
                differing += 1;
            }
            _ => {
                assert!(warned, "{}", m["name"]);
                differing += 1;
            }
        }
    }
    assert_eq!(differing, 3);
    // The applied policy of services/payments expires images the policy files keep: they are
    // listed apart, and the note counts them.
    let payments = repos(&ignored)
        .into_iter()
        .find(|r| r["name"] == "services/payments")
        .unwrap();
    let kept_by_files = payments["appliedPolicyExpirations"]
        .as_array()
        .unwrap()
        .len();
    assert!(kept_by_files > 0, "{payments:#}");
    let note = payments["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "appliedPolicyDiffers")
        .unwrap();
    assert_eq!(note["keptByFiles"], kept_by_files, "{payments:#}");
}

#[test]
fn shard_plans_merge_into_the_whole_plan() {
    let dir = workspace();
    let d = dir.path();
    let files = policies(d);
    let plan_args = |extra: &[&str]| {
        let mut a = vec!["plan".to_string()];
        a.extend(files.clone());
        a.extend(["--registry", "file:registry.json"].map(String::from));
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let whole = cli(d).args(plan_args(&["-o", "whole.json"])).run();
    assert_eq!(whole.code, 2);
    let mut sizes = Vec::new();
    for i in 1..=3 {
        let run = cli(d)
            .args(plan_args(&[
                "--shard",
                &format!("{i}/3"),
                "-o",
                &format!("s{i}.json"),
            ]))
            .run();
        assert!(run.code == 0 || run.code == 2, "{}", run.stderr);
        let p: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join(format!("s{i}.json"))).unwrap())
                .unwrap();
        assert_eq!(p["shard"], format!("{i}/3"));
        sizes.push(p["repositories"].as_array().unwrap().len());
    }
    assert_eq!(
        sizes.iter().sum::<usize>(),
        7,
        "every governed repository in exactly one shard: {sizes:?}"
    );
    let merged = cli(d)
        .args([
            "plan",
            "merge",
            "s1.json",
            "s2.json",
            "s3.json",
            "-o",
            "merged.json",
        ])
        .run();
    assert_eq!(merged.code, 2, "{}", merged.stderr);
    let read = |n: &str| {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join(n)).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("shard");
        v
    };
    assert_eq!(read("merged.json"), read("whole.json"));
    let missing = cli(d).args(["plan", "merge", "s1.json", "s2.json"]).run();
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("2 of 3 shards given"),
        "{}",
        missing.stderr
    );
    let twice = cli(d)
        .args(["plan", "merge", "s1.json", "s1.json", "s2.json"])
        .run();
    assert!(
        twice.stderr.contains("shard 1/3 is given twice"),
        "{}",
        twice.stderr
    );
    let bad = cli(d).args(plan_args(&["--shard", "4/3"])).run();
    assert!(bad.stderr.contains("is not a shard"), "{}", bad.stderr);
    // The merged plan applies like the whole one.
    let apply = cli(d).args(["apply", "merged.json"]).run();
    assert_eq!(apply.code, 0, "{}", apply.stdout);
}

#[test]
fn import_writes_a_file_that_compiles_back_to_the_applied_policy() {
    let dir = workspace();
    let d = dir.path();
    let run = cli(d)
        .args([
            "import",
            "--registry",
            "file:registry.json",
            "--repositories",
            "services/*",
            "-o",
            "imported.yaml",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let yaml = std::fs::read_to_string(d.join("imported.yaml")).unwrap();
    insta::assert_snapshot!(yaml);
    // No drift between the imported file and the registry it came from.
    let diff = cli(d)
        .args([
            "diff",
            "imported.yaml",
            "--registry",
            "file:registry.json",
            "--format",
            "json",
        ])
        .run();
    let v: serde_json::Value = serde_json::from_str(&diff.stdout).unwrap();
    let payments = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["repository"] == "services/payments")
        .unwrap();
    assert_eq!(payments["status"], "in_sync", "{}", diff.stdout);
    // The plan of the imported file deletes nothing itself: ECR does what it always did.
    let plan = cli(d)
        .args([
            "plan",
            "imported.yaml",
            "--registry",
            "file:registry.json",
            "--format",
            "json",
        ])
        .run();
    let p: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(p["summary"]["imagesToDelete"], 0, "{}", plan.stdout);
    assert!(p["summary"]["ecrExpirations"].as_u64().unwrap() > 0);

    let mixed = cli(d)
        .args(["import", "--registry", "file:registry.json"])
        .run();
    assert_eq!(mixed.code, 1);
    assert!(
        mixed.stderr.contains("carry 3 different policies"),
        "{}",
        mixed.stderr
    );
}

#[test]
fn a_policy_file_that_governs_no_repository_is_named_in_every_format() {
    let dir = workspace();
    let d = dir.path();
    std::fs::write(
        d.join("policies/typo.yaml"),
        "version: 1\nrepositories: [\"apps/wbe\"]\nrules: [{name: a, match: any, keep: {newest: 3}}]\n",
    )
    .unwrap();
    let warning = "policies/typo.yaml governs no repository in file:registry.json: check its `repositories` and `exclude` globs";
    for format in ["text", "markdown"] {
        let run = cli(d)
            .args([
                "plan",
                "policies/mixed.yaml",
                "policies/typo.yaml",
                "--registry",
                "file:registry.json",
                "--format",
                format,
            ])
            .run();
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stdout.contains(warning), "{format}: {}", run.stdout);
        assert!(
            !run.stdout
                .contains("policies/mixed.yaml governs no repository")
        );
    }
}

#[test]
fn max_delete_counts_what_the_policies_being_put_make_ecr_expire() {
    let dir = workspace();
    let d = dir.path();
    let plan = cli(d)
        .args([
            "plan",
            "policies/mixed.yaml",
            "--registry",
            "file:registry.json",
            "--format",
            "json",
            "-o",
            "plan.json",
        ])
        .run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let doc: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let count = |key: &str| -> usize {
        doc["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["lifecyclePolicy"]["action"] != "unchanged")
            .map(|r| r[key].as_array().map_or(0, Vec::len))
            .sum()
    };
    let (runner, ecr) = (count("deletions"), count("ecrExpirations"));
    assert!(runner > 0 && ecr > runner, "runner {runner}, ECR {ecr}");
    // Enough for the runner alone, not for both.
    let max = (runner + ecr - 1).to_string();
    let refused = cli(d)
        .args(["apply", "plan.json", "--max-delete", &max])
        .run();
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains(&format!(
            "the plan deletes {runner} images, and the native policies it puts will make ECR expire {ecr} more: {} in all, more than --max-delete {max}",
            runner + ecr
        )),
        "{}",
        refused.stderr
    );
    let applied = cli(d)
        .args([
            "apply",
            "plan.json",
            "--max-delete",
            &(runner + ecr).to_string(),
        ])
        .run();
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert!(
        applied.stdout.contains(&format!(
            "the native policies put will make ECR expire {ecr} more images"
        )),
        "{}",
        applied.stdout
    );
}

/// `apply --format json`: the plan and what was done, one document with totals that agree with
/// the registry afterwards; a second apply deletes nothing.
#[test]
fn apply_format_json_reports_the_plan_what_was_done_and_the_totals() {
    let dir = workspace();
    let d = dir.path();
    let apply = || {
        cli(d)
            .args([
                "apply",
                "--auto-approve",
                "--format",
                "json",
                "policies/release-window.yaml",
                "--registry",
                "file:registry.json",
            ])
            .run()
    };
    let first = apply();
    assert_eq!(first.code, 0, "{}", first.stderr);
    let report: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    assert_eq!(report["mode"], "apply");
    assert_eq!(report["failed"], false);
    assert_eq!(report["plan"]["summary"]["imagesToDelete"], 47);
    let summary = &report["apply"]["summary"];
    assert_eq!(summary["imagesDeleted"], 47, "{summary}");
    let deleted: Vec<String> = report["apply"]["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["deleted"].as_array().unwrap().clone())
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    assert_eq!(deleted.len(), 47);
    let planned: Vec<String> = report["plan"]["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["deletions"].as_array().unwrap().clone())
        .map(|d| d["digest"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sorted(deleted.clone()), sorted(planned));
    let registry = std::fs::read_to_string(d.join("registry.json")).unwrap();
    assert!(
        deleted
            .iter()
            .all(|digest| !registry.contains(digest.as_str()))
    );
    let second = apply();
    assert_eq!(second.code, 0, "{}", second.stderr);
    let again: serde_json::Value = serde_json::from_str(&second.stdout).unwrap();
    assert_eq!(again["apply"]["summary"]["imagesDeleted"], 0);
    assert_eq!(again["plan"]["summary"]["imagesToDelete"], 0);
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn apply_format_json_of_policy_files_needs_auto_approve() {
    let dir = workspace();
    let run = cli(dir.path())
        .args([
            "apply",
            "--format",
            "json",
            "policies/release-window.yaml",
            "--registry",
            "file:registry.json",
        ])
        .run();
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("pass --auto-approve"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}
