//! Commands that fit ecr-lifecycle into how teams work: explain, iam-policy, completions.

use crate::harness::Cli;

const NOW: &str = "2026-11-01T12:00:00Z";

#[test]
fn explain_says_which_rule_why_and_who_acts() {
    let run = |image: &str| {
        Cli::new()
            .env("ECR_LIFECYCLE_NOW", NOW)
            .args([
                "explain",
                image,
                "policies/mixed.yaml",
                "policies/release-window.yaml",
                "policies/release-lines.yaml",
                "--registry",
                "file:demo/registry.json",
            ])
            .run()
            .snapshot(None)
    };
    let out = [
        run("web-frontend:prod"),
        run("web-frontend:v3.0.1"),
        run("apps/web:build-1"),
        run("services/payments:main-3"),
        run("web-frontend:no-such-tag"),
        run("unknown-repo:v1"),
        run("web-frontend"),
        // A digest prefix as plans print it.
        run("apps/web@sha256:21127be89641"),
        // No file governs legacy-tools; its applied native policy is all that acts.
        run("legacy-tools:0.0"),
        run("legacy-tools@sha256:79eb14eb6092"),
    ]
    .join("\n");
    insta::assert_snapshot!(out);
}

#[test]
fn explain_json_for_machines() {
    let run = Cli::new()
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args([
            "explain",
            "apps/web:build-1",
            "policies/release-window.yaml",
            "--registry",
            "file:demo/registry.json",
            "--format",
            "json",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["fate"], "expire");
    // Data, not markup: the rule's name and where it is named, apart.
    assert_eq!(v["rule"], "release-window");
    assert_eq!(v["ruleLocation"], "policies/release-window.yaml:9:11");
    assert_eq!(v["policyFile"], "policies/release-window.yaml");
}

#[test]
fn iam_policy_is_least_privilege_and_scoped_to_the_files() {
    let read = Cli::new().args(["iam-policy"]).run();
    let apply = Cli::new()
        .args([
            "iam-policy",
            "--apply",
            "policies/mixed.yaml",
            "policies/release-lines.yaml",
        ])
        .run();
    insta::assert_snapshot!(format!("{}\n{}", read.snapshot(None), apply.snapshot(None)));
}

/// Whether an IAM policy document lets `action` act on the repository `name` (an explicit
/// Deny wins over any Allow; `*` and `?` in resources match as IAM matches them).
fn iam_allows(doc: &serde_json::Value, action: &str, name: &str) -> bool {
    let arn = format!("arn:aws:ecr:eu-west-1:123456789012:repository/{name}");
    let applies = |effect: &str| {
        doc["Statement"].as_array().unwrap().iter().any(|s| {
            s["Effect"] == effect
                && s["Action"].as_array().unwrap().iter().any(|a| a == action)
                && s["Resource"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| wildmatch::WildMatch::new(r.as_str().unwrap()).matches(&arn))
        })
    };
    applies("Allow") && !applies("Deny")
}

#[test]
fn iam_policy_for_apply_denies_the_repositories_a_file_excludes() {
    let dir = crate::harness::temp_dir(&[
        (
            "svc.yaml",
            "version: 1\nrepositories: [\"svc/*\"]\nexclude: [\"svc/legacy-*\"]\nrules: [{name: a, match: any, keep: {newest: 5}}]\n",
        ),
        (
            "keep.yaml",
            "version: 1\nrepositories: [\"svc/legacy-keep\"]\nrules: [{name: a, match: any, keep: all}]\n",
        ),
    ]);
    let iam = |args: &[&str]| {
        let run = Cli::new()
            .dir(dir.path())
            .args(["iam-policy"])
            .args(args)
            .run();
        assert_eq!(run.code, 0, "{}", run.stderr);
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        (doc, run.stderr)
    };
    let delete = "ecr:BatchDeleteImage";

    let (doc, stderr) = iam(&["--apply", "svc.yaml"]);
    assert_eq!(stderr, "");
    let deny = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Effect"] == "Deny")
        .expect("a Deny statement");
    assert_eq!(deny["Sid"], "LeaveExcludedRepositories");
    assert_eq!(
        deny["Resource"],
        serde_json::json!(["arn:aws:ecr:*:*:repository/svc/legacy-*"])
    );
    assert!(iam_allows(&doc, delete, "svc/api"));
    assert!(iam_allows(&doc, "ecr:PutLifecyclePolicy", "svc/api"));
    for excluded in ["svc/legacy-tools", "svc/legacy-keep"] {
        assert!(!iam_allows(&doc, delete, excluded), "{excluded}");
        assert!(
            !iam_allows(&doc, "ecr:PutLifecyclePolicy", excluded),
            "{excluded}"
        );
    }
    // Reading an excluded repository is harmless, and read-only policies deny nothing.
    assert!(iam_allows(&doc, "ecr:DescribeImages", "svc/legacy-tools"));
    let (doc, _) = iam(&["svc.yaml"]);
    assert!(
        doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["Effect"] == "Allow")
    );

    // Another file governs an excluded name: a Deny would lock it out, so there is none, and
    // the warning says what the Allow then covers.
    let (doc, stderr) = iam(&["--apply", "svc.yaml", "keep.yaml"]);
    assert!(iam_allows(&doc, delete, "svc/legacy-keep"));
    assert!(iam_allows(&doc, delete, "svc/legacy-tools"));
    assert_eq!(
        stderr,
        "warning: `svc/legacy-*` (excluded by svc.yaml) is not denied to `apply`: keep.yaml governs repositories it matches, such as `svc/legacy-keep`; the Allow for svc.yaml's repositories covers the rest of them\n"
    );
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = Cli::new().args(["completions", shell]).run();
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        for sub in ["plan", "apply", "diff", "explain", "iam-policy"] {
            assert!(run.stdout.contains(sub), "{shell} completion lacks `{sub}`");
        }
    }
}

/// The bash script, sourced in bash, completes subcommands and then their options and values
/// (clap_complete's own script completes nothing past a subcommand for a hyphenated binary).
#[test]
fn bash_completes_options_and_values_after_a_subcommand() {
    let run = Cli::new().args(["completions", "bash"]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dir = crate::harness::temp_dir(&[
        ("ecr-lifecycle.bash", &run.stdout),
        (
            "drive.bash",
            r#"source "$1"
# The function `complete` registered for the binary, called as bash calls it.
fn=$(complete -p ecr-lifecycle | sed -E 's/.*-F ([^ ]+) .*/\1/')
complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(( $# - 1 ))
  COMP_LINE="$*"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  echo "$*|${COMPREPLY[*]}"
}
complete_words ecr-lifecycle pl
complete_words ecr-lifecycle plan --reg
complete_words ecr-lifecycle plan --format ''
complete_words ecr-lifecycle plan merge --o
complete_words ecr-lifecycle iam-policy --ap
complete_words ecr-lifecycle compile --out compiled --ch
complete_words ecr-lifecycle completions z
"#,
        ),
    ]);
    let out = std::process::Command::new("bash")
        .arg("--norc")
        .arg(dir.path().join("drive.bash"))
        .arg(dir.path().join("ecr-lifecycle.bash"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout,
        "ecr-lifecycle pl|plan\n\
         ecr-lifecycle plan --reg|--registry --region\n\
         ecr-lifecycle plan --format |text json markdown\n\
         ecr-lifecycle plan merge --o|--out\n\
         ecr-lifecycle iam-policy --ap|--apply\n\
         ecr-lifecycle compile --out compiled --ch|--check\n\
         ecr-lifecycle completions z|zsh\n"
    );
}

#[test]
fn help_teaches_with_examples_and_exit_codes() {
    let run = Cli::new().args(["--help"]).run();
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("Exit codes: 0 nothing to do"),
        "{}",
        run.stdout
    );
    let plan = Cli::new().args(["plan", "--help"]).run();
    assert!(
        plan.stdout.contains("Examples:") && plan.stdout.contains("--format markdown"),
        "{}",
        plan.stdout
    );
}

#[test]
fn a_usage_error_exits_1_not_2_which_means_changes() {
    let run = Cli::new().args(["plan"]).run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("required"), "{}", run.stderr);
    let run = Cli::new().args(["frobnicate"]).run();
    assert_eq!(run.code, 1);
    assert_eq!(Cli::new().args(["--version"]).run().code, 0);
}

#[test]
fn the_pre_commit_hooks_run_real_commands() {
    let hooks = std::fs::read_to_string(crate::harness::repo_root().join(".pre-commit-hooks.yaml"))
        .unwrap();
    let entries: Vec<&str> = hooks
        .lines()
        .filter_map(|l| l.trim().strip_prefix("entry: ecr-lifecycle "))
        .collect();
    assert_eq!(entries.len(), 2, "{hooks}");
    let dir = crate::harness::temp_dir(&[(
        "policies/a.yaml",
        "version: 1\nrules: [{name: a, match: any, keep: all}]\n",
    )]);
    for entry in entries {
        let mut args: Vec<&str> = entry.split_whitespace().collect();
        args.push("policies/a.yaml");
        let run = Cli::new().dir(dir.path()).args(&args).run();
        // validate passes; compile --check reports the missing output as stale (2).
        assert!(run.code == 0 || run.code == 2, "`{entry}`: {}", run.stderr);
    }
}

#[test]
fn explain_names_the_index_that_keeps_an_image_ecr_would_expire() {
    let run = Cli::new()
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args([
            "explain",
            "sandbox/experiments@sha256:f843f5cd69cd",
            "policies/untagged-cleanup.yaml",
            "--registry",
            "file:demo/registry.json",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("ECR:    native rule 1 marks it, but ECR keeps it while the image index sha256:baf38655ef02186ff5528b5e85f7e77bf19e86ee269330a84f631a7a680e08d9 lists it"),
        "{}",
        run.stdout
    );
}
