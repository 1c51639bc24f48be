//! ECR Public (DESIGN.md §5.1) end to end: the stand-in serves the ecr-public API moto lacks
//! (`tests/e2e/ecr_stand_in.py`); every rule runs at runtime there.

use crate::harness::{Cli, temp_dir};

const PULLS_AND_ARCHIVE: &str = r#"version: 1
repositories: ["web"]
rules:
  - name: hot
    match: { tags: ["v*"] }
    keep: { pulled_within: 30d }
  - name: cold
    match: any
    keep: { newest: 5 }
    otherwise: archive
"#;

/// A file that names no registry, read for ECR Public at run time: what ECR Public lacks is
/// refused at its place, before any call.
#[test]
fn rules_ecr_public_cannot_run_are_refused_at_their_place() {
    let dir = temp_dir(&[("web.yaml", PULLS_AND_ARCHIVE)]);
    let run = Cli::new()
        .dir(dir.path())
        .args(["plan", "web.yaml", "--registry", "ecr-public"])
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .run();
    insta::assert_snapshot!(run.snapshot(Some(dir.path())));
    assert_eq!(run.code, 1);
    // The same file is fine for ECR (validate reads it for ECR).
    let ok = Cli::new()
        .dir(dir.path())
        .args(["validate", "web.yaml"])
        .run();
    assert_eq!(ok.code, 0, "{}", ok.stderr);
}
