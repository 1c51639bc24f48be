//! The local ECR API for end-to-end tests: `tests/e2e/ecr_stand_in.py` (moto, in-process,
//! with ECR's behaviour where moto differs) on 127.0.0.1, driven over its test endpoints.
//!
//! A missing Python environment is a test failure, never a skip: `tests/run.sh` creates it.
//! The same environment holds `pre-commit`, for the tests of the hooks (`team.rs`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Cli, repo_root};

pub(crate) struct StandIn {
    child: Child,
    /// Held open: the launcher exits when its standard input closes.
    _stdin: ChildStdin,
    pub url: String,
    addr: String,
}

pub(crate) fn python() -> PathBuf {
    if let Ok(p) = std::env::var("ECR_LIFECYCLE_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = repo_root().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "the end-to-end tests need the Python environment with moto: run `bash tests/run.sh` (it creates .venv), or set ECR_LIFECYCLE_TEST_PYTHON"
    );
    venv
}

impl StandIn {
    #[track_caller]
    pub(crate) fn start() -> StandIn {
        let mut child = Command::new(python())
            .arg(repo_root().join("tests/e2e/ecr_stand_in.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the stand-in starts");
        let stdin = child.stdin.take().expect("stdin is piped");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout is piped"))
            .read_line(&mut first)
            .expect("the stand-in announces its address");
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from the stand-in: {first:?}"))
            .to_string();
        let addr = url.trim_start_matches("http://").to_string();
        assert!(addr.starts_with("127.0.0.1:"), "loopback only: {addr}");
        StandIn {
            child,
            _stdin: stdin,
            url,
            addr,
        }
    }

    /// One request to a test endpoint; panics on anything but 2xx.
    #[track_caller]
    pub(crate) fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut s = TcpStream::connect(&self.addr).expect("connect to the stand-in");
        s.set_read_timeout(Some(Duration::from_secs(120))).ok();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .expect("send");
        let mut raw = String::new();
        s.read_to_string(&mut raw).expect("read the answer");
        let (head, rest) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        assert!(
            (200..300).contains(&status),
            "{method} {path} answered {status}: {rest}"
        );
        // Chunked answers carry sizes between chunks; the JSON is what lies between.
        let json = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(rest)
        } else {
            rest.to_string()
        };
        if json.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{path}: {e}: {json}"))
        }
    }

    pub(crate) fn seed(&self, spec: Value) -> Value {
        self.call("POST", "/_stand_in/seed", Some(&spec))
    }

    /// The ECR calls served since the last reset, as (operation, repository, ids) triples.
    pub(crate) fn calls(&self) -> Vec<(String, String, u64)> {
        let v = self.call("GET", "/_stand_in/calls", None);
        v["calls"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|c| {
                        (
                            c["operation"].as_str().unwrap_or("").to_string(),
                            c["repositoryName"].as_str().unwrap_or("").to_string(),
                            c["ids"].as_u64().unwrap_or(0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn reset_calls(&self) {
        self.call("DELETE", "/_stand_in/calls", None);
    }

    /// The binary, pointed at this endpoint with dummy credentials and a clean home.
    pub(crate) fn cli(&self, dir: &std::path::Path) -> Cli {
        Cli::new()
            .dir(dir)
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("HOME", &dir.display().to_string())
    }
}

pub(crate) fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The stand-in's ECR Public API (which moto lacks) checked with boto3's own `ecr-public`
/// client: paginators, the 100-id limit, deleting by tag and by digest, failures[], us-east-1
/// only, faults and the call log (`tests/e2e/ecr_public_fidelity.py`).
#[test]
fn the_ecr_public_stand_in_answers_as_boto3_expects() {
    let out = Command::new(python())
        .arg(repo_root().join("tests/e2e/ecr_public_fidelity.py"))
        .stdin(Stdio::null())
        .output()
        .expect("the test environment's Python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.starts_with("ok: "),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
