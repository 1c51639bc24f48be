//! Finding images in use for plan, apply, diff and explain: the listing files the policies name
//! (globs relative to each policy file), and ECS and Lambda beside the registry.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use ecr_lifecycle_compiler::diagnostic::Diagnostic;
use ecr_lifecycle_compiler::glob::{self, Syntax};
use ecr_lifecycle_runtime::in_use::{self, Usage, Wanted};
use ecr_lifecycle_runtime::plan::{LoadedPolicy, Unit};
use ecr_lifecycle_runtime::registry::{AnyRegistry, Registry, RegistryError};

use crate::{files, output};

/// Reads every listing file the policies name, each once, and records on each policy the files
/// its globs found. A glob that finds nothing is an error at its position: a missing
/// `kubectl` export must not quietly leave running images unprotected.
pub(super) fn read_files(policies: &mut [LoadedPolicy]) -> Result<Usage, String> {
    let mut read: BTreeMap<String, Usage> = BTreeMap::new();
    let mut failed = false;
    for loaded in policies.iter_mut() {
        let Some(settings) = &loaded.policy.in_use else {
            continue;
        };
        let base = Path::new(&loaded.file.name)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut found = Vec::new();
        for pattern in &settings.files {
            let paths = expand(&base, pattern);
            if paths.is_empty() {
                output::diagnostics(
                    &loaded.file,
                    &[Diagnostic::error(
                        format!("`{}` matches no file", pattern.value),
                        pattern.span,
                    )
                    .with_label(format!("looked in {}", shown(&base)))
                    .with_help("paths are relative to the policy file; write the listing (`kubectl get pods -A -o json > FILE`) before planning")],
                );
                failed = true;
            }
            for path in paths {
                let name = path.display().to_string();
                if !read.contains_key(&name) {
                    let text = files::read_text(&path)?;
                    read.insert(name.clone(), in_use::files::parse(&text, &name)?);
                }
                if !found.contains(&name) {
                    found.push(name);
                }
            }
        }
        loaded.in_use_files = found;
    }
    if failed {
        return Err("the images in use could not be read".into());
    }
    let mut usage = Usage::default();
    for (_, u) in read {
        usage.extend(u);
    }
    Ok(usage)
}

fn shown(dir: &Path) -> String {
    if dir.as_os_str().is_empty() {
        ".".into()
    } else {
        dir.display().to_string()
    }
}

/// The files a glob finds under `base`, sorted: `*` and `?` within one path component.
fn expand(base: &Path, pattern: &str) -> Vec<PathBuf> {
    let pattern = Path::new(pattern.trim());
    let start = if pattern.is_absolute() {
        PathBuf::from("/")
    } else {
        base.to_path_buf()
    };
    let mut at = vec![start];
    for part in pattern.components() {
        let part = match part {
            Component::Normal(p) => p.to_string_lossy().into_owned(),
            Component::ParentDir => "..".into(),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => continue,
        };
        let mut next = Vec::new();
        for dir in &at {
            if part.contains(['*', '?']) {
                let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                }) else {
                    continue;
                };
                let mut names: Vec<String> = entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with('.') && glob::matches(Syntax::Glob, &part, n))
                    .collect();
                names.sort();
                next.extend(names.into_iter().map(|n| dir.join(n)));
            } else {
                next.push(dir.join(&part));
            }
        }
        at = next;
    }
    at.retain(|p| p.is_file());
    at
}

/// What ECS and Lambda hold in the registry's region (as the policies ask), and the listing
/// files. A snapshot file has neither service beside it: only the files count there.
pub(super) async fn read_usage(
    registry: &AnyRegistry,
    policies: &[LoadedPolicy],
    unit: &Unit,
    files: &Usage,
    concurrency: usize,
) -> Result<Usage, RegistryError> {
    let wanted = Wanted::by(policies, unit);
    let mut usage = files.clone();
    match registry {
        AnyRegistry::Ecr(ecr) => {
            usage.extend(in_use::read_services(ecr, wanted, concurrency).await?);
        }
        AnyRegistry::File(_) if wanted != Wanted::default() => {
            output::note(
                "the registry is a snapshot file, so ECS and Lambda are not read: only `in_use.files` count",
            );
        }
        AnyRegistry::File(_) => {}
        // ECR Public's client is in us-east-1, and ECS and Lambda are regional: the listing
        // files carry what runs (`public.ecr.aws/ALIAS/NAME`).
        AnyRegistry::EcrPublic(_) if wanted != Wanted::default() => {
            output::note(
                "ECR Public: ECS and Lambda are not read; only `in_use.files` count (references to public.ecr.aws/ALIAS/NAME)",
            );
        }
        AnyRegistry::EcrPublic(_) => {}
    }
    Ok(usage)
}

/// One line on what was found, when any policy looks for images in use.
pub(super) fn report(policies: &[LoadedPolicy], registry: &AnyRegistry, usage: &Usage) {
    if policies.iter().all(|p| p.policy.in_use.is_none()) {
        return;
    }
    output::note(&usage.tally(&registry.host()).to_string());
    for u in usage.unreadable.iter().take(5) {
        output::warning(&format!("in use: {u}"));
    }
}
