//! `lint`: native lifecycle policies, from files or as applied in a registry, checked for the
//! places where ECR's evaluation differs from what their rule order suggests.

mod render;

use std::collections::BTreeMap;
use std::path::PathBuf;

use ecr_lifecycle_compiler::image::Image;
use ecr_lifecycle_compiler::lint::{self, Report, Repository};
use ecr_lifecycle_runtime::normalize::normalize;
use ecr_lifecycle_runtime::registry::ecr::INDEX_MEDIA_TYPES;
use jiff::Timestamp;

use crate::cli::{Format, LintArgs};
use crate::commands::{load, registry};
use crate::exit::ExitStatus;
use crate::{files, output};

/// One policy and what lint said about it.
pub(crate) struct Linted {
    pub source: Source,
    pub report: Report,
}

/// Where a policy came from.
pub(crate) enum Source {
    /// A file, as named on the command line.
    File(String),
    /// The repositories that carry it (one policy text, normalised).
    Repositories(Vec<String>),
}

pub(super) fn run(args: &LintArgs) -> ExitStatus {
    let now = match load::now_from(args.now.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            output::error(&e);
            return ExitStatus::Failure;
        }
    };
    let (linted, failed) = if args.files.is_empty() {
        from_registry(args, now)
    } else {
        from_files(&args.files, now)
    };
    match args.format {
        Format::Text => output::lines(&render::text(&linted, now)),
        Format::Json => output::stdout(&render::json(&linted, now)),
    }
    // Notes are about expectations: only findings make the exit code 2.
    if failed {
        ExitStatus::Failure
    } else if linted.iter().any(|l| l.report.has_findings()) {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    }
}

/// Lints each file; a file that cannot be read or is not a policy is reported and marks the
/// run failed, and the other files are still linted.
fn from_files(paths: &[PathBuf], now: Timestamp) -> (Vec<Linted>, bool) {
    let mut linted = Vec::new();
    let mut failed = false;
    for path in paths {
        let name = path.display().to_string();
        let result = files::read_text(path).and_then(|text| {
            lint::lint(&text, now, None).map_err(|e| {
                let at = if e.position.is_some() { "" } else { " " };
                format!(
                    "{name}:{at}{e}\n  hint: the file must hold the policy itself, as \
                     `aws ecr get-lifecycle-policy --query lifecyclePolicyText --output text` prints it"
                )
            })
        });
        match result {
            Ok(report) => linted.push(Linted {
                source: Source::File(name),
                report,
            }),
            Err(e) => {
                output::error(&e);
                failed = true;
            }
        }
    }
    (linted, failed)
}

/// Lints each distinct policy applied to the selected repositories once.
fn from_registry(args: &LintArgs, now: Timestamp) -> (Vec<Linted>, bool) {
    if args.registry.registry == crate::cli::RegistryChoice::EcrPublic {
        output::error(
            "ECR Public has no lifecycle policies, so there is nothing to lint; `plan --registry ecr-public` shows what the policy files do there",
        );
        return (Vec::new(), true);
    }
    let states = match registry::read_matching(&args.registry, &args.repositories) {
        Ok(s) => s,
        Err(e) => {
            output::error(&e);
            return (Vec::new(), true);
        }
    };
    // Repositories grouped by the policy they carry, with the first one's text.
    let mut groups: BTreeMap<String, (Vec<Repository>, String)> = BTreeMap::new();
    for s in states {
        if let Some(text) = s.lifecycle_policy {
            let group = groups
                .entry(normalize(&text))
                .or_insert_with(|| (Vec::new(), text));
            group.0.push(Repository {
                image_indexes: s.images.iter().filter(|i| is_index(i)).count(),
                name: s.name,
            });
        }
    }
    if groups.is_empty() {
        output::note("No selected repository carries a lifecycle policy.");
    }
    let mut groups: Vec<(Vec<Repository>, String)> = groups.into_values().collect();
    groups.sort();
    let mut linted = Vec::new();
    let mut failed = false;
    for (repositories, text) in groups {
        let names: Vec<String> = repositories.iter().map(|r| r.name.clone()).collect();
        match lint::lint(&text, now, Some(&repositories)) {
            Ok(report) => linted.push(Linted {
                source: Source::Repositories(names),
                report,
            }),
            Err(e) => {
                output::error(&format!(
                    "the policy applied to {} is not one this tool reads: {e}",
                    names.join(", ")
                ));
                failed = true;
            }
        }
    }
    (linted, failed)
}

/// An image index (manifest list): its media type says so, or it lists children.
fn is_index(image: &Image) -> bool {
    !image.children.is_empty()
        || image
            .manifest_media_type
            .as_deref()
            .is_some_and(|m| INDEX_MEDIA_TYPES.contains(&m))
}
