//! Faults between the binary and the local ECR API (through `proxy.rs`): retries through
//! transient errors, clear reports of permanent ones, a killed apply re-run, and the number
//! of calls each operation takes.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::e2e::{NOW, POLICY, days_ago, digests, seed};
use crate::harness::{Cli, temp_dir};
use crate::proxy::{Fault, Proxy};
use crate::stand_in::StandIn;

/// The binary, pointed at the proxy in front of the stand-in.
fn via(proxy: &Proxy, s: &StandIn, d: &std::path::Path) -> Cli {
    s.cli(d)
        .env("AWS_ENDPOINT_URL", &proxy.url)
        .env("ECR_LIFECYCLE_NOW", NOW)
        .env("ECR_LIFECYCLE_ATTEMPT_TIMEOUT_MS", "1500")
}

/// Every digest the stand-in holds now, read around the proxy.
fn present(s: &StandIn, d: &std::path::Path) -> BTreeSet<String> {
    let run = s.cli(d).args(["snapshot", "-o", "now.json"]).run();
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

fn seeded_all(seeded: &Value) -> BTreeSet<String> {
    ["bulk", "multiarch", "apps/web"]
        .iter()
        .flat_map(|r| digests(seeded, r))
        .collect()
}

/// Plans through the proxy (no faults yet) and returns the planned deletions.
fn plan(proxy: &Proxy, s: &StandIn, d: &std::path::Path) -> BTreeSet<String> {
    let run = via(proxy, s, d)
        .args(["plan", "p.yaml", "-o", "plan.json", "--format", "json"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    let p: Value = serde_json::from_str(&run.stdout).unwrap();
    p["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["deletions"].as_array().unwrap().iter())
        .map(|a| a["digest"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn apply_finishes_through_throttling_5xx_timeouts_and_dropped_connections() {
    let s = StandIn::start();
    let seeded = seed(&s);
    let proxy = Proxy::start(&s.url);
    let dir = temp_dir(&[("p.yaml", POLICY)]);
    let d = dir.path();
    let planned = plan(&proxy, &s, d);
    proxy.next("DescribeImages", 2, Fault::Status(503));
    proxy.next(
        "GetLifecyclePolicy",
        1,
        Fault::Drop {
            after_forward: false,
        },
    );
    proxy.next("BatchDeleteImage", 2, Fault::Throttle);
    // The answer is lost after the deletion happened: the retry finds the images gone.
    proxy.next(
        "BatchDeleteImage",
        1,
        Fault::Drop {
            after_forward: true,
        },
    );
    proxy.next(
        "BatchDeleteImage",
        1,
        Fault::Delay(Duration::from_millis(2500)),
    );
    proxy.rate("BatchGetImage", 300, Fault::Status(500));
    let run = via(&proxy, &s, d).args(["apply", "plan.json"]).run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(proxy.faulted("BatchDeleteImage") >= 2 && proxy.faulted("DescribeImages") == 2);
    proxy.clear();
    let expected: BTreeSet<String> = seeded_all(&seeded).difference(&planned).cloned().collect();
    assert_eq!(
        present(&s, d),
        expected,
        "exactly the planned images are gone, no kept image"
    );
}

#[test]
fn a_permanent_failure_stops_with_a_clear_error_and_an_exact_report() {
    let s = StandIn::start();
    let seeded = seed(&s);
    let proxy = Proxy::start(&s.url);
    let dir = temp_dir(&[("p.yaml", POLICY)]);
    let d = dir.path();
    plan(&proxy, &s, d);
    proxy.rate(
        "BatchDeleteImage",
        1000,
        Fault::Error("AccessDeniedException"),
    );
    let run = via(&proxy, &s, d).args(["apply", "plan.json"]).run();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "bulk: stopped: BatchDeleteImage on repository `bulk` failed: AccessDeniedException"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("hint: the principal needs ECR permissions"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Apply incomplete: 0 images deleted"),
        "{}",
        run.stdout
    );
    proxy.clear();
    assert_eq!(present(&s, d), seeded_all(&seeded), "nothing was deleted");

    // A 5xx that never clears: retried, then reported; still nothing deleted.
    proxy.rate("BatchDeleteImage", 1000, Fault::Status(500));
    let run = via(&proxy, &s, d)
        .env("ECR_LIFECYCLE_MAX_ATTEMPTS", "2")
        .args(["apply", "plan.json"])
        .run();
    assert_eq!(run.code, 1, "{}", run.stdout);
    // Two repositories have deletions: each stops at its first batch (AccessDenied is not
    // retried; the 500 is tried twice).
    assert_eq!(proxy.faulted("BatchDeleteImage"), 2 + 2 * 2);
    proxy.clear();
    assert_eq!(present(&s, d), seeded_all(&seeded));
}

#[test]
fn partial_failures_are_reported_with_their_code_and_planned_again() {
    let s = StandIn::start();
    seed(&s);
    let proxy = Proxy::start(&s.url);
    let dir = temp_dir(&[("p.yaml", POLICY)]);
    let d = dir.path();
    plan(&proxy, &s, d);
    proxy.next(
        "BatchDeleteImage",
        1,
        Fault::PartialFailure {
            ids: 5,
            code: "ImageInaccessible",
        },
    );
    let run = via(&proxy, &s, d).args(["apply", "plan.json"]).run();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.stdout
            .matches(": ImageInaccessible injected partial failure")
            .count(),
        5,
        "{}",
        run.stdout
    );
    let replan = via(&proxy, &s, d)
        .args(["plan", "p.yaml", "--format", "json"])
        .run();
    let p: Value = serde_json::from_str(&replan.stdout).unwrap();
    assert_eq!(
        p["summary"]["imagesToDelete"], 5,
        "the failed images are due again"
    );
}

#[test]
fn a_killed_apply_rerun_completes_without_deleting_anything_extra() {
    let s = StandIn::start();
    let seeded = seed(&s);
    let proxy = Proxy::start(&s.url);
    let dir = temp_dir(&[("p.yaml", POLICY)]);
    let d = dir.path();
    let planned = plan(&proxy, &s, d);
    proxy.rate(
        "BatchDeleteImage",
        1000,
        Fault::Delay(Duration::from_millis(700)),
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ecr-lifecycle"))
        .args(["apply", "plan.json"])
        .current_dir(d)
        .env_clear()
        .env("AWS_ENDPOINT_URL", &proxy.url)
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
    while proxy.forwarded("BatchDeleteImage") < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill the apply");
    let _ = child.wait();
    proxy.clear();
    let midway = present(&s, d);
    assert!(
        midway.len() < seeded_all(&seeded).len(),
        "the first apply deleted some images"
    );
    let run = via(&proxy, &s, d).args(["apply", "plan.json"]).run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let expected: BTreeSet<String> = seeded_all(&seeded).difference(&planned).cloned().collect();
    assert_eq!(present(&s, d), expected);
}

#[test]
fn plan_and_apply_make_exactly_the_calls_the_design_allows() {
    let s = StandIn::start();
    // n images, i image indexes (each listing one platform image), d deletions.
    let mut images = Vec::new();
    for k in 0..150 {
        let child = images.len();
        images.push(json!({"tags": [], "pushedAt": days_ago(50), "sizeInBytes": 10}));
        images.push(
            json!({"tags": [format!("v{k}")], "pushedAt": days_ago(50), "children": [child]}),
        );
    }
    for _ in 0..2200 {
        images.push(json!({"tags": [], "pushedAt": days_ago(40), "sizeInBytes": 10}));
    }
    let n = images.len();
    s.seed(json!({"repositories": [{"name": "big", "images": images}]}));
    let policy = "version: 1\nrules:\n  - name: releases\n    match: { untagged: false }\n    keep: all\n  - name: untagged\n    match: { untagged: true }\n    keep: { newest: 1700, within: 7d }\n";
    let proxy = Proxy::start(&s.url);
    let dir = temp_dir(&[("p.yaml", policy)]);
    let d = dir.path();
    let run = via(&proxy, &s, d)
        .args([
            "plan",
            "p.yaml",
            "-o",
            "plan.json",
            "--format",
            "json",
            "--stats",
        ])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    let p: Value = serde_json::from_str(&run.stdout).unwrap();
    let deletions = p["summary"]["imagesToDelete"].as_u64().unwrap() as usize;
    assert_eq!(n, 2500);
    // The platform images are older than the rest but stay with their tagged index.
    assert_eq!(
        deletions,
        2200 - 1700,
        "untagged images beyond the newest 1700"
    );
    assert_eq!(proxy.forwarded("DescribeImages"), n.div_ceil(1000));
    assert_eq!(proxy.forwarded("GetLifecyclePolicy"), 1);
    assert_eq!(proxy.forwarded("BatchGetImage"), 150usize.div_ceil(100));
    assert_eq!(proxy.forwarded("BatchDeleteImage"), 0);
    // --stats counts the same calls.
    let stat = |op: &str| -> usize {
        run.stderr
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{op} ")))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {op} in --stats: {}", run.stderr))
    };
    assert_eq!(stat("DescribeImages"), n.div_ceil(1000));
    assert_eq!(stat("GetLifecyclePolicy"), 1);
    assert_eq!(stat("BatchGetImage"), 2);
    proxy.reset_counts();
    let run = via(&proxy, &s, d).args(["apply", "plan.json"]).run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(proxy.forwarded("BatchDeleteImage"), deletions.div_ceil(100));
    // apply reads each repository once more, the same way.
    assert_eq!(proxy.forwarded("DescribeImages"), n.div_ceil(1000));
    assert_eq!(proxy.forwarded("GetLifecyclePolicy"), 1);
    assert_eq!(proxy.forwarded("BatchGetImage"), 2);
}

/// A quarter of all calls throttled, over enough repositories for the pace to matter: plan and
/// apply finish with what an unthrottled run does, the adaptive pace falls below where it
/// started, and `--stats` shows the throttles met.
#[test]
fn a_quarter_of_calls_throttled_slows_the_pace_and_nothing_fails() {
    let s = StandIn::start();
    let repositories: Vec<Value> = (0..60)
        .map(|r| {
            let images: Vec<Value> = (0..6)
                .map(|n| json!({"tags": [format!("b{n}")], "pushedAt": days_ago(40 - n), "sizeInBytes": 1_000_000}))
                .collect();
            json!({"name": format!("svc/r{r:02}"), "images": images})
        })
        .collect();
    s.seed(json!({ "repositories": repositories }));
    let policy = "version: 1\nrepositories: [\"svc/*\"]\nrules:\n  - { name: recent, match: { tag_regex: \"b[0-9]\" }, keep: { newest: 4 } }\n  - { name: rest, match: any, keep: all }\n";
    let dir = temp_dir(&[("p.yaml", policy)]);
    let d = dir.path();
    let proxy = Proxy::start(&s.url);
    proxy.rate("*", 250, Fault::Throttle);
    let plan = via(&proxy, &s, d)
        .args(["plan", "p.yaml", "-o", "plan.json", "--stats"])
        .run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    assert!(
        plan.stdout.contains("120 images to delete"),
        "{}",
        plan.stdout
    );
    let throttled = proxy.faulted("DescribeImages") + proxy.faulted("GetLifecyclePolicy");
    assert!(throttled >= 10, "the proxy throttled {throttled} reads");
    let pace = plan
        .stderr
        .lines()
        .find(|l| l.starts_with("Concurrency: adaptive, from 8"))
        .unwrap_or_else(|| panic!("no pace in --stats:\n{}", plan.stderr));
    let lowest: usize = pace
        .split("(lowest ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{pace}"));
    assert!(lowest < 8, "throttling lowered the pace: {pace}");
    assert!(
        plan.stderr.contains("throttled, retried)"),
        "--stats names the throttled operations:\n{}",
        plan.stderr
    );

    let apply = via(&proxy, &s, d)
        .args(["apply", "plan.json", "--stats"])
        .run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    proxy.clear();
    let again = via(&proxy, &s, d).args(["plan", "p.yaml"]).run();
    assert_eq!(again.code, 0, "nothing left to do: {}", again.stdout);
}
