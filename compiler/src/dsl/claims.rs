//! Each repository is governed by at most one policy file. Two files whose repository
//! selections can both select one name conflict, and the error names such a repository.

use crate::diagnostic::Diagnostic;
use crate::dsl::Policy;
use crate::glob::{Glob, common_name};

/// For every pair of policies that could govern the same repository, an error about the
/// later one, returned with that policy's index in `policies`.
pub fn conflicting_claims(policies: &[&Policy]) -> Vec<(usize, Diagnostic)> {
    let mut out = Vec::new();
    for (i, a) in policies.iter().enumerate() {
        for (j, b) in policies.iter().enumerate().skip(i + 1) {
            if let Some(d) = conflict(a, b) {
                out.push((j, d));
            }
        }
    }
    out
}

/// Whether two policies can govern registries of one region.
fn regions_overlap(a: &Policy, b: &Policy) -> bool {
    match (&a.regions, &b.regions) {
        (Some(x), Some(y)) => x.iter().any(|r| y.contains(r)),
        // The run-time default region may be any region.
        _ => true,
    }
}

/// Whether two policies can govern registries of one account.
fn accounts_overlap(a: &Policy, b: &Policy) -> bool {
    match (&a.accounts, &b.accounts) {
        (Some(x), Some(y)) => x.iter().any(|r| y.contains(r)),
        // The run-time default credentials may reach any account.
        _ => true,
    }
}

fn conflict(a: &Policy, b: &Policy) -> Option<Diagnostic> {
    if !regions_overlap(a, b) || !accounts_overlap(a, b) {
        return None;
    }
    let excluded: Vec<&Glob> = a
        .repositories
        .exclude
        .iter()
        .chain(&b.repositories.exclude)
        .map(|g| &g.value)
        .collect();
    for ga in &a.repositories.include_globs() {
        for gb in &b.repositories.include_globs() {
            let Some(name) = common_name(ga, gb, &excluded) else {
                continue;
            };
            let mut d = Diagnostic::error(
                format!(
                    "repository `{name}` would be governed by both `{}` and `{}`",
                    a.source, b.source
                ),
                gb.span,
            )
            .with_note(format!("`{}` selects it through `{ga}`", a.source))
            .with_help(format!(
                "narrow `repositories`, or add `{name}` (or a glob) to `exclude` in one of the files"
            ));
            if b.repositories.include.is_some() {
                d = d.with_label(format!("`{gb}` selects `{name}`"));
            } else {
                d.span = None;
                d.notes.push(format!(
                    "`{}` has no `repositories`, so it governs every repository",
                    b.source
                ));
            }
            return Some(d);
        }
    }
    None
}
