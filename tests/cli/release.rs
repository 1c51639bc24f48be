//! Releases and installing them in CI: the workflows and the composite action pass
//! actionlint (jactionlint, from the test environment's Python), the action's metadata is a
//! composite action whose inputs are declared and used, and a release made by
//! `.github/workflows/release.yml`'s own scripts installs with `action.yml`'s own script from
//! a local server (127.0.0.1), checksum checked.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::harness::repo_root;

/// Where the action downloads releases from, as its script says it.
const RELEASES: &str = "https://github.com/ecr-lifecycle/ecr-lifecycle/releases/download";

/// The YAML files GitHub reads: the workflows of this repository and of the examples, and
/// the action.
fn github_files() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files = Vec::new();
    for dir in [".github/workflows", "examples/github-actions"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
            .collect();
        assert!(!found.is_empty(), "no workflow in {dir}");
        found.sort();
        files.extend(found);
    }
    files.push(root.join("action.yml"));
    files
}

/// A program of the test environment (the Python virtual environment's `bin`).
fn venv_program(name: &str) -> PathBuf {
    let python = crate::stand_in::python();
    let program = python.parent().unwrap().join(name);
    assert!(
        program.exists(),
        "{name} is missing from {}: run `bash tests/run.sh`, which installs tests/e2e/requirements.txt into .venv, or set ECR_LIFECYCLE_TEST_PYTHON to a Python that has it",
        python.parent().unwrap().display()
    );
    program
}

/// Runs jactionlint on the files: offline, with the environment's shellcheck for the `run:`
/// scripts, and no user configuration. Pinning actions to commit SHAs (`unpinned-uses`) is
/// left to each user's policy: the examples name actions by their release tags.
fn actionlint(files: &[PathBuf]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(venv_program("jactionlint"))
        .args([
            "--no-online",
            "--no-color",
            "--ignore=unpinned-uses",
            "--pyflakes=",
        ])
        .arg(format!(
            "--shellcheck={}",
            venv_program("shellcheck").display()
        ))
        .args(files)
        .current_dir(repo_root())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .expect("jactionlint runs")
}

#[test]
fn workflows_and_the_action_pass_actionlint() {
    let files = github_files();
    assert!(
        files
            .iter()
            .any(|f| f.ends_with(".github/workflows/release.yml")),
        "{files:?}"
    );
    let out = actionlint(&files);
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The same check fails on mistakes: an expression naming what does not exist, a `run:`
/// script shellcheck finds wrong, and a composite step without a shell.
#[test]
fn actionlint_finds_planted_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let workflow = dir.path().join("workflow.yml");
    std::fs::write(
        &workflow,
        "name: planted\non: push\npermissions: {}\nconcurrency: { group: planted, cancel-in-progress: true }\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    steps:\n      - run: echo ${{ matrix.nope }}\n      - run: cd $HOME/dir\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("action")).unwrap();
    let action = dir.path().join("action/action.yml");
    std::fs::write(
        &action,
        "name: planted\ndescription: a composite step without a shell\nruns:\n  using: composite\n  steps:\n    - run: echo hello\n",
    )
    .unwrap();

    let out = actionlint(&[workflow, action]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for rule in ["[undefined-property]", "[shellcheck]", "[action-syntax]"] {
        assert!(text.contains(rule), "{rule} not found:\n{text}");
    }
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What is wrong with a composite action's metadata (actionlint reads it too; this says what
/// the project relies on): it runs as a composite action, each `run` step names its shell,
/// each input is described and used, and nothing uses an input it does not declare.
fn action_problems(action: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for key in ["name", "description"] {
        if !action[key].is_string() {
            problems.push(format!("no `{key}`"));
        }
    }
    if action["runs"]["using"] != "composite" {
        problems.push(format!(
            "runs.using is {}, not composite",
            action["runs"]["using"]
        ));
    }
    let steps = action["runs"]["steps"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if steps.is_empty() {
        problems.push("no steps".into());
    }
    for (i, step) in steps.iter().enumerate() {
        if step.get("run").is_some() && !step["shell"].is_string() {
            problems.push(format!("step {} runs a script without a `shell`", i + 1));
        }
    }
    let declared: BTreeSet<String> = action["inputs"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for name in &declared {
        if !action["inputs"][name]["description"].is_string() {
            problems.push(format!("input `{name}` has no description"));
        }
    }
    // Every `inputs.NAME` the steps (and the outputs) mention.
    let text = serde_json::to_string(&action["runs"]).unwrap()
        + &serde_json::to_string(&action["outputs"]).unwrap();
    let used: BTreeSet<String> = text
        .match_indices("inputs.")
        .map(|(at, m)| {
            text[at + m.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect()
        })
        .collect();
    for name in declared.difference(&used) {
        problems.push(format!("input `{name}` is never used"));
    }
    for name in used.difference(&declared) {
        problems.push(format!("`inputs.{name}` is not a declared input"));
    }
    problems
}

#[test]
fn the_action_is_composite_and_uses_its_inputs() {
    let action = yaml(&repo_root().join("action.yml"));
    assert_eq!(action_problems(&action), Vec::<String>::new());
    assert_eq!(
        action["inputs"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["version"]
    );
    assert_eq!(action["inputs"]["version"]["required"], true);

    // Planted mistakes are found.
    let mut planted = action.clone();
    planted["runs"]["using"] = "node20".into();
    assert_eq!(
        action_problems(&planted),
        ["runs.using is \"node20\", not composite"]
    );
    let mut planted = action.clone();
    planted["runs"]["steps"][0]
        .as_object_mut()
        .unwrap()
        .remove("shell");
    assert_eq!(
        action_problems(&planted),
        ["step 1 runs a script without a `shell`"]
    );
    let mut planted = action.clone();
    planted["inputs"]["unused"] = serde_json::json!({ "description": "nothing reads it" });
    assert_eq!(action_problems(&planted), ["input `unused` is never used"]);
    let mut planted = action.clone();
    planted["inputs"].as_object_mut().unwrap().remove("version");
    assert_eq!(
        action_problems(&planted),
        ["`inputs.version` is not a declared input"]
    );
}

/// The step of a job (or of the action) with the given name or id.
fn step<'a>(steps: &'a Value, name: &str) -> &'a Value {
    steps
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name || s["id"] == name)
        .unwrap_or_else(|| panic!("no step {name}"))
}

/// Runs a `run:` step as GitHub's runner does for `shell: bash`, with the expressions it uses
/// replaced by `values` (any other expression fails the test) and the given environment.
fn run_step(step: &Value, values: &[(&str, &str)], cwd: &Path, env: &[(&str, String)]) -> Output {
    assert_eq!(step["shell"], "bash", "{step}");
    let expand = |text: &str| {
        let mut text = text.to_string();
        for (expression, value) in values {
            text = text.replace(&format!("${{{{ {expression} }}}}"), value);
        }
        assert!(
            !text.contains("${{"),
            "an expression the test does not know: {text}"
        );
        text
    };
    let script = expand(step["run"].as_str().expect("a run step"));
    let dir = match step["working-directory"].as_str() {
        Some(d) => cwd.join(d),
        None => cwd.to_path_buf(),
    };
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    if let Some(vars) = step["env"].as_object() {
        for (k, v) in vars {
            command.env(k, expand(v.as_str().expect("env values are strings")));
        }
    }
    command.envs(env.iter().map(|(k, v)| (k, v)));
    command.output().expect("bash runs")
}

/// Serves the files of `dir` over HTTP on 127.0.0.1 under `/releases/download/`, as GitHub
/// serves release assets. Returns the base URL.
fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/releases/download",
        listener.local_addr().unwrap()
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                match reader.read_line(&mut header) {
                    Ok(n) if n > 2 => {}
                    _ => break,
                }
            }
            let path = request.split(' ').nth(1).unwrap_or_default();
            let body = path
                .strip_prefix("/releases/download/")
                .filter(|p| !p.contains(".."))
                .and_then(|p| std::fs::read(dir.join(p)).ok());
            let mut stream = &stream;
            let _ = match body {
                Some(body) => stream
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|_| stream.write_all(&body)),
                None => stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    url
}

/// This machine as a release target, and as GitHub's runner names it.
fn host() -> (&'static str, &'static str, &'static str) {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => ("x86_64-unknown-linux-gnu", "Linux", "X64"),
        ("linux", "aarch64") => ("aarch64-unknown-linux-gnu", "Linux", "ARM64"),
        ("macos", "aarch64") => ("aarch64-apple-darwin", "macOS", "ARM64"),
        other => panic!("no release is built for {other:?}"),
    }
}

#[test]
fn a_release_installs_with_the_action() {
    let root = repo_root();
    let release = yaml(&root.join(".github/workflows/release.yml"));
    let action = yaml(&root.join("action.yml"));
    let install = step(&action["runs"]["steps"], "install");
    let script = install["run"].as_str().unwrap();

    // The release builds what the action installs.
    let targets: BTreeSet<&str> = release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        BTreeSet::from([
            "aarch64-apple-darwin",
            "aarch64-unknown-linux-gnu",
            "x86_64-unknown-linux-gnu"
        ])
    );
    for target in &targets {
        assert!(script.contains(&format!("target={target} ")), "{target}");
    }
    assert_eq!(script.matches(RELEASES).count(), 1, "{script}");

    // Package and checksum a release for this machine with the workflow's own steps, from
    // the binary under test (the Build step's output).
    let (target, os, arch) = host();
    let version = env!("CARGO_PKG_VERSION");
    let tag = format!("v{version}");
    let work = tempfile::tempdir().unwrap();
    let checkout = work.path().join("checkout");
    let built = checkout.join(format!("target/{target}/dist"));
    std::fs::create_dir_all(&built).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_ecr-lifecycle"),
        built.join("ecr-lifecycle"),
    )
    .unwrap();
    std::fs::copy(root.join("README.md"), checkout.join("README.md")).unwrap();
    let ok = |out: Output, what: &str| {
        assert!(
            out.status.success(),
            "{what}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let package = step(&release["jobs"]["build"]["steps"], "Package");
    ok(
        run_step(
            package,
            &[("matrix.target", target)],
            &checkout,
            &[("GITHUB_REF_NAME", tag.clone())],
        ),
        "Package",
    );
    // The artifacts of every build job, downloaded into one directory.
    let assets = work.path().join("release");
    std::fs::create_dir_all(assets.join("dist")).unwrap();
    let archive = format!("ecr-lifecycle-{version}-{target}.tar.gz");
    std::fs::copy(
        checkout.join("dist").join(&archive),
        assets.join("dist").join(&archive),
    )
    .unwrap();
    let checksums = step(&release["jobs"]["release"]["steps"], "Checksums");
    ok(run_step(checksums, &[], &assets, &[]), "Checksums");
    // What `gh release create` attaches: the archives and SHA256SUMS, under the tag.
    let served = work.path().join("served");
    std::fs::create_dir_all(served.join(&tag)).unwrap();
    for file in [archive.as_str(), "SHA256SUMS"] {
        std::fs::copy(assets.join("dist").join(file), served.join(&tag).join(file)).unwrap();
    }
    let url = serve(served.clone());

    // The action, from that server.
    let local = serde_json::json!({
        "shell": "bash",
        "run": script.replace(RELEASES, &url),
        "env": install["env"].clone(),
    });
    let install_with = |input: &str| {
        let runner = tempfile::tempdir().unwrap();
        let path_file = runner.path().join("github_path");
        let output_file = runner.path().join("github_output");
        std::fs::write(&path_file, "").unwrap();
        std::fs::write(&output_file, "").unwrap();
        let out = run_step(
            &local,
            &[("inputs.version", input)],
            runner.path(),
            &[
                ("RUNNER_OS", os.to_string()),
                ("RUNNER_ARCH", arch.to_string()),
                (
                    "RUNNER_TEMP",
                    runner.path().join("tmp").display().to_string(),
                ),
                ("GITHUB_PATH", path_file.display().to_string()),
                ("GITHUB_OUTPUT", output_file.display().to_string()),
            ],
        );
        let path = std::fs::read_to_string(&path_file).unwrap();
        let outputs = std::fs::read_to_string(&output_file).unwrap();
        (runner, out, path, outputs)
    };
    for input in [version.to_string(), tag.clone()] {
        let (runner, out, path, outputs) = install_with(&input);
        ok(out, "the action");
        let bin = runner.path().join("tmp/ecr-lifecycle/bin");
        assert_eq!(path, format!("{}\n", bin.display()));
        assert_eq!(outputs, format!("path={}\n", bin.display()));
        // The action's next step, with the PATH the runner makes of GITHUB_PATH.
        let check = &action["runs"]["steps"][1];
        let out = run_step(
            check,
            &[],
            runner.path(),
            &[(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )],
        );
        assert_eq!(
            ok(out, "ecr-lifecycle --version"),
            format!("ecr-lifecycle {version}\n")
        );
    }

    let fails = |input: &str, message: &str| {
        let (_runner, out, path, _) = install_with(input);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stdout}{stderr}");
        assert!(
            stdout.contains(message) || stderr.contains(message),
            "{message} not found:\n{stdout}{stderr}"
        );
        assert_eq!(path, "", "nothing on PATH");
    };
    // A release that does not exist.
    fails("0.0.0-nothing", "404");
    // Not a version.
    fails("1.0; rm -rf /", "is not a release version");
    // An archive that is not the one the checksums name.
    let served_archive = served.join(&tag).join(&archive);
    let mut bytes = std::fs::read(&served_archive).unwrap();
    bytes.push(0);
    std::fs::write(&served_archive, bytes).unwrap();
    fails(version, &format!("{archive} has SHA-256"));
    // An archive the checksums do not list.
    let sums = served.join(&tag).join("SHA256SUMS");
    std::fs::write(&sums, "").unwrap();
    fails(version, &format!("lists no {archive}"));
}

/// The example workflow runs the runner daily, and on merge applies the plan reviewed on the
/// pull request (the artifact the plan job saved) instead of planning again.
#[test]
fn the_example_workflow_applies_the_reviewed_plan_and_runs_on_a_schedule() {
    let w = yaml(&repo_root().join("examples/github-actions/ecr-lifecycle.yml"));
    assert!(
        w["on"]["schedule"][0]["cron"].is_string(),
        "a schedule: {}",
        w["on"]
    );
    let runs = |job: &str| -> Vec<String> {
        w["jobs"][job]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["run"].as_str().map(str::to_string))
            .collect()
    };
    let saved = w["jobs"]["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact"))
        })
        .map(|s| s["with"]["name"].as_str().unwrap().to_string())
        .expect("the plan job saves its plan");
    let apply = runs("apply");
    assert!(
        !apply.iter().any(|r| r.contains("ecr-lifecycle plan")),
        "the merge job does not plan again: {apply:?}"
    );
    assert!(
        apply
            .iter()
            .any(|r| r.contains("gh run download") && r.contains(&saved)),
        "the merge job fetches the artifact `{saved}`: {apply:?}"
    );
    assert!(
        apply
            .iter()
            .any(|r| r.starts_with("ecr-lifecycle apply plan.json"))
    );
    let scheduled = &w["jobs"]["scheduled"];
    assert!(
        scheduled["if"].as_str().unwrap().contains("schedule"),
        "{scheduled}"
    );
    assert!(
        runs("scheduled")
            .iter()
            .any(|r| r.contains("ecr-lifecycle apply --auto-approve --format json")),
        "{:?}",
        runs("scheduled")
    );
}
