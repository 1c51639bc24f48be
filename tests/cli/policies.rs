//! Every example in `policies/` compiles, and its account (with warnings) is a reviewed snapshot.

use crate::harness::{Cli, repo_root};

#[test]
fn every_example_policy_compiles() {
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join("policies"))
        .expect("policies/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 5,
        "expected the example policies, found {names:?}"
    );
    for name in names {
        let run = Cli::new()
            .args(["compile", &format!("policies/{name}")])
            .run();
        assert_eq!(run.code, 0, "{name} must compile:\n{}", run.stderr);
        insta::assert_snapshot!(format!("compile-{name}"), run.snapshot(None));
    }
}

#[test]
fn the_committed_schema_is_current() {
    let run = Cli::new().args(["schema"]).run();
    assert_eq!(run.code, 0);
    let committed = std::fs::read_to_string(repo_root().join("schemas/policy.schema.json"))
        .expect("schemas/policy.schema.json exists");
    assert!(
        committed == run.stdout,
        "schemas/policy.schema.json is stale: run `cargo run -- schema > schemas/policy.schema.json`"
    );
}

#[test]
fn example_policies_validate_together() {
    let mut args = vec!["validate".to_string()];
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join("policies"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| format!("policies/{}", e.file_name().to_string_lossy()))
        .collect();
    names.sort();
    args.extend(names);
    // The examples govern disjoint sets of repositories, so they can be applied together.
    let run = Cli::new().args(&args).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.lines().count(),
        names_len(&args),
        "{}",
        run.stdout
    );
}

fn names_len(args: &[String]) -> usize {
    args.len() - 1
}
