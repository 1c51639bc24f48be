//! Images in use: ECS, Lambda and `kubectl` listings keep what the rules would delete; a
//! native rule that would expire such an image runs at runtime instead; apply reads the
//! consumers again, so an image deployed after the plan stays.

use serde_json::{Value, json};

use crate::e2e::{NOW, days_ago, digests};
use crate::harness::{Cli, temp_dir};
use crate::stand_in::StandIn;

const HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

const POLICY: &str = r#"version: 1
repositories: ["svc"]
in_use:
  ecs: true
  lambda: true
  files: ["in-use/*.json"]
rules:
  - name: releases
    match: { tags: ["v*"] }
    keep: { newest: 2 }
  - name: dev
    match: { tags: ["dev-*"] }
    keep: { within: 30d }
  - name: untagged
    match: { untagged: true }
    keep: { within: 7d }
"#;

/// `kubectl get pods -A -o json`, trimmed to what matters: one pod running an untagged image
/// by digest, one running Docker Hub's nginx.
fn pods(digest: &str) -> String {
    json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "worker-5c8d", "namespace": "prod"},
             "spec": {"containers": [{"name": "worker", "image": format!("{HOST}/svc@{digest}")}]},
             "status": {"containerStatuses": [{"name": "worker", "imageID": format!("docker-pullable://{HOST}/svc@{digest}")}]}},
            {"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "proxy-1", "namespace": "edge"},
             "spec": {"containers": [{"name": "proxy", "image": "nginx:1.27"}]}}
        ]
    })
    .to_string()
}

#[test]
fn services_functions_and_pods_keep_their_images_and_hold_native_rules_back() {
    let s = StandIn::start();
    // v0..v6 a month apart, two old untagged builds, an old and a fresh dev build.
    let mut images: Vec<Value> = (0..7)
        .map(|n| json!({"tags": [format!("v{n}")], "pushedAt": days_ago(300 - n * 30), "sizeInBytes": 40_000_000}))
        .collect();
    images.push(json!({"tags": [], "pushedAt": days_ago(100), "sizeInBytes": 9_000_000}));
    images.push(json!({"tags": [], "pushedAt": days_ago(90), "sizeInBytes": 9_000_000}));
    images.push(json!({"tags": ["dev-1"], "pushedAt": days_ago(60), "sizeInBytes": 5_000_000}));
    images.push(json!({"tags": ["dev-2"], "pushedAt": days_ago(5), "sizeInBytes": 5_000_000}));
    let seeded = s.seed(json!({"repositories": [{"name": "svc", "images": images}]}));
    let ids = digests(&seeded, "svc");
    let uri = |tag: &str| format!("{HOST}/svc:{tag}");
    // ECS: a service on v0; a task running v6 (by digest too) and one running nginx; a cron
    // family whose first revision used v2 and whose five later ones use v5, so v2 is
    // beyond the latest five. Lambda: a function deployed from v1, published as version 1.
    let mut definitions = vec![json!({"family": "cron", "image": uri("v2")})];
    definitions.extend((0..5).map(|_| json!({"family": "cron", "image": uri("v5")})));
    s.call(
        "POST",
        "/_stand_in/consumers",
        Some(&json!({
            "ecsServices": [{"cluster": "prod", "service": "web", "image": uri("v0")}],
            "ecsTasks": [
                {"cluster": "prod", "family": "batch", "image": uri("v6"), "imageDigest": ids[6]},
                {"cluster": "edge", "family": "proxy", "image": "nginx:1.27"}
            ],
            "ecsTaskDefinitions": definitions,
            "lambdaFunctions": [{"name": "api", "imageUri": uri("v1"), "publish": true}]
        })),
    );
    let dir = temp_dir(&[("svc.yaml", POLICY), ("in-use/pods.json", &pods(&ids[7]))]);
    let d = dir.path();
    let cli = || s.cli(d).env("ECR_LIFECYCLE_NOW", NOW);

    let plan = cli().args(["plan", "svc.yaml", "-o", "plan.json"]).run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("plan.json")).unwrap()).unwrap();
    let repo = &saved["repositories"][0];
    let listed = |key: &str| -> Vec<String> {
        let mut v: Vec<String> = repo[key]
            .as_array()
            .map(|a| {
                a.iter()
                    // A kept image is listed with what would have happened to it.
                    .map(|x| {
                        x.get("image").unwrap_or(x)["digest"]
                            .as_str()
                            .unwrap()
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let pick = |ns: &[usize]| {
        let mut v: Vec<String> = ns.iter().map(|&n| ids[n].clone()).collect();
        v.sort();
        v
    };
    // v0 (ECS service), v1 (Lambda) and the pod's untagged build are kept; v2 is only in a
    // revision older than the latest five; v3, v4 and the other old build go.
    assert_eq!(listed("keptInUse"), pick(&[0, 1, 7]));
    assert_eq!(listed("deletions"), pick(&[2, 3, 4, 8]));
    // The dev rule stays native: ECR expires the old dev build itself.
    assert_eq!(listed("ecrExpirations"), pick(&[9]));
    let policy = repo["lifecyclePolicy"]["text"].as_str().unwrap();
    assert!(policy.contains("\"countNumber\": 30"), "{policy}");
    assert!(
        !policy.contains("imageCountMoreThan"),
        "the releases count is held back: {policy}"
    );

    // v3 is deployed after the plan: apply reads ECS again and leaves it.
    s.call(
        "POST",
        "/_stand_in/consumers",
        Some(&json!({"ecsServices": [{"cluster": "prod", "service": "late", "image": uri("v3")}]})),
    );
    let apply = cli().args(["apply", "plan.json"]).run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let snap = cli().args(["snapshot", "-o", "after.json"]).run();
    assert_eq!(snap.code, 0, "{}", snap.stderr);
    let after = std::fs::read_to_string(d.join("after.json")).unwrap();
    for (n, present) in [
        (0, true),
        (1, true),
        (2, false),
        (3, true),
        (4, false),
        (7, true),
        (8, false),
    ] {
        assert_eq!(after.contains(&ids[n]), present, "image {n}");
    }
    insta::assert_snapshot!(
        format!("{}\n{}", plan.snapshot(Some(d)), apply.snapshot(Some(d)))
            .replace(&s.url, "[ENDPOINT]")
    );
}

#[test]
fn a_listing_glob_that_finds_nothing_is_an_error_at_its_position() {
    let dir = temp_dir(&[
        ("policies/svc.yaml", POLICY),
        ("registry.json", r#"{"repositories": []}"#),
    ]);
    let run = Cli::new()
        .dir(dir.path())
        .args([
            "plan",
            "policies/svc.yaml",
            "--registry",
            "file:registry.json",
        ])
        .run();
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
}

/// Offline, against a snapshot file: only listing files count, and any private ECR host is
/// taken for the snapshot's registry.
#[test]
fn a_snapshot_registry_counts_listing_files_only() {
    let digest = |n: u8| format!("sha256:{}", format!("{n:x}").repeat(64));
    let registry = json!({"repositories": [{"repositoryName": "svc", "imageDetails": [
        {"imageDigest": digest(1), "imageTags": ["v1"], "imagePushedAt": "2026-01-01T00:00:00Z", "imageSizeInBytes": 1000},
        {"imageDigest": digest(2), "imageTags": ["v2"], "imagePushedAt": "2026-02-01T00:00:00Z", "imageSizeInBytes": 1000},
        {"imageDigest": digest(3), "imageTags": ["v3"], "imagePushedAt": "2026-03-01T00:00:00Z", "imageSizeInBytes": 1000}
    ]}]});
    let list = json!([format!("{HOST}/svc:v1"), "ghcr.io/acme/svc:v2"]).to_string();
    let policy = "version: 1\nin_use: { ecs: true, files: [listed.json] }\nrules:\n  - name: releases\n    match: { tags: ['v*'] }\n    keep: { newest: 1 }\n";
    let dir = temp_dir(&[
        ("p.yaml", policy),
        ("listed.json", &list),
        ("registry.json", &registry.to_string()),
    ]);
    let run = Cli::new()
        .dir(dir.path())
        .args([
            "plan",
            "p.yaml",
            "--registry",
            "file:registry.json",
            "--now",
            "2026-06-01T00:00:00Z",
        ])
        .run();
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
}

#[test]
fn iam_policy_grants_reading_only_the_services_the_policies_name() {
    let dir = temp_dir(&[
        (
            "lambda.yaml",
            "version: 1\nrepositories: [api]\nin_use: { lambda: true }\nrules:\n  - {name: all, match: any, keep: {newest: 5}}\n",
        ),
        (
            "plain.yaml",
            "version: 1\nrepositories: [web]\nrules:\n  - {name: all, match: any, keep: {newest: 5}}\n",
        ),
    ]);
    let run = |files: &[&str]| {
        let r = Cli::new()
            .dir(dir.path())
            .args(["iam-policy"])
            .args(files)
            .run();
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    let lambda = run(&["lambda.yaml", "plain.yaml"]);
    assert!(
        lambda.contains("lambda:GetFunction") && !lambda.contains("ecs:"),
        "{lambda}"
    );
    let plain = run(&["plain.yaml"]);
    assert!(!plain.contains("FindImagesInUse"), "{plain}");
    let everything = run(&[]);
    assert!(
        everything.contains("ecs:DescribeTaskDefinition")
            && everything.contains("lambda:ListFunctions")
    );
    insta::assert_snapshot!(lambda);
}
