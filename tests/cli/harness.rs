//! Runs the built binary in a known directory with a cleared environment, and formats what it
//! did as one text for a snapshot. Only the temporary directory's path is filtered.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) struct Cli {
    args: Vec<String>,
    cwd: PathBuf,
    env: Vec<(String, String)>,
}

pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Cli {
    /// The binary, run from the repository root.
    pub(crate) fn new() -> Cli {
        Cli {
            args: Vec::new(),
            cwd: repo_root(),
            env: Vec::new(),
        }
    }

    pub(crate) fn dir(mut self, dir: &Path) -> Cli {
        self.cwd = dir.to_path_buf();
        self
    }

    pub(crate) fn args<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, args: I) -> Cli {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }

    pub(crate) fn env(mut self, key: &str, value: &str) -> Cli {
        self.env.push((key.into(), value.into()));
        self
    }

    #[track_caller]
    pub(crate) fn run(&self) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_ecr-lifecycle"))
            .args(&self.args)
            .current_dir(&self.cwd)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        // Shown when a snapshot fails, unfiltered.
        eprintln!(
            "$ ecr-lifecycle {}\n[exit {}]\n{}{}",
            self.args.join(" "),
            run.code,
            run.stdout,
            run.stderr
        );
        run
    }
}

impl Run {
    /// `exit_code`, then the non-empty streams; `tmp` (if any) shown as `[TMP]`.
    pub(crate) fn snapshot(&self, tmp: Option<&Path>) -> String {
        let mut s = format!("exit_code: {}\n", self.code);
        if !self.stdout.is_empty() {
            s.push_str("----- stdout -----\n");
            s.push_str(&self.stdout);
        }
        if !self.stderr.is_empty() {
            s.push_str("----- stderr -----\n");
            s.push_str(&self.stderr);
        }
        match tmp {
            Some(t) => s.replace(&t.display().to_string(), "[TMP]"),
            None => s,
        }
    }
}

/// A temporary directory with the given files.
pub(crate) fn temp_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(path, text).expect("write file");
    }
    dir
}
