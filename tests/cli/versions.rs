//! `keep: { newest: N, by: version, per: REGEX }` through the commands: plans and explanations
//! carry the rank, the version and the group; `compile` says why the rule is not native;
//! mistakes are errors at their positions.

use crate::harness::{Cli, repo_root, temp_dir};

const NOW: &str = "2026-11-01T12:00:00Z";

/// One repository, `releases/api`: release lines with a late hotfix of an old line, feature
/// branches, an untagged image.
fn registry() -> String {
    let images: &[(&[&str], &str)] = &[
        (&["v1.4.0"], "2026-03-01"),
        (&["v1.4.1"], "2026-04-01"),
        (&["v1.4.2"], "2026-05-01"),
        (&["v2.0.0"], "2026-06-01"),
        (&["v2.0.1", "latest"], "2026-07-01"),
        (&["v1.4.3"], "2026-10-01"), // the hotfix, pushed after 2.0
        (&["v1.4"], "2026-02-01"),   // no patch: no line; a group of its own
        (&["feature-login-1111111"], "2026-10-20"),
        (&["feature-login-2222222"], "2026-10-21"),
        (&["feature-login-3333333"], "2026-10-22"),
        (&["feature-login-4444444"], "2026-10-23"),
        (&["feature-login-5555555"], "2026-10-24"),
        (&["feature-login-6666666"], "2026-10-25"),
        (&["feature-cart-aaaaaaa"], "2026-01-05"),
        (&[], "2026-10-31"),
    ];
    let details: Vec<serde_json::Value> = images
        .iter()
        .enumerate()
        .map(|(i, (tags, day))| {
            let mut d = serde_json::json!({
                "imageDigest": format!("sha256:{:02x}{}", i + 1, "ab".repeat(31)),
                "imagePushedAt": format!("{day}T00:00:00Z"),
                "imageSizeInBytes": 1_048_576,
            });
            if !tags.is_empty() {
                d["imageTags"] = serde_json::json!(tags);
            }
            d
        })
        .collect();
    serde_json::json!({"repositories": [
        {"repositoryName": "releases/api", "lifecyclePolicy": null, "imageDetails": details}
    ]})
    .to_string()
}

fn workspace() -> tempfile::TempDir {
    let policy =
        std::fs::read_to_string(repo_root().join("policies/versions-and-branches.yaml")).unwrap();
    temp_dir(&[("registry.json", &registry()), ("p.yaml", &policy)])
}

fn cli(dir: &std::path::Path) -> Cli {
    Cli::new().dir(dir).env("ECR_LIFECYCLE_NOW", NOW)
}

#[test]
fn plans_name_the_rank_the_version_and_the_group() {
    let dir = workspace();
    let d = dir.path();
    let plan = |format: &str| {
        cli(d)
            .args([
                "plan",
                "p.yaml",
                "--registry",
                "file:registry.json",
                "--format",
                format,
            ])
            .run()
    };
    let (text, md) = (plan("text"), plan("markdown"));
    assert_eq!(text.code, 2, "{}", text.stderr);
    insta::assert_snapshot!(format!(
        "{}\n{}",
        text.snapshot(Some(d)),
        md.snapshot(Some(d))
    ));

    // The plan file holds the figures, not words.
    let json = plan("json");
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let reasons: Vec<&serde_json::Value> = find_key(&v, "reason");
    assert!(
        reasons.contains(&&serde_json::json!({
            "kind": "ranked", "rank": 4, "limit": 3, "by": "version", "version": "v1.4.0",
            "group": {"captures": ["1.4"]}
        })),
        "{reasons:#?}"
    );
    assert!(
        reasons.contains(&&serde_json::json!({
            "kind": "ranked", "rank": 6, "limit": 5, "by": "push", "group": {"captures": ["login"]}
        })),
        "{reasons:#?}"
    );
}

/// Every value under `key`, anywhere in the document.
fn find_key<'a>(v: &'a serde_json::Value, key: &str) -> Vec<&'a serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m
            .iter()
            .flat_map(|(k, x)| {
                let mut found = find_key(x, key);
                if k == key {
                    found.push(x);
                }
                found
            })
            .collect(),
        serde_json::Value::Array(a) => a.iter().flat_map(|x| find_key(x, key)).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn explain_says_where_an_image_ranks_and_in_which_group() {
    let dir = workspace();
    let d = dir.path();
    let run = |image: &str| {
        cli(d)
            .args([
                "explain",
                image,
                "p.yaml",
                "--registry",
                "file:registry.json",
            ])
            .run()
            .snapshot(Some(d))
    };
    let out = [
        run("releases/api:v1.4.0"), // fourth of line 1.4: expires
        run("releases/api:v1.4.3"), // the hotfix: first of its line
        run("releases/api:v1.4"),   // no line
        run("releases/api:feature-login-1111111"),
        run("releases/api:feature-cart-aaaaaaa"),
    ]
    .join("\n");
    insta::assert_snapshot!(out);
}

#[test]
fn evaluate_expires_by_version_and_per_group() {
    let dir = workspace();
    let d = dir.path();
    std::fs::write(
        d.join("images.json"),
        serde_json::to_string(
            &serde_json::from_str::<serde_json::Value>(&registry()).unwrap()["repositories"][0]
                ["imageDetails"],
        )
        .unwrap(),
    )
    .unwrap();
    let run = cli(d)
        .args([
            "evaluate",
            "p.yaml",
            "--images",
            "images.json",
            "--now",
            NOW,
        ])
        .run();
    // v1.4.0 (4th of 1.4), feature-login-1111111 (6th of login); the untagged one is young.
    insta::assert_snapshot!(run.snapshot(Some(d)), @r"
    exit_code: 0
    ----- stdout -----
    sha256:01ababababababababababababababababababababababababababababababab
    sha256:08ababababababababababababababababababababababababababababababab
    ");
}

#[test]
fn by_and_per_mistakes_are_errors_at_their_positions() {
    let policy = "version: 1\nrules:\n  - name: lines\n    match: { tags: [\"v*\"] }\n    keep: { newest: 3, by: semver, per: 'v(\\d+' }\n  - name: branches\n    match: { tags: [\"feature-*\"] }\n    keep: { within: 7d, per: 'feature-.+' }\n";
    let dir = temp_dir(&[("p.yaml", policy)]);
    let run = Cli::new()
        .dir(dir.path())
        .args(["validate", "p.yaml"])
        .run();
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
    let policy = policy.replace(
        "by: semver, per: 'v(\\d+'",
        "by: version, per: 'v\\d+\\..*'",
    );
    let dir = temp_dir(&[("p.yaml", &policy)]);
    let run = Cli::new()
        .dir(dir.path())
        .args(["validate", "p.yaml"])
        .run();
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
}
