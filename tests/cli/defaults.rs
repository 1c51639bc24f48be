//! A default policy file (`default: true`) and a team file that overrides it: the team's
//! repositories are governed by the team file, every other one by the default, and `plan`,
//! `explain` and `compile` say which file governs and why.

use crate::harness::{Cli, repo_root, temp_dir};

const NOW: &str = "2026-11-01T12:00:00Z";

const DEFAULT: &str = "version: 1
default: true
exclude: [\"legacy-*\"]
rules:
  - name: untagged
    match: { untagged: true }
    keep: { within: 14d }
  - name: rest
    match: any
    keep: { newest: 30 }
";

const TEAM: &str = "version: 1
repositories: [\"apps/*\"]
rules:
  - name: builds
    match: { tags: [\"build-*\"] }
    keep: { newest: 5 }
  - name: rest
    match: any
    keep: all
";

fn registry() -> String {
    format!("file:{}", repo_root().join("demo/registry.json").display())
}

#[test]
fn team_repositories_go_to_the_team_file_and_the_rest_to_the_default() {
    let dir = temp_dir(&[("org-default.yaml", DEFAULT), ("team-apps.yaml", TEAM)]);
    let validate = Cli::new()
        .dir(dir.path())
        .args(["validate", "org-default.yaml", "team-apps.yaml"])
        .run();
    assert_eq!(validate.code, 0, "{}", validate.stderr);

    let plan = |format: &str| {
        Cli::new()
            .dir(dir.path())
            .env("ECR_LIFECYCLE_NOW", NOW)
            .args(["plan", "org-default.yaml", "team-apps.yaml"])
            .args(["--registry", &registry(), "--format", format])
            .run()
    };
    let json = plan("json");
    assert_eq!(json.code, 2, "{}", json.stderr);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let governed: Vec<(String, String, bool)> = doc["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["policyFile"].as_str().unwrap().to_string(),
                r["defaultPolicy"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    let expect = |name: &str, file: &str, default: bool| (name.into(), file.into(), default);
    assert_eq!(
        governed,
        [
            expect("apps/api", "team-apps.yaml", false),
            expect("apps/web", "team-apps.yaml", false),
            expect("archive/reports", "org-default.yaml", true),
            // `legacy-tools` is excluded by the default and selected by no file.
            expect("ml/trainer", "org-default.yaml", true),
            expect("sandbox/experiments", "org-default.yaml", true),
            expect("services/payments", "org-default.yaml", true),
            expect("web-frontend", "org-default.yaml", true),
        ]
    );
    // Each repository's rules are its governing file's.
    let rules_of = |name: &str| -> Vec<String> {
        let r = doc["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap();
        let mut rules: Vec<String> = ["deletions", "ecrExpirations"]
            .iter()
            .flat_map(|k| r[k].as_array().cloned().unwrap_or_default())
            .filter_map(|a| a["rule"].as_str().map(str::to_string))
            .collect();
        rules.sort();
        rules.dedup();
        rules
    };
    assert_eq!(rules_of("apps/web"), ["builds"]);
    assert!(
        rules_of("web-frontend")
            .iter()
            .all(|r| r == "untagged" || r == "rest"),
        "{:?}",
        rules_of("web-frontend")
    );

    let text = plan("text");
    assert!(
        text.stdout.contains(
            "# repository web-frontend (policy org-default.yaml, the default: no other file selects it)"
        ),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("# repository apps/web (policy team-apps.yaml)\n"),
        "{}",
        text.stdout
    );
    let markdown = plan("markdown");
    assert!(
        markdown
            .stdout
            .contains("| `org-default.yaml` (default) | rest |"),
        "{}",
        markdown.stdout
    );
    assert!(
        markdown.stdout.contains("| `team-apps.yaml` | builds |"),
        "{}",
        markdown.stdout
    );
}

#[test]
fn explain_and_compile_say_a_default_governs_what_no_other_file_selects() {
    let dir = temp_dir(&[("org-default.yaml", DEFAULT), ("team-apps.yaml", TEAM)]);
    let explain = |image: &str, format: &str| {
        Cli::new()
            .dir(dir.path())
            .env("ECR_LIFECYCLE_NOW", NOW)
            .args(["explain", image, "org-default.yaml", "team-apps.yaml"])
            .args(["--registry", &registry(), "--format", format])
            .run()
    };
    let run = explain("web-frontend:feature-0", "text");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "  governed by rule `rest` (org-default.yaml:8:11) of org-default.yaml, the default file: no other file selects this repository\n"
        ),
        "{}",
        run.stdout
    );
    let run = explain("apps/web:build-1", "text");
    assert!(
        run.stdout
            .contains("  governed by rule `builds` (team-apps.yaml:4:11)\n"),
        "{}",
        run.stdout
    );
    let json = |image: &str| -> serde_json::Value {
        serde_json::from_str(&explain(image, "json").stdout).unwrap()
    };
    let v = json("web-frontend:feature-0");
    assert_eq!(
        (&v["policyFile"], &v["defaultPolicy"]),
        (&"org-default.yaml".into(), &true.into())
    );
    let v = json("apps/web:build-1");
    assert_eq!(v["policyFile"], "team-apps.yaml");
    assert!(v.get("defaultPolicy").is_none(), "{v}");
    // A repository the default excludes and no file selects.
    let run = explain("legacy-tools:0.0", "text");
    assert!(
        run.stdout.contains("governed by no policy file"),
        "{}",
        run.stdout
    );

    let compile = Cli::new()
        .dir(dir.path())
        .args(["compile", "org-default.yaml", "team-apps.yaml"])
        .run();
    assert_eq!(compile.code, 0, "{}", compile.stderr);
    assert!(
        compile.stdout.contains(
            "org-default.yaml\n  repositories: * (except legacy-*)\n  the default file: it governs the repositories these globs select that no other file selects\n"
        ),
        "{}",
        compile.stdout
    );
    assert!(
        compile
            .stdout
            .contains("team-apps.yaml\n  repositories: apps/*\n\n"),
        "{}",
        compile.stdout
    );
    let json = Cli::new()
        .dir(dir.path())
        .args([
            "compile",
            "org-default.yaml",
            "team-apps.yaml",
            "--format",
            "json",
        ])
        .run();
    let docs: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(docs[0]["repositories"]["default"], true);
    assert!(docs[1]["repositories"].get("default").is_none());
}

#[test]
fn two_default_files_that_could_select_one_repository_are_refused() {
    let dir = temp_dir(&[
        ("org-default.yaml", DEFAULT),
        (
            "web-default.yaml",
            "version: 1\nrepositories: [\"web-*\"]\ndefault: true\nrules: [{name: all, match: any, keep: all}]\n",
        ),
        ("team-apps.yaml", TEAM),
    ]);
    let run = Cli::new()
        .dir(dir.path())
        .args([
            "validate",
            "org-default.yaml",
            "team-apps.yaml",
            "web-default.yaml",
        ])
        .run();
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
}
