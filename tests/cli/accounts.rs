//! Many accounts: each (account, region) a policy file names is a unit of work with its own
//! credentials (a profile, or a role assumed with the default ones), planned concurrently;
//! plans, apply reports and diffs name the unit of every repository.

use serde_json::{Value, json};

use crate::e2e::{NOW, days_ago};
use crate::harness::{Cli, temp_dir};
use crate::stand_in::StandIn;

const POLICY: &str = r#"version: 1
accounts:
  - profile: one
  - role_arn: arn:aws:iam::222222222222:role/ecr-lifecycle
regions: [us-east-1, eu-west-1]
repositories: [web]
rules:
  - name: releases
    match: { tag_regex: 'v[0-9]+' }
    keep: { newest: 1 }
"#;

/// Profile `one` assumes a role in account 111111111111 with the `base` keys; the default
/// credentials (for `role_arn` accounts) are in the credentials file, not the environment.
const CONFIG: &str = "[profile one]\nrole_arn = arn:aws:iam::111111111111:role/ecr-lifecycle\nsource_profile = base\n\n[profile base]\nregion = us-east-1\n";
const CREDENTIALS: &str = "[default]\naws_access_key_id = default\naws_secret_access_key = default\n\n[base]\naws_access_key_id = base\naws_secret_access_key = base\n";

fn releases(n: i64) -> Vec<Value> {
    (0..n)
        .map(|k| json!({"tags": [format!("v{k}")], "pushedAt": days_ago(100 - k * 10), "sizeInBytes": 1000}))
        .collect()
}

#[test]
fn each_account_and_region_is_a_unit_of_work_planned_applied_and_diffed() {
    let s = StandIn::start();
    for (account, region, n) in [
        ("111111111111", "us-east-1", 3),
        ("222222222222", "us-east-1", 4),
        ("222222222222", "eu-west-1", 2),
    ] {
        s.seed(json!({"account": account, "region": region,
            "repositories": [{"name": "web", "images": releases(n)}]}));
    }
    let dir = temp_dir(&[
        ("p.yaml", POLICY),
        (".aws/config", CONFIG),
        (".aws/credentials", CREDENTIALS),
    ]);
    let d = dir.path();
    let cli = || {
        Cli::new()
            .dir(d)
            .env("AWS_ENDPOINT_URL", &s.url)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("HOME", &d.display().to_string())
            .env("ECR_LIFECYCLE_NOW", NOW)
    };

    let plan = cli().args(["plan", "p.yaml", "-o", "plan.json"]).run();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("plan.json")).unwrap()).unwrap();
    let units: Vec<(Value, String, usize)> = saved["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["account"].clone(),
                r["region"].as_str().unwrap().to_string(),
                r["deletions"].as_array().unwrap().len(),
            )
        })
        .collect();
    let role = json!({"roleArn": "arn:aws:iam::222222222222:role/ecr-lifecycle"});
    assert_eq!(
        units,
        vec![
            (json!({"profile": "one"}), "us-east-1".to_string(), 2),
            (role.clone(), "eu-west-1".to_string(), 1),
            (role, "us-east-1".to_string(), 3),
        ],
        "account one has no `web` in eu-west-1"
    );
    assert!(
        saved["registries"].as_array().unwrap().iter().any(|r| r
            .as_str()
            .unwrap()
            .starts_with("ecr:111111111111:us-east-1")),
        "{}",
        saved["registries"]
    );

    let apply = cli().args(["apply", "plan.json"]).run();
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let again = cli().args(["plan", "p.yaml"]).run();
    assert_eq!(again.code, 0, "{}", again.stdout);
    let diff = cli().args(["diff", "p.yaml"]).run();
    assert_eq!(diff.code, 0, "{}", diff.stdout);
    insta::assert_snapshot!(
        format!(
            "{}\n{}\n{}",
            plan.snapshot(Some(d)),
            apply.snapshot(Some(d)),
            again.snapshot(Some(d))
        )
        .replace(&s.url, "[ENDPOINT]")
    );
}

/// With keys in the environment, the SDK would ignore the named profile and plan the
/// environment's account under the profile's name.
#[test]
fn a_named_profile_with_keys_in_the_environment_is_refused() {
    let s = StandIn::start();
    let dir = temp_dir(&[
        ("p.yaml", POLICY),
        (".aws/config", CONFIG),
        (".aws/credentials", CREDENTIALS),
    ]);
    let run = s.cli(dir.path()).args(["plan", "p.yaml"]).run();
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.snapshot(Some(dir.path())).replace(&s.url, "[ENDPOINT]"));
}
