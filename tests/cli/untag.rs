//! `otherwise: untag`: tags retired, images kept (DESIGN.md §3.6). The worked example of the
//! README through evaluate, explain, compile, plan and apply, against a snapshot file and
//! against the local ECR API, with a tag moved between plan and apply.

use serde_json::{Value, json};

use crate::e2e::days_ago;
use crate::harness::{Cli, temp_dir};
use crate::stand_in::StandIn;

const NOW: &str = "2026-11-01T12:00:00Z";

/// The README's worked example.
const POLICY: &str = "version: 1
repositories: [web]
rules:
  - name: releases
    match: { tags: [\"v*\"] }
    keep: all
  - name: pull-requests
    match: { tags: [\"pr-*\"] }
    keep: { within: 30d }
    otherwise: untag
  - name: untagged
    match: { untagged: true }
    keep: { within: 14d }
";

fn digest(n: u8) -> String {
    format!("sha256:{n:064x}")
}

/// 1: `main` and an old `pr-17`; 2: only an old `pr-18`; 3: a young `pr-19`; 4: `sha-…` and
/// two old pull requests; 5: a release that also carries an old `pr-15` (the release rule
/// governs it first: it keeps every tag).
fn images() -> Value {
    let img = |n: u8, tags: &[&str], age: i64| {
        json!({
            "imageDigest": digest(n),
            "imageTags": tags,
            "imagePushedAt": days_ago(age),
            "imageSizeInBytes": 100 << 20,
        })
    };
    json!([
        img(1, &["main", "pr-17"], 40),
        img(2, &["pr-18"], 40),
        img(3, &["pr-19"], 10),
        img(4, &["pr-20", "pr-21", "sha-1a2b3c4"], 50),
        img(5, &["v1.4.0", "pr-15"], 60),
    ])
}

fn cli(dir: &std::path::Path, args: &[&str]) -> crate::harness::Run {
    Cli::new()
        .dir(dir)
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args(args)
        .run()
}

#[test]
fn evaluate_explain_and_compile_say_which_tags_go() {
    let images_json = json!({ "imageDetails": images() }).to_string();
    let dir = temp_dir(&[("p.yaml", POLICY), ("images.json", &images_json)]);
    let d = dir.path();
    let evaluate = |extra: &[&str]| {
        let mut args = vec![
            "evaluate",
            "p.yaml",
            "--images",
            "images.json",
            "--repository",
            "web",
        ];
        args.extend(extra);
        cli(d, &args)
    };
    let plain = evaluate(&[]);
    let actions = evaluate(&["--actions"]);
    assert_eq!(plain.stdout, format!("{}\n", digest(2)));
    assert_eq!(
        actions.stdout,
        format!(
            "expire {}\nuntag {} pr-17\nuntag {} pr-20\nuntag {} pr-21\n",
            digest(2),
            digest(1),
            digest(4),
            digest(4)
        )
    );
    let registry = json!({"repositories": [{"repositoryName": "web", "lifecyclePolicy": null, "imageDetails": images()}]}).to_string();
    std::fs::write(d.join("registry.json"), registry).unwrap();
    let explain = |image: &str, format: &str| {
        cli(
            d,
            &[
                "explain",
                image,
                "p.yaml",
                "--registry",
                "file:registry.json",
                "--format",
                format,
            ],
        )
    };
    let kept = explain("web:main", "text");
    let gone = explain("web:pr-18", "text");
    let release = explain("web:v1.4.0", "text");
    let kept_json: Value = serde_json::from_str(&explain("web:main", "json").stdout).unwrap();
    assert_eq!(kept_json["fate"], "keep");
    assert_eq!(kept_json["untag"], json!(["pr-17"]));
    let compile = cli(d, &["compile", "p.yaml", "--out", "out"]);
    assert_eq!(compile.code, 0, "{}", compile.stderr);
    let native = std::fs::read_to_string(d.join("out/p.lifecycle-policy.json")).unwrap();
    insta::assert_snapshot!(format!(
        "{}\n{}\n{}\n{}\n{}\n{native}",
        actions.snapshot(None),
        kept.snapshot(None),
        gone.snapshot(None),
        release.snapshot(None),
        compile.snapshot(Some(d)),
    ));
}

#[test]
fn a_plan_lists_tag_removals_apart_and_apply_removes_them_from_a_snapshot() {
    let registry = json!({"repositories": [{"repositoryName": "web", "lifecyclePolicy": null, "imageDetails": images()}]}).to_string();
    let dir = temp_dir(&[("p.yaml", POLICY), ("registry.json", &registry)]);
    let d = dir.path();
    let plan = |extra: &[&str]| {
        let mut args = vec!["plan", "p.yaml", "--registry", "file:registry.json"];
        args.extend(extra);
        cli(d, &args)
    };
    let text = plan(&["-o", "plan.json"]);
    assert_eq!(text.code, 2, "{}", text.stderr);
    let markdown = plan(&["--format", "markdown"]);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("plan.json")).unwrap()).unwrap();
    let web = &saved["repositories"][0];
    // Typed in the plan file: what goes, what stays, the rule and the reason.
    assert_eq!(
        web["tagRemovals"][0],
        json!({
            "digest": digest(4),
            "remove": ["pr-20", "pr-21"],
            "keep": ["sha-1a2b3c4"],
            "pushedAt": "2026-09-12T12:00:00+00:00",
            "rule": "pull-requests",
            "reason": {"kind": "age", "seconds": 50 * 86_400, "window": 30 * 86_400},
        })
    );
    assert_eq!(web["tagRemovals"].as_array().unwrap().len(), 2);
    // An image left with no tag is a deletion, and says why.
    assert_eq!(web["deletions"][0]["digest"], digest(2));
    assert_eq!(web["deletions"][0]["lastTagsRemoved"], true);
    assert_eq!(saved["summary"]["tagsToRemove"], 3);
    assert_eq!(saved["summary"]["imagesToUntag"], 2);
    assert_eq!(saved["summary"]["imagesToDelete"], 1);

    let apply = cli(d, &["apply", "plan.json"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let after = std::fs::read_to_string(d.join("registry.json")).unwrap();
    let after: Value = serde_json::from_str(&after).unwrap();
    let mut tags: Vec<(String, Value)> = after["repositories"][0]["imageDetails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["imageDigest"].as_str().unwrap().to_string(),
                i.get("imageTags").cloned().unwrap_or(json!([])),
            )
        })
        .collect();
    tags.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        tags,
        vec![
            (digest(1), json!(["main"])),
            (digest(3), json!(["pr-19"])),
            (digest(4), json!(["sha-1a2b3c4"])),
            (digest(5), json!(["v1.4.0", "pr-15"])),
        ]
    );
    // Done: a new plan has nothing left, and the same plan again changes nothing.
    let again = plan(&[]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    let twice = cli(d, &["apply", "plan.json"]);
    assert_eq!(twice.code, 0, "{}", twice.stderr);
    insta::assert_snapshot!(format!(
        "{}\n{}\n{}\n{}",
        text.snapshot(Some(d)),
        markdown.snapshot(Some(d)),
        apply.snapshot(Some(d)),
        twice.snapshot(Some(d)),
    ));
}

#[test]
fn untag_on_a_match_that_names_no_tag_is_refused_at_its_position() {
    let dir = temp_dir(&[(
        "p.yaml",
        "version: 1\nrules:\n  - name: everything\n    match: any\n    keep: { newest: 5 }\n    otherwise: untag\n",
    )]);
    let run = cli(dir.path(), &["validate", "p.yaml"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
}

/// The images of the end-to-end test: 120 images with an old `pr-N` and a `sha-N` (so 120
/// tag removals, two BatchDeleteImage calls), one with `main` and an old `pr-moving`, and one
/// with only an old `pr-alone`.
fn seed(s: &StandIn) -> Vec<String> {
    let mut images: Vec<Value> = (0..120)
        .map(|n| json!({"tags": [format!("pr-{n}"), format!("sha-{n}")], "pushedAt": days_ago(40 + n % 5), "sizeInBytes": 1_000_000}))
        .collect();
    images.push(
        json!({"tags": ["main", "pr-moving"], "pushedAt": days_ago(45), "sizeInBytes": 1_000_000}),
    );
    images.push(json!({"tags": ["pr-alone"], "pushedAt": days_ago(45), "sizeInBytes": 1_000_000}));
    images.push(json!({"tags": ["v2.0.0"], "pushedAt": days_ago(1), "sizeInBytes": 1_000_000}));
    let seeded = s.seed(json!({"repositories": [{"name": "web", "images": images}]}));
    crate::e2e::digests(&seeded, "web")
}

fn tags_now(s: &StandIn, dir: &std::path::Path) -> Vec<(String, Vec<String>)> {
    let snap = s.cli(dir).args(["snapshot", "-o", "now.json"]).run();
    assert_eq!(snap.code, 0, "{}", snap.stderr);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("now.json")).unwrap()).unwrap();
    let mut out: Vec<(String, Vec<String>)> = v["repositories"][0]["imageDetails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let mut tags: Vec<String> = i["imageTags"]
                .as_array()
                .map(|a| a.iter().map(|t| t.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            tags.sort();
            (i["imageDigest"].as_str().unwrap().to_string(), tags)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn apply_removes_tags_in_batches_skips_a_moved_tag_and_a_rerun_finishes() {
    let s = StandIn::start();
    let digests = seed(&s);
    let dir = temp_dir(&[("p.yaml", POLICY)]);
    let d = dir.path();
    let cli = || s.cli(d).env("ECR_LIFECYCLE_NOW", NOW);
    let plan = cli()
        .args(["plan", "p.yaml", "-o", "plan.json", "--format", "json"])
        .run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let p: Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(p["summary"]["tagsToRemove"], 121);
    assert_eq!(
        p["summary"]["imagesToDelete"], 1,
        "pr-alone goes with its last tag"
    );

    // Between plan and apply, `pr-moving` moves to the new release image: the plan's removal
    // names the old image, so it must not take the tag from the new one.
    let (moving, release) = (&digests[120], &digests[122]);
    s.call(
        "POST",
        "/_stand_in/update",
        Some(&json!({"repository": "web", "digest": release, "tags": ["v2.0.0", "pr-moving"]})),
    );
    // And the first call reports a failure for one image, as if the apply were cut short
    // there: it is reported, and the next apply finishes it.
    s.call(
        "POST",
        "/_stand_in/faults",
        Some(&json!({"operation": "BatchDeleteImage", "count": 3, "partialFailures": [digests[7]], "failureCode": "InternalError"})),
    );
    s.reset_calls();
    let first = cli().args(["apply", "plan.json"]).run();
    assert_eq!(first.code, 1, "{}\n{}", first.stdout, first.stderr);
    let calls = s.calls();
    let batches: Vec<u64> = calls
        .iter()
        .filter(|c| c.0 == "BatchDeleteImage")
        .map(|c| c.2)
        .collect();
    // The deletion by digest first, then the tags in calls of at most 100.
    assert_eq!(batches, vec![1, 100, 20], "{calls:?}");
    let now = tags_now(&s, d);
    let of = |digest: &str| {
        now.iter()
            .find(|(dg, _)| dg == digest)
            .map(|(_, t)| t.clone())
    };
    assert_eq!(
        of(moving),
        Some(vec!["main".to_string()]),
        "pr-moving left it before the apply"
    );
    assert_eq!(
        of(release),
        Some(vec!["pr-moving".to_string(), "v2.0.0".to_string()]),
        "the moved tag stays on the image that holds it now"
    );
    assert_eq!(
        of(&digests[121]),
        None,
        "pr-alone's image went with its last tag"
    );
    assert_eq!(of(&digests[0]), Some(vec!["sha-0".to_string()]));
    assert_eq!(
        of(&digests[7]),
        Some(vec!["pr-7".to_string(), "sha-7".to_string()]),
        "the failed removal is still to do"
    );

    s.call("DELETE", "/_stand_in/faults", None);
    let second = cli().args(["apply", "plan.json"]).run();
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(of_now(&s, d, &digests[7]), Some(vec!["sha-7".to_string()]));
    let replan = cli().args(["plan", "p.yaml"]).run();
    assert_eq!(replan.code, 0, "{}", replan.stdout);
    insta::assert_snapshot!(format!(
        "{}\n{}",
        first.snapshot(Some(d)),
        second.snapshot(Some(d))
    ));
}

fn of_now(s: &StandIn, dir: &std::path::Path, digest: &str) -> Option<Vec<String>> {
    tags_now(s, dir)
        .into_iter()
        .find(|(d, _)| d == digest)
        .map(|(_, t)| t)
}

/// One ECR API call to the stand-in, as the SDK makes it (JSON 1.1), answered as JSON.
fn ecr_call(s: &StandIn, operation: &str, body: &Value) -> Value {
    use std::io::{Read, Write};
    let addr = s.url.trim_start_matches("http://");
    let body = body.to_string();
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    write!(
        conn,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: AmazonEC2ContainerRegistry_V20150921.{operation}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    conn.read_to_string(&mut raw).unwrap();
    let (head, rest) = raw.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{raw}");
    serde_json::from_str(rest).unwrap_or_else(|e| panic!("{e}: {rest}"))
}

#[test]
fn the_stand_in_removes_a_tag_only_from_the_image_it_names_as_ecr_does() {
    let s = StandIn::start();
    let seeded = s.seed(json!({"repositories": [{"name": "web", "images": [
        {"tags": ["main", "pr-1"]},
        {"tags": ["pr-2"]},
    ]}]}));
    let d = crate::e2e::digests(&seeded, "web");
    let delete = |ids: Value| {
        ecr_call(
            &s,
            "BatchDeleteImage",
            &json!({"repositoryName": "web", "imageIds": ids}),
        )
    };
    let codes = |answer: &Value| -> Vec<String> {
        answer["failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["failureCode"].as_str().unwrap().to_string())
            .collect()
    };
    // The tag names the other image: ECR refuses the pair (moto says ImageNotFound).
    let moved = delete(json!([{"imageDigest": d[0], "imageTag": "pr-2"}]));
    assert_eq!(codes(&moved), ["ImageTagDoesNotMatchDigest"]);
    assert_eq!(moved["imageIds"], json!([]));
    let nowhere = delete(json!([{"imageDigest": d[0], "imageTag": "pr-9"}]));
    assert_eq!(codes(&nowhere), ["ImageNotFound"]);
    // A matching pair removes the tag only (moto deletes the whole image).
    let removed = delete(json!([{"imageDigest": d[0], "imageTag": "pr-1"}]));
    assert_eq!(
        removed["imageIds"],
        json!([{"imageDigest": d[0], "imageTag": "pr-1"}])
    );
    // The last tag takes the image with it.
    let last = delete(json!([{"imageDigest": d[1], "imageTag": "pr-2"}]));
    assert_eq!(
        last["imageIds"],
        json!([{"imageDigest": d[1], "imageTag": "pr-2"}])
    );
    let left = ecr_call(&s, "DescribeImages", &json!({"repositoryName": "web"}));
    let details = left["imageDetails"].as_array().unwrap();
    assert_eq!(details.len(), 1, "{left}");
    assert_eq!(details[0]["imageDigest"], json!(d[0]));
    assert_eq!(details[0]["imageTags"], json!(["main"]));
}

#[test]
fn a_killed_apply_run_again_removes_the_rest() {
    let s = StandIn::start();
    seed(&s);
    let dir = temp_dir(&[("p.yaml", POLICY)]);
    let d = dir.path();
    let plan = s
        .cli(d)
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args(["plan", "p.yaml", "-o", "plan.json"])
        .run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    // The deletion and the first 100 tags go through; every later call hangs, then fails.
    s.call(
        "POST",
        "/_stand_in/faults",
        Some(&json!({"operation": "BatchDeleteImage", "count": 2})),
    );
    s.call(
        "POST",
        "/_stand_in/faults",
        Some(
            &json!({"operation": "BatchDeleteImage", "count": 50, "delayMs": 2000, "status": 503}),
        ),
    );
    s.reset_calls();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ecr-lifecycle"))
        .args(["apply", "plan.json"])
        .current_dir(d)
        .env_clear()
        .envs([
            ("AWS_ENDPOINT_URL", s.url.as_str()),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("HOME", &d.display().to_string()),
            ("ECR_LIFECYCLE_NOW", NOW),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !s
        .calls()
        .iter()
        .any(|c| c.0 == "BatchDeleteImage" && c.2 == 100)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the apply never got to the tags"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the apply ended before it was killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    s.call("DELETE", "/_stand_in/faults", None);
    let pr_tags = |s: &StandIn| {
        tags_now(s, d)
            .iter()
            .flat_map(|(_, t)| t.clone())
            .filter(|t| t.starts_with("pr-"))
            .count()
    };
    assert_eq!(
        pr_tags(&s),
        21,
        "killed after one call of 100 of the 121 tag removals"
    );

    let again = s
        .cli(d)
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("web: removed 21 tags from 21 images")
            && again.stdout.contains("web: 100 tags were already removed"),
        "{}",
        again.stdout
    );
    assert_eq!(pr_tags(&s), 0);
}
