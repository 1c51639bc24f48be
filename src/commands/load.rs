//! Loading what several commands share: policy files (checked together) and image files.

use std::path::PathBuf;

use ecr_lifecycle_compiler::diagnostic::Diagnostic;
use ecr_lifecycle_compiler::dsl::policy::RegistryKind;
use ecr_lifecycle_compiler::dsl::policy::{Keep, Matcher};
use ecr_lifecycle_compiler::dsl::{Policy, claims, public};
use ecr_lifecycle_compiler::glob::Glob;
use ecr_lifecycle_compiler::image::{RepositoryImages, parse_images_json, parse_timestamp};
use ecr_lifecycle_compiler::source::SourceFile;
use ecr_lifecycle_compiler::source::Sp;
use ecr_lifecycle_runtime::plan::LoadedPolicy;
use jiff::Timestamp;

use crate::cli::ImagesArgs;
use crate::files;
use crate::output;

/// Parses and checks every policy file, printing every error; `None` if any failed. Files that
/// name no registry govern ECR.
pub(super) fn policies(paths: &[PathBuf]) -> Option<Vec<(SourceFile, Policy)>> {
    policies_for(
        &paths
            .iter()
            .map(|p| (p.clone(), RegistryKind::Ecr))
            .collect::<Vec<_>>(),
    )
}

/// The registry a file governs: its own `registry:`, else the one given.
fn registry_of(policy: &Policy, given: RegistryKind) -> RegistryKind {
    policy.registry.as_ref().map_or(given, |r| r.value)
}

/// [`policies`], each file with the registry it governs unless it names its own.
fn policies_for(paths: &[(PathBuf, RegistryKind)]) -> Option<Vec<(SourceFile, Policy)>> {
    let sources = paths
        .iter()
        .map(|(p, given)| (files::read_source(p), *given))
        .collect();
    match checked(sources) {
        Ok(ok) => Some(ok),
        Err(problems) => {
            for p in &problems {
                match p {
                    Problem::Diagnostic(file, d) => {
                        output::diagnostics(file, std::slice::from_ref(d))
                    }
                    Problem::Error(e) => output::error(e),
                }
            }
            None
        }
    }
}

/// Why policy files could not be used: each file's diagnostics, then how many failed.
pub(super) enum Problem {
    Diagnostic(SourceFile, Diagnostic),
    Error(String),
}

/// Policy files as read (or why one could not be), each with the registry it governs unless it
/// names its own, parsed and checked together; the problems come in the files' order. A file
/// read for ECR Public is refused where it says what ECR Public cannot do.
pub(super) fn checked(
    sources: Vec<(Result<SourceFile, String>, RegistryKind)>,
) -> Result<Vec<(SourceFile, Policy)>, Vec<Problem>> {
    let n = sources.len();
    let mut ok = Vec::new();
    let mut kinds = Vec::new();
    let mut problems = Vec::new();
    for (source, given) in sources {
        let file = match source {
            Ok(file) => file,
            Err(e) => {
                problems.push(Problem::Error(e));
                continue;
            }
        };
        match ecr_lifecycle_compiler::parse(&file) {
            Ok(p) => {
                let kind = registry_of(&p, given);
                let refused = match kind {
                    RegistryKind::EcrPublic => public::refusals(&p),
                    RegistryKind::Ecr => Vec::new(),
                };
                if refused.is_empty() {
                    kinds.push(kind);
                    ok.push((file, p));
                } else {
                    problems.extend(
                        refused
                            .into_iter()
                            .map(|d| Problem::Diagnostic(file.clone(), d)),
                    );
                }
            }
            Err(errors) => {
                problems.extend(
                    errors
                        .into_iter()
                        .map(|d| Problem::Diagnostic(file.clone(), d)),
                );
            }
        }
    }
    // Files for different kinds of registry never govern the same repository.
    let mut conflicts = Vec::new();
    for kind in [RegistryKind::Ecr, RegistryKind::EcrPublic] {
        let at: Vec<usize> = (0..ok.len()).filter(|&i| kinds[i] == kind).collect();
        let refs: Vec<(&SourceFile, &Policy)> = at.iter().map(|&i| (&ok[i].0, &ok[i].1)).collect();
        conflicts.extend(
            claims::conflicting_claims(&refs)
                .into_iter()
                .map(|(i, d)| (at[i], d)),
        );
    }
    conflicts.sort_by_key(|(i, _)| *i);
    for (i, d) in &conflicts {
        problems.push(Problem::Diagnostic(ok[*i].0.clone(), d.clone()));
    }
    if !problems.is_empty() {
        let mut conflicting: Vec<usize> = conflicts.iter().map(|(i, _)| *i).collect();
        conflicting.dedup();
        let unusable = n - ok.len() + conflicting.len();
        problems.push(Problem::Error(format!(
            "{unusable} of {n} policy file{} could not be used",
            if n == 1 { "" } else { "s" }
        )));
        return Err(problems);
    }
    Ok(ok)
}

/// Problems as plain text (no colour), for a message that is not printed on a terminal.
#[cfg(feature = "lambda")]
pub(super) fn problems_text(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| match p {
            Problem::Diagnostic(file, d) => crate::diagnostics::render(d, file, false),
            Problem::Error(e) => format!("error: {e}"),
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Tag globs that read like regular expressions (`v.*`), as warnings at their place. They are
/// valid globs (`.` may occur in a tag), so they are not refused; but `v.*` matches only tags
/// that start with `v.`, which is seldom what was meant.
pub(super) fn glob_warnings(policy: &Policy) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    let matchers = policy
        .rules
        .iter()
        .map(|r| &*r.matcher)
        .chain(policy.archive_rules().iter().map(|r| &*r.matcher));
    for matcher in matchers {
        if let Matcher::Tagged(t) = matcher {
            for g in t.any_of.iter().chain(&t.all_of) {
                if let Some(glob) = g.regex_lookalike() {
                    warnings.push(lookalike(g).with_help(format!(
                        "for a regular expression, write `tag_regex: '{}'` in `match`; for any run of characters, the glob is `{glob}`",
                        g.as_str()
                    )));
                }
            }
        }
    }
    for rule in &policy.rules {
        if let Keep::Retain(r) = &*rule.keep
            && let Some(a) = &r.anchored
        {
            for g in &a.tags {
                if let Some(glob) = g.regex_lookalike() {
                    warnings.push(lookalike(g).with_help(format!(
                        "anchors take globs only; for any run of characters, the glob is `{glob}`"
                    )));
                }
            }
        }
    }
    warnings.sort_by_key(|d| d.span.map(|s| s.start));
    warnings
}

fn lookalike(g: &Sp<Glob>) -> Diagnostic {
    Diagnostic::warning(
        format!(
            "`{}` reads like a regular expression, but in a glob `.` is no wildcard",
            g.as_str()
        ),
        g.span,
    )
    .with_label("a `.` in a glob matches only a `.`")
}

/// The images file, grouped by repository.
pub(super) fn images(args: &ImagesArgs) -> Result<Vec<RepositoryImages>, String> {
    let text = files::read_text(&args.images)?;
    parse_images_json(&text).map_err(|e| {
        format!(
            "{}:{e}\n  hint: the file must be the JSON that `aws ecr describe-images --output json` prints",
            args.images.display()
        )
    })
}

/// `--now`, or the clock.
pub(super) fn now(args: &ImagesArgs) -> Result<Timestamp, String> {
    now_from(args.now.as_deref())
}

/// `--now` as given, or the clock to the whole second: plans, their headers and JSON show
/// the time a person reads, not its nanoseconds.
pub(super) fn now_from(now: Option<&str>) -> Result<Timestamp, String> {
    match now {
        Some(t) => parse_timestamp(t).map_err(|e| format!("--now: {e}")),
        None => Ok(whole_seconds(Timestamp::now())),
    }
}

fn whole_seconds(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

/// Policy files, checked together and compiled; those that name no registry govern
/// `registry`'s kind.
pub(super) fn loaded_policies(
    paths: &[PathBuf],
    registry: RegistryKind,
) -> Option<Vec<LoadedPolicy>> {
    loaded_policies_for(
        &paths
            .iter()
            .map(|p| (p.clone(), registry))
            .collect::<Vec<_>>(),
    )
}

/// [`loaded_policies`], each file with its own registry (as a saved plan records them).
pub(super) fn loaded_policies_for(paths: &[(PathBuf, RegistryKind)]) -> Option<Vec<LoadedPolicy>> {
    let policies = policies_for(paths)?;
    let loaded: Vec<LoadedPolicy> = policies
        .into_iter()
        .zip(paths)
        .map(|((file, policy), (_, given))| {
            LoadedPolicy::new(file, policy).with_default_registry(*given)
        })
        .collect();
    Some(loaded)
}

/// Says once per file for ECR Public that everything it says runs at runtime.
pub(super) fn public_notes<'a>(files: impl IntoIterator<Item = (&'a str, RegistryKind)>) {
    for (name, kind) in files {
        if !kind.has_lifecycle_policies() {
            output::note(&crate::render::words::runs_at_runtime(name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_is_read_to_the_whole_second_and_now_is_taken_as_given() {
        let now = now_from(None).unwrap();
        assert_eq!(now.subsec_nanosecond(), 0, "{now}");
        let given = now_from(Some("2026-01-31T12:00:00.5Z")).unwrap();
        assert_eq!(given.subsec_nanosecond(), 500_000_000);
        let t: Timestamp = "2026-12-01T22:57:47.279466033Z".parse().unwrap();
        assert_eq!(whole_seconds(t).to_string(), "2026-12-01T22:57:47Z");
    }
}
