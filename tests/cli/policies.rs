//! Every example in `policies/` compiles, and its account (with warnings) is a reviewed snapshot.

use crate::harness::{Cli, repo_root, temp_dir};

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

/// The policies the README shows: every YAML block with `rules:` at its top level (a block of
/// rules alone is read under `version: 1`), each as its own file.
fn readme_policies() -> Vec<String> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in readme.lines() {
        let fence = line.trim_start().starts_with("```");
        match (&mut current, fence) {
            (None, true) if line.trim_start() == "```yaml" => current = Some(Vec::new()),
            (Some(lines), false) => lines.push(line),
            (Some(_), true) => blocks.push(current.take().unwrap_or_default()),
            _ => {}
        }
    }
    blocks
        .into_iter()
        .filter_map(|lines| {
            let indent = lines
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start().len())
                .min()?;
            let text: String = lines
                .iter()
                .map(|l| format!("{}\n", l.get(indent..).unwrap_or("")))
                .collect();
            if !text.lines().any(|l| l.starts_with("rules:")) {
                return None;
            }
            Some(if text.lines().any(|l| l.starts_with("version:")) {
                text
            } else {
                format!("version: 1\n{text}")
            })
        })
        .collect()
}

#[test]
fn the_readme_policies_validate() {
    let policies = readme_policies();
    assert!(
        policies.len() >= 3,
        "expected the README's policies, found {policies:#?}"
    );
    for (i, text) in policies.iter().enumerate() {
        let name = format!("readme-{i}.yaml");
        let dir = temp_dir(&[(&name, text)]);
        let run = Cli::new().dir(dir.path()).args(["validate", &name]).run();
        assert_eq!(run.code, 0, "{text}\n{}", run.stderr);
    }
}
