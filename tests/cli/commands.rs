//! The offline commands: validate, compile (--out, --check, --format json), simulate, evaluate.

use crate::harness::{Cli, temp_dir};

const NOW: &str = "2026-06-01T00:00:00Z";

#[test]
fn validate_reports_every_error_with_position_caret_and_hint() {
    let dir = temp_dir(&[(
        "bad.yaml",
        "version: 1\nrules:\n  - name: keep-prod\n    match: { tags: [\"prod[0-9]\"] }\n    keep: all\n  - name: old\n    match: any\n    keep: { within: 3 months }\n  - name: old\n    match: { untagged: true }\n    keep: { newest: 0 }\n",
    )]);
    let run = Cli::new()
        .dir(dir.path())
        .args(["validate", "bad.yaml"])
        .run();
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
}

/// Tag conditions written as regular expressions: refused ones point to `tag_regex`, and a
/// valid glob that reads like one (`v.*`) is a warning, for `validate` and `compile` alike.
#[test]
fn globs_that_read_like_regular_expressions_point_to_tag_regex() {
    let dir = temp_dir(&[
        (
            "refused.yaml",
            "version: 1\nrules:\n  - name: releases\n    match: { tags: [\"v[0-9]*\"] }\n    keep: { newest: 5 }\n  - name: envs\n    match: { tags_all: [\"(dev|prod)\"] }\n    keep: all\n",
        ),
        (
            "accepted.yaml",
            "version: 1\nrepositories: [web]\nrules:\n  - name: releases\n    match: { tags: [\"v.*\", \"v1.*\"] }\n    keep: { newest: 5 }\n  - name: window\n    match: any\n    keep: { within: 30d, anchor: { oldest_tagged: [\"prod-.*\"] }, at_least: 3 }\n",
        ),
    ]);
    let validate = |f: &str| {
        Cli::new()
            .dir(dir.path())
            .args(["validate", f])
            .run()
            .snapshot(Some(dir.path()))
    };
    let compiled = Cli::new()
        .dir(dir.path())
        .args(["compile", "accepted.yaml", "--format", "json"])
        .run();
    assert_eq!(compiled.code, 0, "{}", compiled.stderr);
    let doc: serde_json::Value = serde_json::from_str(&compiled.stdout).unwrap();
    let messages: Vec<&str> = doc[0]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "`v.*` reads like a regular expression, but in a glob `.` is no wildcard",
            "rule `releases` runs at runtime",
            "rule `window` runs at runtime",
            "`prod-.*` reads like a regular expression, but in a glob `.` is no wildcard",
        ]
    );
    insta::assert_snapshot!(format!(
        "{}\n{}",
        validate("refused.yaml"),
        validate("accepted.yaml")
    ));
}

#[test]
fn validate_reports_a_yaml_error_and_a_misspelled_key() {
    let dir = temp_dir(&[
        (
            "typo.yaml",
            "version: 1\nrules:\n  - name: a\n    match: { untaged: true }\n    keep: all\n",
        ),
        ("broken.yaml", "version: 1\nrules: [\n"),
        (
            "good.yaml",
            "version: 1\nrepositories: [x]\nrules: [{name: a, match: any, keep: all}]\n",
        ),
    ]);
    let run = Cli::new()
        .dir(dir.path())
        .args([
            "validate",
            "typo.yaml",
            "broken.yaml",
            "good.yaml",
            "missing.yaml",
        ])
        .run();
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
}

#[test]
fn a_file_that_is_not_utf8_is_refused_at_the_first_invalid_byte() {
    let dir = temp_dir(&[]);
    // Latin-1 `é` (0xE9) in a rule name: line 3, after 13 characters.
    std::fs::write(
        dir.path().join("latin1.yaml"),
        b"version: 1\nrules:\n  - name: caf\xe9\n    match: any\n    keep: all\n",
    )
    .unwrap();
    let run = Cli::new()
        .dir(dir.path())
        .args(["validate", "latin1.yaml"])
        .run();
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("latin1.yaml:3:14: not UTF-8 text: byte 0xE9 here"),
        "{}",
        run.stderr
    );
}

#[test]
fn validate_refuses_two_files_governing_one_repository() {
    let dir = temp_dir(&[
        (
            "a.yaml",
            "version: 1\nrepositories: [\"web-*\"]\nrules: [{name: a, match: any, keep: all}]\n",
        ),
        (
            "b.yaml",
            "version: 1\nrepositories: [\"*-api\"]\nrules: [{name: a, match: any, keep: all}]\n",
        ),
    ]);
    let run = Cli::new()
        .dir(dir.path())
        .args(["validate", "a.yaml", "b.yaml"])
        .run();
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
}

#[test]
fn compile_out_then_check_is_fresh_then_stale_after_an_edit() {
    let policy = "version: 1\nrules:\n  - name: untagged\n    match: { untagged: true }\n    keep: { within: 14d }\n";
    let dir = temp_dir(&[("p.yaml", policy)]);
    let out = dir.path().join("out");
    let out_s = out.display().to_string();
    let cli = || Cli::new().dir(dir.path());

    let run = cli()
        .args(["compile", "p.yaml", "--out", &out_s, "--check"])
        .run();
    assert_eq!(run.code, 2, "missing output is stale: {}", run.stderr);

    let run = cli().args(["compile", "p.yaml", "--out", &out_s]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let native = std::fs::read_to_string(out.join("p.lifecycle-policy.json")).unwrap();
    insta::assert_snapshot!("untagged-native-json", native);

    let run = cli()
        .args(["compile", "p.yaml", "--out", &out_s, "--check"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);

    std::fs::write(dir.path().join("p.yaml"), policy.replace("14d", "7d")).unwrap();
    let run = cli()
        .args(["compile", "p.yaml", "--out", &out_s, "--check"])
        .run();
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
}

#[test]
fn compile_json_is_one_document_for_machines() {
    let run = Cli::new()
        .args(["compile", "policies/mixed.yaml", "--format", "json"])
        .run();
    assert_eq!(run.code, 0);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let rules = doc[0]["rules"].as_array().unwrap();
    let names: Vec<&str> = rules.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "production",
            "feature-branches",
            "untagged",
            "semver",
            "leftovers"
        ]
    );
    assert_eq!(rules[1]["disposition"], "native");
    assert_eq!(rules[3]["disposition"], "runtime");
    assert!(doc[0]["warnings"].as_array().unwrap().iter().all(|w| {
        w["location"]
            .as_str()
            .unwrap()
            .starts_with("policies/mixed.yaml:")
    }));
}

/// ECR's documented "Example B" trap as a native policy written by hand, and the same intent
/// in the DSL: the native policy expires an image the intent keeps.
const TRAP_NATIVE: &str = r#"{"rules":[
  {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["prod*"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
  {"rulePriority":2,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}
]}"#;
const TRAP_DSL: &str = "version: 1\nrules:\n  - {name: prod, match: {tags: [\"prod*\"]}, keep: {newest: 1}}\n  - {name: rest, match: any, keep: {newest: 1}}\n";

fn images_json() -> String {
    let img = |n: u8, tags: &[&str], day: u32| {
        serde_json::json!({
            "repositoryName": "web",
            "imageDigest": format!("sha256:{:064x}", n),
            "imageTags": tags,
            "imagePushedAt": format!("2026-05-{day:02}T10:00:00+00:00"),
            "imageSizeInBytes": 1000 * u64::from(n),
        })
    };
    let details = vec![
        img(1, &["dev-1"], 1),
        img(2, &["dev-2"], 2),
        img(3, &["prod-3"], 3),
        img(4, &["prod-4"], 4),
    ];
    serde_json::to_string_pretty(&serde_json::json!({ "imageDetails": details })).unwrap()
}

#[test]
fn simulate_and_evaluate_show_the_counting_trap() {
    let dir = temp_dir(&[
        ("native.json", TRAP_NATIVE),
        ("intent.yaml", TRAP_DSL),
        ("images.json", &images_json()),
    ]);
    let sim = Cli::new()
        .dir(dir.path())
        .args([
            "simulate",
            "--policy",
            "native.json",
            "--images",
            "images.json",
            "--now",
            NOW,
        ])
        .run();
    let eval = Cli::new()
        .dir(dir.path())
        .args([
            "evaluate",
            "intent.yaml",
            "--images",
            "images.json",
            "--now",
            NOW,
        ])
        .run();
    // ECR: rule 1 keeps prod-4 and expires prod-3; rule 2 counts all four images, keeps only
    // prod-4 and marks the rest, so both dev images expire (it may act on them).
    // The DSL: the newest prod (prod-4) and the newest other image (dev-2) survive.
    insta::assert_snapshot!(format!("{}\n{}", sim.snapshot(None), eval.snapshot(None)));
    let compiled = Cli::new()
        .dir(dir.path())
        .args(["compile", "intent.yaml", "--format", "json"])
        .run();
    let doc: serde_json::Value = serde_json::from_str(&compiled.stdout).unwrap();
    assert_eq!(
        doc[0]["rules"][1]["disposition"], "runtime",
        "the catch-all count cannot be native"
    );
}

#[test]
fn simulate_refuses_a_policy_ecr_would_refuse() {
    let dir = temp_dir(&[
        (
            "bad.json",
            r#"{"rules":[{"rulePriority":0,"selection":{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":0},"action":{"type":"expire"}}]}"#,
        ),
        ("images.json", "{\"imageDetails\": []}"),
    ]);
    let run = Cli::new()
        .dir(dir.path())
        .args([
            "simulate",
            "--policy",
            "bad.json",
            "--images",
            "images.json",
            "--now",
            NOW,
        ])
        .run();
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .contains("ECR would refuse this lifecycle policy"),
        "{}",
        run.stderr
    );
}

#[test]
fn images_file_errors_name_the_position() {
    let dir = temp_dir(&[
        ("p.yaml", TRAP_DSL),
        (
            "images.json",
            "{\"imageDetails\": [\n  {\"imageDigest\": \"sha256:1234\", \"imagePushedAt\": 1}\n]}",
        ),
    ]);
    let run = Cli::new()
        .dir(dir.path())
        .args([
            "evaluate",
            "p.yaml",
            "--images",
            "images.json",
            "--now",
            NOW,
        ])
        .run();
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
}

#[test]
fn evaluate_reads_epoch_seconds_and_standard_input_is_not_a_terminal() {
    let text = images_json().replace("\"2026-05-01T10:00:00+00:00\"", "1777629600.0");
    let dir = temp_dir(&[("p.yaml", TRAP_DSL), ("images.json", &text)]);
    let run = Cli::new()
        .dir(dir.path())
        .args(["evaluate", "p.yaml", "--images", "images.json"])
        .env("ECR_LIFECYCLE_NOW", NOW)
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
}

#[test]
fn compile_terraform_emits_lifecycle_policy_resources_for_the_native_part() {
    let dir = temp_dir(&[
        (
            "web.yaml",
            "version: 1\nrepositories: [web, api]\nrules:\n  - name: untagged\n    description: 'cost ${var.x} 100%{'\n    match: { untagged: true }\n    keep: { within: 14d }\n  - name: rest\n    match: { tag_regex: 'v.*' }\n    keep: { newest: 5 }\n",
        ),
        (
            "runtime-only.yaml",
            "version: 1\nrepositories: [\"other-*\"]\nrules:\n  - name: w\n    match: any\n    keep: { within: 3d, anchor: { oldest_tagged: [prod] } }\n",
        ),
    ]);
    let d = dir.path();
    let run = Cli::new()
        .dir(d)
        .args([
            "compile",
            "web.yaml",
            "runtime-only.yaml",
            "--format",
            "terraform",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let policy = doc["resource"]["aws_ecr_lifecycle_policy"]["ecr_lifecycle_web"]["policy"]
        .as_str()
        .unwrap();
    // The literal text survives Terraform's template syntax once unescaped.
    let unescaped = policy.replace("$${", "${").replace("%%{", "%{");
    let parsed: serde_json::Value = serde_json::from_str(&unescaped).unwrap();
    assert_eq!(
        parsed["rules"][0]["description"],
        "untagged: cost ${var.x} 100%{ (expire after 14 days)"
    );
    assert_eq!(
        doc["variable"]["ecr_lifecycle_web_repositories"]["default"],
        serde_json::json!(["web", "api"])
    );

    let out = d.join("tf").display().to_string();
    let run = Cli::new()
        .dir(d)
        .args([
            "compile",
            "web.yaml",
            "runtime-only.yaml",
            "--format",
            "terraform",
            "--out",
            &out,
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let names: Vec<String> = std::fs::read_dir(d.join("tf"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec!["web.tf.json".to_string()],
        "no file where ECR has nothing to do"
    );
    let check = Cli::new()
        .dir(d)
        .args([
            "compile",
            "web.yaml",
            "runtime-only.yaml",
            "--format",
            "terraform",
            "--out",
            &out,
            "--check",
        ])
        .run();
    assert_eq!(check.code, 0, "{}", check.stderr);
}

/// Images for the example policies' repositories, times as the AWS CLI prints them (epoch
/// seconds with fractions), with ties, pulls and unknown members.
fn example_images(per_repository: u32) -> String {
    let mut details = Vec::new();
    let repos = [
        "web-1",
        "apps/app-2",
        "sandbox/box-3",
        "services/svc-4",
        "other",
    ];
    let now = 1_780_272_000i64; // NOW
    for (r, repo) in repos.iter().enumerate() {
        for i in 0..per_repository {
            let n = u64::from(i) * 7919 + r as u64;
            let tags = match n % 7 {
                0 | 1 => String::new(),
                2 => format!(r#","imageTags":["v1.{}.{}"]"#, i / 10, i % 10),
                3 => format!(r#","imageTags":["feature-{}-{n:07x}"]"#, i % 5),
                4 => format!(r#","imageTags":["main-{n:07x}"]"#),
                5 if i % 50 == 5 => r#","imageTags":["prod","latest"]"#.to_string(),
                _ => format!(r#","imageTags":["pr-{}"]"#, i % 40),
            };
            let pushed = now - i64::from(i % 400) * 86_400 / 3 - (i64::from(i) % 3) * 3600;
            let pulled = if n.is_multiple_of(4) {
                format!(r#","lastRecordedPullTime":{}.5"#, pushed + 86_400)
            } else {
                String::new()
            };
            details.push(format!(
                r#"{{"registryId":"123456789012","repositoryName":"{repo}","imageDigest":"sha256:{:064x}"{tags},"imageSizeInBytes":{},"imagePushedAt":{pushed}.{:03}{pulled},"imageManifestMediaType":"application/vnd.oci.image.manifest.v1+json"}}"#,
                n.wrapping_mul(0x9e37_79b9_7f4a_7c15),
                1000 + n,
                i % 2 * 500,
            ));
        }
    }
    format!("{{\"imageDetails\":[\n{}\n]}}\n", details.join(",\n"))
}

/// A file is read as a stream into compact records, standard input as text whole: the two
/// paths print the same bytes, warnings included.
#[test]
fn evaluate_prints_the_same_from_a_file_as_from_standard_input() {
    let dir = temp_dir(&[("images.json", &example_images(300))]);
    let images = dir.path().join("images.json");
    let root = crate::harness::repo_root();
    let policies = [
        "mixed",
        "release-window",
        "untagged-cleanup",
        "release-lines",
    ]
    .map(|p| {
        root.join("policies")
            .join(format!("{p}.yaml"))
            .display()
            .to_string()
    });
    for actions in [false, true] {
        let run = |from_file: bool| {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ecr-lifecycle"));
            cmd.arg("evaluate")
                .args(&policies)
                .args(["--now", NOW])
                .env("NO_COLOR", "1");
            if actions {
                cmd.arg("--actions");
            }
            cmd.arg("--images");
            if from_file {
                cmd.arg(&images).stdin(std::process::Stdio::null());
            } else {
                cmd.arg("-")
                    .stdin(std::fs::File::open(&images).expect("the images file"));
            }
            cmd.output().expect("the binary runs")
        };
        let (file, stdin) = (run(true), run(false));
        assert!(
            file.status.success() && stdin.status.success(),
            "{}{}",
            String::from_utf8_lossy(&file.stderr),
            String::from_utf8_lossy(&stdin.stderr)
        );
        let out = String::from_utf8_lossy(&file.stdout);
        assert!(out.lines().count() > 100, "{out}");
        assert_eq!(out, String::from_utf8_lossy(&stdin.stdout));
        assert_eq!(
            String::from_utf8_lossy(&file.stderr),
            String::from_utf8_lossy(&stdin.stderr)
        );
        assert!(String::from_utf8_lossy(&file.stderr).contains("repository `other`"));
    }
}
