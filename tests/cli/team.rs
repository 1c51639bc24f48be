//! How teams keep policies in a repository: `compile --check` over some of the policy files
//! (what a pre-commit hook passes), and the hooks of `.pre-commit-hooks.yaml` run by pre-commit
//! itself (PyPI `pre-commit`, pinned in `tests/e2e/requirements.txt`; missing is a failure).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{Cli, repo_root, temp_dir};

/// Native: two files (`a.compiled.json`, `a.lifecycle-policy.json`).
const A: &str = "version: 1\nrepositories: [\"a-*\"]\nrules:\n  - { name: untagged, match: { untagged: true }, keep: { within: 14d } }\n";
/// Nothing for ECR to do: one file (`b.compiled.json`).
const B: &str =
    "version: 1\nrepositories: [\"b-*\"]\nrules:\n  - { name: all, match: any, keep: all }\n";
/// Native: two files.
const C: &str = "version: 1\nrepositories: [\"c-*\"]\nrules:\n  - { name: releases, match: { tags: [\"v*\"] }, keep: { newest: 10 } }\n";

/// The `error:` lines of a run, without the warnings and diagnostics around them.
fn errors(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("error:")).collect()
}

#[test]
fn compile_check_of_some_files_leaves_the_others_alone_and_finds_left_overs() {
    let dir = temp_dir(&[
        ("policies/a.yaml", A),
        ("policies/b.yaml", B),
        ("policies/c.yaml", C),
    ]);
    let d = dir.path();
    let compile = |files: &[&str], check: bool| {
        let mut args = vec!["compile"];
        args.extend(files);
        args.extend(["--out", "compiled"]);
        if check {
            args.push("--check");
        }
        Cli::new().dir(d).args(args).run()
    };
    let all = ["policies/a.yaml", "policies/b.yaml", "policies/c.yaml"];

    let run = compile(&all, false);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "wrote 5 files to compiled\n");
    let run = compile(&["policies/b.yaml"], false);
    assert_eq!(run.stdout, "wrote 1 file to compiled\n", "{}", run.stderr);
    // Writing one file's outputs leaves those of the others, which exist, in place.
    assert!(d.join("compiled/a.lifecycle-policy.json").is_file());
    assert!(d.join("compiled/c.compiled.json").is_file());

    let run = compile(&all, true);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "compiled is up to date\n")
    );

    // However the path is typed, the output is the same and fresh.
    let absolute = d.join("policies/a.yaml").display().to_string();
    for a in [
        "policies/a.yaml",
        "./policies/a.yaml",
        "policies//a.yaml",
        absolute.as_str(),
    ] {
        let run = compile(&[a], true);
        assert_eq!(run.code, 0, "{a}: {}", run.stderr);
        assert_eq!(
            run.stdout,
            "compiled is up to date (the outputs of 2 other policy files, not given, were not checked)\n",
            "{a}"
        );
    }
    let source = |name: &str| {
        let text = std::fs::read_to_string(d.join("compiled").join(name)).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["source"].clone()
    };
    compile(&[absolute.as_str()], false);
    assert_eq!(source("a.compiled.json"), "policies/a.yaml");

    // An edited file is stale when it is given; the others are not its business.
    std::fs::write(d.join("policies/a.yaml"), A.replace("14d", "7d")).unwrap();
    let run = compile(&["policies/a.yaml"], true);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        errors(&run.stderr),
        [
            "error: compiled/a.compiled.json is out of date",
            "error: compiled/a.lifecycle-policy.json is out of date",
            "error: run `ecr-lifecycle compile … --out compiled` and commit the result",
        ]
    );
    assert_eq!(compile(&["policies/b.yaml"], true).code, 0);
    compile(&["policies/a.yaml"], false);

    // The outputs of a policy file that is gone are stale whichever files are given, and
    // writing removes them.
    std::fs::remove_file(d.join("policies/c.yaml")).unwrap();
    let run = compile(&["policies/b.yaml"], true);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        errors(&run.stderr),
        [
            "error: compiled/c.compiled.json is left over from a policy file that is gone",
            "error: compiled/c.lifecycle-policy.json is left over from a policy file that is gone",
            "error: run `ecr-lifecycle compile … --out compiled` and commit the result",
        ]
    );
    assert_eq!(compile(&["policies/b.yaml"], false).code, 0);
    assert!(!d.join("compiled/c.compiled.json").exists());
    assert!(d.join("compiled/a.compiled.json").exists());
    assert_eq!(
        compile(&["policies/a.yaml", "policies/b.yaml"], true).code,
        0
    );

    // A policy file for which ECR no longer has work leaves its native policy behind.
    std::fs::write(d.join("policies/a.yaml"), B.replace("b-*", "a-*")).unwrap();
    let run = compile(&["policies/a.yaml"], true);
    assert!(
        errors(&run.stderr).contains(
            &"error: compiled/a.lifecycle-policy.json is left over: compiling its policy file no longer writes it"
        ),
        "{}",
        run.stderr
    );
    compile(&["policies/a.yaml"], false);
    assert!(!d.join("compiled/a.lifecycle-policy.json").exists());
}

#[test]
fn terraform_check_of_some_files_knows_the_others_by_their_variable() {
    let dir = temp_dir(&[("policies/a.yaml", A), ("policies/c.yaml", C)]);
    let d = dir.path();
    let compile = |files: &[&str], check: bool| {
        let mut args = vec!["compile", "--format", "terraform"];
        args.extend(files);
        args.extend(["--out", "infra"]);
        if check {
            args.push("--check");
        }
        Cli::new().dir(d).args(args).run()
    };
    assert_eq!(
        compile(&["policies/a.yaml", "policies/c.yaml"], false).stdout,
        "wrote 2 files to infra\n"
    );
    let run = compile(&["./policies/a.yaml"], true);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (
            0,
            "infra is up to date (the output of 1 other policy file, not given, was not checked)\n"
        ),
        "{}",
        run.stderr
    );
    std::fs::remove_file(d.join("policies/c.yaml")).unwrap();
    let run = compile(&["policies/a.yaml"], true);
    assert_eq!(run.code, 2);
    assert_eq!(
        errors(&run.stderr)[0],
        "error: infra/c.tf.json is left over from a policy file that is gone"
    );
}

/// A git repository with three policy files, their compiled output, and a pre-commit
/// configuration made of the shipped hooks: as a user's, but run from the built binary
/// (`language: system` on a PATH that has it) instead of `language: rust`, which would
/// cargo-install the project.
struct HookRepo {
    dir: tempfile::TempDir,
    /// pre-commit's cache and a home directory, outside the repository.
    home: tempfile::TempDir,
    python: PathBuf,
}

impl HookRepo {
    fn new() -> HookRepo {
        let hooks = std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml")).unwrap();
        assert_eq!(
            hooks.matches("language: rust").count(),
            2,
            "the shipped hooks install with cargo: {hooks}"
        );
        let local: String = hooks
            .replace("language: rust", "language: system")
            .lines()
            .map(|l| format!("      {l}\n"))
            .collect();
        let config = format!("repos:\n  - repo: local\n    hooks:\n{local}");
        let dir = temp_dir(&[
            ("policies/a.yaml", A),
            ("policies/b.yaml", B),
            ("policies/c.yaml", C),
            (".pre-commit-config.yaml", &config),
        ]);
        let run = Cli::new()
            .dir(dir.path())
            .args([
                "compile",
                "policies/a.yaml",
                "policies/b.yaml",
                "policies/c.yaml",
                "--out",
                "compiled",
            ])
            .run();
        assert_eq!(run.code, 0, "{}", run.stderr);
        let repo = HookRepo {
            dir,
            home: tempfile::tempdir().unwrap(),
            python: crate::stand_in::python(),
        };
        repo.git(&["init", "-q"]);
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "-q", "-m", "policies and their compiled output"]);
        let version = repo
            .command(&repo.python)
            .args(["-m", "pre_commit", "--version"])
            .output()
            .unwrap();
        assert!(
            version.status.success(),
            "pre-commit is missing from {}: run `bash tests/run.sh`, which installs tests/e2e/requirements.txt into .venv, or set ECR_LIFECYCLE_TEST_PYTHON to a Python that has it\n{}",
            repo.python.display(),
            String::from_utf8_lossy(&version.stderr)
        );
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A command in the repository, with a clean environment: the built binary first on PATH.
    fn command(&self, program: &Path) -> Command {
        let bin = Path::new(env!("CARGO_BIN_EXE_ecr-lifecycle"))
            .parent()
            .unwrap()
            .to_path_buf();
        let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )))
        .unwrap();
        let mut c = Command::new(program);
        c.current_dir(self.dir.path())
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.home.path())
            .env("PRE_COMMIT_HOME", self.home.path().join("pre-commit"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.home.path().join("gitconfig"))
            .env("GIT_AUTHOR_NAME", "team")
            .env("GIT_AUTHOR_EMAIL", "team@example.invalid")
            .env("GIT_COMMITTER_NAME", "team")
            .env("GIT_COMMITTER_EMAIL", "team@example.invalid")
            .env("NO_COLOR", "1");
        c
    }

    #[track_caller]
    fn git(&self, args: &[&str]) {
        let out = self.command(Path::new("git")).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `pre-commit run ARGS…`: its exit code and everything it printed.
    fn pre_commit(&self, args: &[&str]) -> (i32, String) {
        let out = self
            .command(&self.python)
            .args(["-m", "pre_commit", "run", "--color", "never"])
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("$ pre-commit run {}\n{text}", args.join(" "));
        (out.status.code().unwrap_or(-1), text)
    }
}

#[test]
fn the_pre_commit_hooks_pass_on_fresh_output_and_fail_on_stale_output() {
    let repo = HookRepo::new();
    let one = ["--files", "policies/a.yaml"];

    // Fresh: one changed file (what a commit passes), and every file.
    let (code, out) = repo.pre_commit(&one);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ecr-lifecycle compile --check") && out.contains("Passed"),
        "{out}"
    );
    let (code, out) = repo.pre_commit(&["--all-files"]);
    assert_eq!(code, 0, "{out}");

    // Stale: an edited policy file whose compiled output was not rewritten.
    std::fs::write(repo.path().join("policies/a.yaml"), A.replace("14d", "7d")).unwrap();
    repo.git(&["add", "-A"]);
    for args in [&one[..], &["--all-files"]] {
        let (code, out) = repo.pre_commit(args);
        assert_eq!(code, 1, "{args:?}: {out}");
        assert!(out.contains("Failed"), "{out}");
        assert!(
            out.contains("compiled/a.compiled.json is out of date"),
            "{args:?}: {out}"
        );
    }
    // Rewritten: fresh again.
    let run = Cli::new()
        .dir(repo.path())
        .args(["compile", "policies/a.yaml", "--out", "compiled"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    repo.git(&["add", "-A"]);
    assert_eq!(repo.pre_commit(&one).0, 0);
    repo.git(&["commit", "-q", "-m", "a keeps untagged images 7 days"]);

    // Stale: a policy file removed, its compiled output left behind.
    repo.git(&["rm", "-q", "policies/c.yaml"]);
    for args in [&one[..], &["--all-files"]] {
        let (code, out) = repo.pre_commit(args);
        assert_eq!(code, 1, "{args:?}: {out}");
        assert!(
            out.contains("compiled/c.compiled.json is left over from a policy file that is gone"),
            "{args:?}: {out}"
        );
    }
    repo.git(&[
        "rm",
        "-q",
        "compiled/c.compiled.json",
        "compiled/c.lifecycle-policy.json",
    ]);
    assert_eq!(repo.pre_commit(&["--all-files"]).0, 0);

    // The validate hook refuses a broken policy file.
    std::fs::write(
        repo.path().join("policies/b.yaml"),
        "version: 1\nrules: [\n",
    )
    .unwrap();
    repo.git(&["add", "-A"]);
    let (code, out) = repo.pre_commit(&["--files", "policies/b.yaml"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ecr-lifecycle validate") && out.contains("policies/b.yaml:"),
        "{out}"
    );
}

/// A reviewed plan stays applicable after an edit of comments and layout, and is refused,
/// naming the file, once what a rule says changes.
#[test]
fn a_saved_plan_survives_a_comment_edit_and_is_refused_after_a_rule_edit() {
    let registry = std::fs::read_to_string(repo_root().join("demo/registry.json")).unwrap();
    let policy = "version: 1\nrepositories: [\"apps/*\"]\nrules:\n  - { name: recent, match: any, keep: { newest: 2 } }\n";
    let dir = temp_dir(&[("p.yaml", policy), ("registry.json", &registry)]);
    let d = dir.path();
    let cli = |args: &[&str]| {
        Cli::new()
            .dir(d)
            .env("ECR_LIFECYCLE_NOW", "2026-06-01T00:00:00Z")
            .args(args)
            .run()
    };
    let plan = cli(&[
        "plan",
        "p.yaml",
        "--registry",
        "file:registry.json",
        "-o",
        "plan.json",
    ]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);

    // Comments, block style and quoting: the same rules.
    let reformatted = "# Reviewed by the platform team.\nversion: 1\nrepositories:\n  - apps/*   # every app\nrules:\n  - name: recent\n    match: any\n    keep:\n      newest: 2\n";
    std::fs::write(d.join("p.yaml"), reformatted).unwrap();
    let check = |args: &[&str]| {
        let run = cli(args);
        errors(&run.stderr)
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    // `--max-delete 0` refuses after the policy files are checked: the refusal tells which check.
    let refused = check(&["apply", "plan.json", "--max-delete", "0"]);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].contains("more than --max-delete 0"),
        "{refused:?}"
    );

    std::fs::write(
        d.join("p.yaml"),
        reformatted.replace("newest: 2", "newest: 3"),
    )
    .unwrap();
    assert_eq!(
        check(&["apply", "plan.json"]),
        ["error: the rules of `p.yaml` have changed since the plan was made; make a new plan"]
    );
}
