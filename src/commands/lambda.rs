//! `lambda`: the runner as an AWS Lambda function on the `provided.al2023` runtime (the binary
//! packaged as `bootstrap`). Each invocation plans, in `apply` mode applies under the guard,
//! logs one JSON line per repository and one with the totals, and answers with the run's JSON
//! report. It goes through the very code `plan` and `apply` run.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ecr_lifecycle_compiler::dsl::policy::RegistryKind;
use ecr_lifecycle_compiler::glob::{self, Syntax};
use ecr_lifecycle_compiler::source::SourceFile;
use ecr_lifecycle_runtime::apply::ApplyReport;
use ecr_lifecycle_runtime::plan::LoadedPolicy;

use crate::cli::{LambdaArgs, LambdaMode};
use crate::commands::{apply, in_use, load, plan, registry};
use crate::exit::ExitStatus;
use crate::render::run_report::RunReport;
use crate::{files, output};

/// The variables the Lambda service (or an emulator) sets, which the runtime client needs.
const LAMBDA_ENVIRONMENT: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

pub(super) fn run(args: &LambdaArgs) -> ExitStatus {
    let missing: Vec<&str> = LAMBDA_ENVIRONMENT
        .into_iter()
        .filter(|v| std::env::var_os(v).is_none())
        .collect();
    if !missing.is_empty() {
        output::error(&format!(
            "`ecr-lifecycle lambda` runs inside AWS Lambda (or a Lambda emulator), and {} not set; to run the same work here, use `ecr-lifecycle plan` or `apply`",
            match missing.as_slice() {
                [one] => format!("{one} is"),
                many => format!("{} are", many.join(", ")),
            }
        ));
        return ExitStatus::Failure;
    }
    // Lambda gives `HOST:PORT`; an emulator may give a URL. A path needs the scheme.
    if let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API")
        && !api.starts_with("http://")
        && api.contains('/')
    {
        output::error(&format!(
            "AWS_LAMBDA_RUNTIME_API={api} is neither HOST:PORT nor an http:// URL"
        ));
        return ExitStatus::Failure;
    }
    let rt = match registry::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            output::error(&e);
            return ExitStatus::Failure;
        }
    };
    let args = Arc::new(args.clone());
    let handler = lambda_runtime::service_fn(
        move |_event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let args = Arc::clone(&args);
            async move {
                // The run makes its own async runtime, as the commands do: off this one.
                tokio::task::spawn_blocking(move || invoke(&args))
                    .await
                    .map_err(|e| InvocationError::new(Cause::Stopped, e.to_string()))?
            }
        },
    );
    match rt.block_on(lambda_runtime::run(handler)) {
        Ok(()) => ExitStatus::Success,
        Err(e) => {
            output::error(&format!("the Lambda runtime client stopped: {e}"));
            ExitStatus::Failure
        }
    }
}

/// One invocation: whatever the event (a schedule's, or `{}`), the same run.
fn invoke(args: &LambdaArgs) -> Result<serde_json::Value, InvocationError> {
    let mut policies = policies(args)?;
    let files = in_use::read_files(&mut policies)
        .map_err(|e| InvocationError::new(Cause::PolicyFiles, e))?;
    let now = load::now_from(args.now.as_deref())
        .map_err(|e| InvocationError::new(Cause::Configuration, e))?;
    let made = plan::make(
        &args.registry,
        &policies,
        &files,
        now,
        true,
        None,
        &args.choices,
    )
    .map_err(|e| InvocationError::new(Cause::Registry, format!("cannot plan: {e}")))?;
    let report = match args.mode {
        LambdaMode::Plan => None,
        LambdaMode::Apply if !made.has_changes() => Some(ApplyReport::default()),
        LambdaMode::Apply => {
            // The guard first, worded for the function's settings; carry_out checks it again.
            if let Err(e) = ecr_lifecycle_runtime::apply::check(&made, &policies, args.max_delete) {
                // What was refused, for whoever reads the log after the alarm.
                log(&RunReport {
                    plan: &made,
                    apply: None,
                });
                return Err(InvocationError::new(
                    Cause::Refused,
                    format!("{e} (in the function: ECR_LIFECYCLE_MAX_DELETE)"),
                ));
            }
            Some(
                apply::carry_out(
                    &made,
                    &policies,
                    &files,
                    &args.registry,
                    args.max_delete,
                    now,
                )
                .map_err(|e| InvocationError::new(Cause::Registry, format!("cannot apply: {e}")))?,
            )
        }
    };
    let run = RunReport {
        plan: &made,
        apply: report.as_ref(),
    };
    log(&run);
    if let Some(report) = &report
        && report.failed()
    {
        let failed: Vec<&str> = report
            .repositories
            .iter()
            .filter(|r| r.failed())
            .map(|r| r.name.as_str())
            .collect();
        return Err(InvocationError::new(
            Cause::PartialFailure,
            format!(
                "the apply failed in {} of {} repositories ({}{}); the function's log has a line for each, with the failed calls and what to do",
                failed.len(),
                report.repositories.len(),
                failed
                    .iter()
                    .take(5)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
                if failed.len() > 5 { ", …" } else { "" }
            ),
        ));
    }
    Ok(run.to_value())
}

/// One JSON line per repository and one with the totals, on standard output (CloudWatch Logs).
fn log(run: &RunReport<'_>) {
    for line in run.log_lines() {
        output::stdout(&format!("{line}\n"));
    }
}

/// The policy files ECR_LIFECYCLE_POLICIES names, read and checked. None there is an error:
/// a schedule that finds nothing to read must not report that there is nothing to do.
fn policies(args: &LambdaArgs) -> Result<Vec<LoadedPolicy>, InvocationError> {
    let config = |m: String| InvocationError::new(Cause::Configuration, m);
    let Some(source) = args.policies.as_deref().filter(|s| !s.trim().is_empty()) else {
        return Err(config(
            "ECR_LIFECYCLE_POLICIES is not set: set it to the policy files' directory or glob in the package (`policies/`, `policies/*.yaml`) or to `s3://BUCKET/PREFIX/`".into(),
        ));
    };
    let sources = match s3_location(source) {
        Some(location) => from_s3(&location?, args)?,
        None => {
            let paths = local_paths(source).map_err(config)?;
            let mut read = Vec::new();
            for path in &paths {
                read.push(
                    files::read_source(path)
                        .map_err(|e| InvocationError::new(Cause::PolicyFiles, e))?,
                );
            }
            read
        }
    };
    if sources.is_empty() {
        return Err(config(format!(
            "ECR_LIFECYCLE_POLICIES={source}: no policy files (*.yaml, *.yml) there; upload or package them, or correct the variable"
        )));
    }
    let checked = load::checked(
        sources
            .into_iter()
            .map(|s| (Ok(s), RegistryKind::Ecr))
            .collect(),
    )
    .map_err(|problems| {
        InvocationError::new(
            Cause::PolicyFiles,
            format!(
                "the policy files at {source} are not valid; fix them (`ecr-lifecycle validate` shows the same) and deploy them again:\n\n{}",
                load::problems_text(&problems)
            ),
        )
    })?;
    Ok(checked
        .into_iter()
        .map(|(file, policy)| LoadedPolicy::new(file, policy))
        .collect())
}

/// `s3://…`, when the source names one.
fn s3_location(
    source: &str,
) -> Option<Result<ecr_lifecycle_runtime::s3::S3Location, InvocationError>> {
    ecr_lifecycle_runtime::s3::S3Location::parse(source)
        .map(|r| r.map_err(|e| InvocationError::new(Cause::Configuration, e)))
}

fn from_s3(
    location: &ecr_lifecycle_runtime::s3::S3Location,
    args: &LambdaArgs,
) -> Result<Vec<SourceFile>, InvocationError> {
    let options = registry::ecr_options(&args.registry, &Default::default());
    let rt = registry::runtime().map_err(|e| InvocationError::new(Cause::Stopped, e))?;
    let objects = rt
        .block_on(ecr_lifecycle_runtime::s3::read_policy_files(
            location, &options,
        ))
        .map_err(|e| {
            InvocationError::new(
                Cause::PolicyFiles,
                format!(
                    "cannot read the policy files at {location}: {}",
                    registry::explain(&e)
                ),
            )
        })?;
    objects
        .into_iter()
        .map(|(name, bytes)| {
            String::from_utf8(bytes)
                .map(|text| SourceFile::new(name.clone(), text))
                .map_err(|_| {
                    InvocationError::new(
                        Cause::PolicyFiles,
                        format!("{name}: not UTF-8 text; upload the file as UTF-8"),
                    )
                })
        })
        .collect()
}

/// A directory (its `*.yaml` and `*.yml` files), a glob in the last part of a path
/// (`policies/team-*.yaml`), or one file; sorted, so that a plan names them in one order.
fn local_paths(source: &str) -> Result<Vec<PathBuf>, String> {
    let path = Path::new(source);
    let wildcard = |s: &str| s.contains(['*', '?']);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let dir = path.parent().unwrap_or(Path::new(""));
    if wildcard(&dir.to_string_lossy()) {
        return Err(format!(
            "ECR_LIFECYCLE_POLICIES={source}: only the file name may hold `*` or `?`; name one directory"
        ));
    }
    let (dir, pattern) = if path.is_dir() {
        (path.to_path_buf(), None)
    } else if wildcard(name) {
        (dir.to_path_buf(), Some(name))
    } else if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    } else {
        return Err(format!(
            "ECR_LIFECYCLE_POLICIES={source}: no such file or directory in the function's package (its working directory is {}); package the policy files with the function, or correct the variable",
            std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| "unknown".into())
        ));
    };
    let listed = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir.as_path()
    };
    let entries = std::fs::read_dir(listed).map_err(|e| {
        format!(
            "ECR_LIFECYCLE_POLICIES={source}: cannot list {}: {e}",
            listed.display()
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let wanted = match &pattern {
                Some(p) => glob::matches(Syntax::Glob, p, &name),
                None => name.ends_with(".yaml") || name.ends_with(".yml"),
            };
            (wanted && e.path().is_file()).then(|| dir.join(name))
        })
        .collect();
    paths.sort();
    Ok(paths)
}

/// Why an invocation failed: its `errorType` (what an alarm or a retry policy can tell apart)
/// and its `errorMessage` (what to fix).
#[derive(Debug)]
struct InvocationError {
    cause: Cause,
    message: String,
}

#[derive(Debug, Clone, Copy)]
enum Cause {
    /// The function's variables.
    Configuration,
    /// The policy files: missing, unreadable or not valid.
    PolicyFiles,
    /// The registry could not be read (credentials, permissions, network).
    Registry,
    /// The apply was refused: the guard, or a plan that no longer fits.
    Refused,
    /// Some repositories failed; the report says which.
    PartialFailure,
    /// The run itself stopped.
    Stopped,
}

impl InvocationError {
    fn new(cause: Cause, message: impl Into<String>) -> Self {
        InvocationError {
            cause,
            message: message.into(),
        }
    }
}

impl From<InvocationError> for lambda_runtime::Diagnostic {
    fn from(e: InvocationError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: format!("EcrLifecycle.{:?}", e.cause),
            error_message: e.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_sources_are_a_directory_a_glob_or_a_file() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.yaml", "a.yml", "notes.txt", "team-x.yaml"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let names = |source: &str| -> Vec<String> {
            local_paths(source)
                .unwrap()
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        let d = dir.path().display().to_string();
        assert_eq!(names(&d), ["a.yml", "b.yaml", "team-x.yaml"]);
        assert_eq!(names(&format!("{d}/team-*.yaml")), ["team-x.yaml"]);
        assert_eq!(names(&format!("{d}/b.yaml")), ["b.yaml"]);
        assert!(names(&format!("{d}/*.json")).is_empty());
        let missing = local_paths(&format!("{d}/nowhere")).unwrap_err();
        assert!(missing.contains("no such file or directory"), "{missing}");
        let deep = local_paths(&format!("{d}/*/x.yaml")).unwrap_err();
        assert!(deep.contains("only the file name"), "{deep}");
    }
}
