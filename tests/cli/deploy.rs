//! The deployment template (deploy/ecr-lifecycle.yaml): cfn-lint accepts it, as checked in and
//! as deploy/package.sh writes it, and its role holds exactly what `iam-policy --apply` prints.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::{Cli, repo_root};
use crate::stand_in::python;

fn template(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The role's `ecr-lifecycle-apply` policy document.
fn apply_permissions(template: &Value) -> &Value {
    template["Resources"]["FunctionRole"]["Properties"]["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["PolicyName"] == "ecr-lifecycle-apply")
        .map(|p| &p["PolicyDocument"])
        .expect("the role has the ecr-lifecycle-apply policy")
}

fn iam_policy_apply(files: &[&str]) -> Value {
    let run = Cli::new().args(["iam-policy", "--apply"]).args(files).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[track_caller]
fn cfn_lint(path: &Path) {
    let out = Command::new(python().with_file_name("cfn-lint"))
        .arg(path)
        .output()
        .expect("cfn-lint runs (tests/e2e/requirements.txt installs it)");
    assert!(
        out.status.success(),
        "cfn-lint {}:\n{}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_template_passes_cfn_lint_and_its_role_is_exactly_iam_policy_apply() {
    let path = repo_root().join("deploy/ecr-lifecycle.yaml");
    cfn_lint(&path);
    let t = template(&path);
    assert_eq!(apply_permissions(&t), &iam_policy_apply(&[]));

    // What it promises: the parameters, the function's settings as the binary reads them, a
    // schedule, a log group with retention and an alarm on errors.
    let parameters: Vec<&str> = t["Parameters"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for p in [
        "ScheduleExpression",
        "Mode",
        "MaxDelete",
        "PolicyPath",
        "PolicyBucket",
        "LogRetentionDays",
        "Architecture",
    ] {
        assert!(parameters.contains(&p), "{p} in {parameters:?}");
    }
    assert_eq!(t["Parameters"]["Mode"]["Default"], "plan");
    let function = &t["Resources"]["Function"]["Properties"];
    assert_eq!(function["Runtime"], "provided.al2023");
    let variables: Vec<&str> = function["Environment"]["Variables"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        variables,
        [
            "ECR_LIFECYCLE_MAX_DELETE",
            "ECR_LIFECYCLE_MODE",
            "ECR_LIFECYCLE_POLICIES"
        ]
    );
    let help = Cli::new().args(["lambda", "--help"]).run();
    for v in variables {
        assert!(help.stdout.contains(v), "`lambda --help` names {v}");
    }
    let resources = &t["Resources"];
    assert_eq!(resources["Schedule"]["Type"], "AWS::Scheduler::Schedule");
    assert_eq!(
        resources["LogGroup"]["Properties"]["RetentionInDays"]["Ref"],
        "LogRetentionDays"
    );
    assert_eq!(
        resources["ErrorsAlarm"]["Properties"]["MetricName"],
        "Errors"
    );
}

/// Packaged with policy files, the role is scoped to the repositories they govern.
#[test]
fn package_writes_the_template_with_the_packaged_files_permissions() {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new("bash")
        .arg(repo_root().join("deploy/package.sh"))
        .args(["--template-only", "--out"])
        .arg(out.path())
        .args(["policies/release-window.yaml", "policies/mixed.yaml"])
        .env("ECR_LIFECYCLE", env!("CARGO_BIN_EXE_ecr-lifecycle"))
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let written = out.path().join("ecr-lifecycle.yaml");
    cfn_lint(&written);
    let scoped = iam_policy_apply(&["policies/release-window.yaml", "policies/mixed.yaml"]);
    assert_ne!(scoped, iam_policy_apply(&[]), "scoped to the files");
    assert_eq!(apply_permissions(&template(&written)), &scoped);
}
