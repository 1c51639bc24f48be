//! The Lambda function end to end: the binary, packaged as `bootstrap`, polls the Lambda
//! Runtime API that `cargo lambda watch --only-lambda-apis` (PyPI `cargo-lambda`) emulates, and
//! plans and applies against the local ECR API; policy files from the package or from moto's
//! S3 through the same stand-in.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::e2e::{NOW, POLICY, seed};
use crate::harness::{repo_root, temp_dir};
use crate::stand_in::{StandIn, python};

/// What EventBridge sends on a schedule (a scheduled rule's event; the Scheduler's is alike).
const SCHEDULED_EVENT: &str = r#"{"version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event", "source": "aws.events", "account": "123456789012", "time": "2026-11-01T12:00:00Z", "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:123456789012:rule/ecr-lifecycle"], "detail": {}}"#;

/// `cargo lambda watch --only-lambda-apis`: the Runtime API, and the invoke API in front of it.
struct Emulator {
    child: Child,
    port: u16,
}

impl Emulator {
    #[track_caller]
    fn start() -> Emulator {
        let cargo_lambda = python().with_file_name("cargo-lambda");
        assert!(
            cargo_lambda.exists(),
            "{} is missing: tests/e2e/requirements.txt installs it (`bash tests/run.sh`)",
            cargo_lambda.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        // It reads the crate's metadata, so it runs in the repository.
        let child = Command::new(cargo_lambda)
            .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1"])
            .args(["-P", &port.to_string()])
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cargo lambda watch starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Emulator { child, port }
    }

    /// Starts the function in `package` (its working directory, as /var/task is on Lambda)
    /// with the stand-in's endpoint and the given settings.
    fn function(&self, s: &StandIn, package: &Path, settings: &[(&str, &str)]) -> Function {
        let bootstrap = package.join("bootstrap");
        if !bootstrap.exists() {
            std::fs::copy(env!("CARGO_BIN_EXE_ecr-lifecycle"), &bootstrap)
                .expect("package the binary as bootstrap");
        }
        let child = Command::new(&bootstrap)
            .current_dir(package)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{}/.rt", self.port),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_ENDPOINT_URL", &s.url)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("HOME", package)
            .env("ECR_LIFECYCLE_NOW", NOW)
            .envs(settings.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the function starts");
        Function { child }
    }

    /// Invokes the function as the Lambda invoke API does: the answer, or the error document
    /// the function reported.
    #[track_caller]
    fn invoke(&self, event: &str) -> Invocation {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the emulator");
        s.set_read_timeout(Some(Duration::from_secs(120))).ok();
        write!(
            s,
            "POST /2015-03-31/functions/_/invocations HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{event}",
            self.port,
            event.len()
        )
        .expect("send");
        let mut raw = String::new();
        s.read_to_string(&mut raw).expect("read the answer");
        let (head, rest) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            crate::stand_in::dechunk(rest)
        } else {
            rest.to_string()
        };
        let body: Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {head}\n{body}"));
        // An error is what the function posted to /error: its type and message.
        let error = body.get("errorType").is_some() && body.get("errorMessage").is_some();
        Invocation { body, error }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Function {
    child: Child,
}

impl Function {
    /// Stops the function; its standard output (the JSON log lines) and error.
    fn stop(mut self) -> (String, String) {
        let _ = self.child.kill();
        let mut out = String::new();
        let mut err = String::new();
        if let Some(mut o) = self.child.stdout.take() {
            let _ = o.read_to_string(&mut out);
        }
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let _ = self.child.wait();
        (out, err)
    }
}

struct Invocation {
    body: Value,
    error: bool,
}

fn package(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = temp_dir(files);
    let path = dir.path().to_path_buf();
    (dir, path)
}

fn deletions(plan: &Value) -> Vec<String> {
    let mut v: Vec<String> = plan["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["deletions"].as_array().unwrap().clone())
        .map(|d| d["digest"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn deleted(apply: &Value) -> Vec<String> {
    let mut v: Vec<String> = apply["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["deleted"].as_array().unwrap().clone())
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// `plan` mode reports what `plan` reports and deletes nothing; `apply` mode deletes exactly
/// what its plan says, and a second invocation deletes nothing.
#[test]
fn the_function_plans_then_applies_on_a_schedule_and_a_second_run_deletes_nothing() {
    let s = StandIn::start();
    seed(&s);
    let (_dir, d) = package(&[("policies/p.yaml", POLICY)]);
    let emulator = Emulator::start();

    let cli_plan = s
        .cli(&d)
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args(["plan", "policies/p.yaml", "--format", "json"])
        .run();
    assert_eq!(cli_plan.code, 2, "{}", cli_plan.stderr);
    let cli_plan: Value = serde_json::from_str(&cli_plan.stdout).unwrap();
    assert!(deletions(&cli_plan).len() > 100);

    s.reset_calls();
    let f = emulator.function(&s, &d, &[("ECR_LIFECYCLE_POLICIES", "policies/")]);
    let planned = emulator.invoke(SCHEDULED_EVENT);
    let (log, err) = f.stop();
    assert!(!planned.error, "{}\n{err}", planned.body);
    assert_eq!(planned.body["mode"], "plan");
    assert!(planned.body.get("apply").is_none());
    assert_eq!(planned.body["plan"], cli_plan, "the same plan as `plan`");
    let calls = s.calls();
    assert!(
        !calls.iter().any(|c| c.0 == "BatchDeleteImage"),
        "plan mode deletes nothing: {calls:?}"
    );
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 3, "a line per repository and a summary: {log}");
    assert_eq!(lines[2]["summary"]["mode"], "plan");
    assert_eq!(
        lines[2]["summary"]["imagesToDelete"],
        cli_plan["summary"]["imagesToDelete"]
    );

    let f = emulator.function(
        &s,
        &d,
        &[
            ("ECR_LIFECYCLE_POLICIES", "policies/*.yaml"),
            ("ECR_LIFECYCLE_MODE", "apply"),
        ],
    );
    let first = emulator.invoke(SCHEDULED_EVENT);
    let second = emulator.invoke("{}");
    let (log, err) = f.stop();
    assert!(!first.error, "{}\n{err}", first.body);
    assert_eq!(first.body["mode"], "apply");
    assert_eq!(first.body["failed"], false);
    assert_eq!(
        deleted(&first.body["apply"]),
        deletions(&first.body["plan"]),
        "deletes what its plan says"
    );
    assert_eq!(deletions(&first.body["plan"]), deletions(&cli_plan));
    assert!(!second.error, "{}\n{err}", second.body);
    assert_eq!(second.body["plan"]["summary"]["imagesToDelete"], 0);
    assert_eq!(second.body["apply"]["summary"]["imagesDeleted"], 0);
    let summaries: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l.get("summary").is_some())
        .collect();
    assert_eq!(summaries.len(), 2, "{log}");
    assert_eq!(
        summaries[0]["summary"]["apply"]["imagesDeleted"],
        deletions(&cli_plan).len()
    );

    // The registry agrees: nothing is left to delete.
    let replan = s
        .cli(&d)
        .env("ECR_LIFECYCLE_NOW", NOW)
        .args(["plan", "policies/p.yaml"])
        .run();
    assert_eq!(replan.code, 0, "{}", replan.stdout);
}

/// Policy files from S3, and invocation errors that say what to fix: no source, nothing
/// there, files that do not validate, a guard that refuses.
#[test]
fn the_function_reads_policies_from_s3_and_fails_invocations_it_cannot_do() {
    let s = StandIn::start();
    seed(&s);
    s.call(
        "POST",
        "/_stand_in/s3",
        Some(&json!({"bucket": "ops", "objects": {
            "ecr-lifecycle/p.yaml": POLICY,
            "ecr-lifecycle/README.md": "not a policy file",
            "broken/p.yaml": "version: 1\nrules:\n  - name: a\n    match: any\n    keep: { newest: -3 }\n",
        }})),
    );
    let (_dir, d) = package(&[]);
    let emulator = Emulator::start();
    let run = |settings: &[(&str, &str)]| {
        let f = emulator.function(&s, &d, settings);
        let answer = emulator.invoke(SCHEDULED_EVENT);
        let (log, err) = f.stop();
        (answer, log, err)
    };

    let (from_s3, _, err) = run(&[("ECR_LIFECYCLE_POLICIES", "s3://ops/ecr-lifecycle/")]);
    assert!(!from_s3.error, "{}\n{err}", from_s3.body);
    assert_eq!(
        from_s3.body["plan"]["policyFiles"][0]["path"],
        "s3://ops/ecr-lifecycle/p.yaml"
    );
    assert_eq!(
        from_s3.body["plan"]["policyFiles"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(
        from_s3.body["plan"]["summary"]["imagesToDelete"]
            .as_u64()
            .unwrap()
            > 100
    );

    let error = |answer: &Invocation, kind: &str, says: &str| {
        let shown: String = answer.body.to_string().chars().take(2000).collect();
        assert!(answer.error, "an invocation error: {shown}");
        assert_eq!(answer.body["errorType"], kind, "{}", answer.body);
        let message = answer.body["errorMessage"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
    };
    let (unset, ..) = run(&[]);
    error(
        &unset,
        "EcrLifecycle.Configuration",
        "ECR_LIFECYCLE_POLICIES is not set",
    );
    let (missing, ..) = run(&[("ECR_LIFECYCLE_POLICIES", "policies/")]);
    error(
        &missing,
        "EcrLifecycle.Configuration",
        "no such file or directory",
    );
    let (empty, ..) = run(&[("ECR_LIFECYCLE_POLICIES", "s3://ops/nothing-here/")]);
    error(&empty, "EcrLifecycle.Configuration", "no policy files");
    let (invalid, ..) = run(&[("ECR_LIFECYCLE_POLICIES", "s3://ops/broken/")]);
    error(
        &invalid,
        "EcrLifecycle.PolicyFiles",
        "s3://ops/broken/p.yaml:5:",
    );
    s.reset_calls();
    let (refused, log, _) = run(&[
        ("ECR_LIFECYCLE_POLICIES", "s3://ops/ecr-lifecycle/"),
        ("ECR_LIFECYCLE_MODE", "apply"),
        ("ECR_LIFECYCLE_MAX_DELETE", "10"),
    ]);
    error(
        &refused,
        "EcrLifecycle.Refused",
        "more than --max-delete 10",
    );
    assert!(!s.calls().iter().any(|c| c.0 == "BatchDeleteImage"));
    assert!(
        log.contains(r#""imagesToDelete":251"#),
        "the refused plan is in the log: {log}"
    );

    // Deletions refused by ECR: the run goes on, and the invocation fails so the alarm fires.
    s.call("POST", "/_stand_in/faults", Some(&json!({"operation": "BatchDeleteImage", "count": 100, "status": 400, "code": "AccessDeniedException", "message": "not authorized to perform: ecr:BatchDeleteImage"})));
    let (partial, log, _) = run(&[
        ("ECR_LIFECYCLE_POLICIES", "s3://ops/ecr-lifecycle/"),
        ("ECR_LIFECYCLE_MODE", "apply"),
    ]);
    error(
        &partial,
        "EcrLifecycle.PartialFailure",
        "the apply failed in 2 of 2 repositories",
    );
    assert!(
        log.contains("\"operation\":\"BatchDeleteImage\"") && log.contains("AccessDeniedException"),
        "the log says which call failed: {log}"
    );
    s.call("DELETE", "/_stand_in/faults", None);

    // A registry that cannot be read.
    s.call("POST", "/_stand_in/faults", Some(&json!({"operation": "DescribeImages", "count": 100, "status": 400, "code": "AccessDeniedException", "message": "not authorized to perform: ecr:DescribeImages"})));
    let (denied, ..) = run(&[("ECR_LIFECYCLE_POLICIES", "s3://ops/ecr-lifecycle/")]);
    error(
        &denied,
        "EcrLifecycle.Registry",
        "the principal needs ECR permissions",
    );
    s.call("DELETE", "/_stand_in/faults", None);
}
