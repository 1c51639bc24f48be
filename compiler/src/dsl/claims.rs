//! Each repository is governed by at most one policy file. Two files whose repository
//! selections can both select one name conflict, and the error names such a repository.
//!
//! A default file (`default: true`) governs the repositories it selects that no other file
//! selects: it never conflicts with an ordinary file, and [`governing`] answers which file
//! governs a repository for every command. Two default files conflict as two ordinary ones do.

use crate::diagnostic::Diagnostic;
use crate::dsl::Policy;
use crate::dsl::policy::Account;
use crate::glob::{Glob, common_name};
use crate::source::{SourceFile, Sp, Span};

/// For every pair of policies that could govern the same repository, an error about the
/// later one, returned with that policy's index in `policies`. Each policy comes with its
/// file, so that the error can give the other file's position too.
pub fn conflicting_claims(policies: &[(&SourceFile, &Policy)]) -> Vec<(usize, Diagnostic)> {
    let mut out = Vec::new();
    for (i, a) in policies.iter().enumerate() {
        for (j, b) in policies.iter().enumerate().skip(i + 1) {
            if let Some(d) = conflict(*a, *b) {
                out.push((j, d));
            }
        }
    }
    out
}

/// Where a repository is, as policy files name registries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    /// The registry of `account` in `region` (`None`: the run-time default credentials, or
    /// region).
    Unit {
        account: Option<&'a Account>,
        region: Option<&'a str>,
    },
    /// Not known (an images file): every file may govern it, whatever its `accounts` and
    /// `regions`.
    Anywhere,
}

impl Place<'_> {
    fn covered_by(self, p: &Policy) -> bool {
        match self {
            Place::Unit { account, region } => p.covers(account, region),
            Place::Anywhere => true,
        }
    }

    fn may_be_covered_by(self, p: &Policy) -> bool {
        match self {
            Place::Unit { account, region } => p.may_cover(account, region),
            Place::Anywhere => true,
        }
    }
}

/// The index of the policy that governs `repository` at `place`, if any: the ordinary file
/// that governs that registry and selects the name; else the default file that does, unless
/// an ordinary file selects the name and may govern that registry (a file without `regions`
/// may meet any region, and likewise for `accounts`: the run-time defaults are not known
/// here, and a repository is never governed by two files).
///
/// `plan`, `apply`, `diff`, `explain` and `evaluate` all ask this.
pub fn governing<'a>(
    policies: impl Iterator<Item = &'a Policy> + Clone,
    repository: &str,
    place: Place<'_>,
) -> Option<usize> {
    let selects = |p: &Policy| p.repositories.selects(repository);
    let mut ordinary = policies
        .clone()
        .enumerate()
        .filter(|(_, p)| !p.is_default());
    if let Some((i, _)) = ordinary
        .clone()
        .find(|(_, p)| place.covered_by(p) && selects(p))
    {
        return Some(i);
    }
    if ordinary.any(|(_, p)| place.may_be_covered_by(p) && selects(p)) {
        return None;
    }
    policies
        .enumerate()
        .find(|(_, p)| p.is_default() && place.covered_by(p) && selects(p))
        .map(|(i, _)| i)
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

/// Where a policy selects a name through `glob`: the glob, or for a file without
/// `repositories` its `default: true` (a default file), or nowhere.
fn selected_at(policy: &Policy, glob: &Sp<Glob>) -> Option<Span> {
    match (&policy.repositories.include, policy.default) {
        (Some(_), _) => Some(glob.span),
        (None, at) => at,
    }
}

fn conflict(
    (file_a, a): (&SourceFile, &Policy),
    (_, b): (&SourceFile, &Policy),
) -> Option<Diagnostic> {
    // A default file yields to every other file: only two defaults, or two ordinary files,
    // can claim one repository.
    if a.is_default() != b.is_default() {
        return None;
    }
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
    let defaults = if b.is_default() { "default files " } else { "" };
    for ga in &a.repositories.include_globs() {
        for gb in &b.repositories.include_globs() {
            let Some(name) = common_name(ga, gb, &excluded) else {
                continue;
            };
            let mut d = Diagnostic::error(
                format!(
                    "repository `{name}` would be governed by both {defaults}`{}` and `{}`",
                    a.source, b.source
                ),
                gb.span,
            );
            d = d.with_note(match (&a.repositories.include, selected_at(a, ga)) {
                (Some(_), Some(at)) => format!(
                    "`{}` selects it through `{ga}` at {}",
                    a.source,
                    position(file_a, at)
                ),
                (None, Some(at)) => format!(
                    "`{}` has no `repositories`, so the default file at {} selects every repository",
                    a.source,
                    position(file_a, at)
                ),
                _ => format!("`{}` selects it through `{ga}`", a.source),
            });
            let help = if b.is_default() {
                "one default file per repository: narrow `repositories` of one of them, or add `{name}` (or a glob) to its `exclude`"
            } else {
                "narrow `repositories`, or add `{name}` (or a glob) to `exclude` in one of the files"
            };
            d = d.with_help(help.replace("{name}", &name));
            match (&b.repositories.include, selected_at(b, gb)) {
                (Some(_), _) => d = d.with_label(format!("`{gb}` selects `{name}`")),
                (None, Some(at)) => {
                    d.span = Some(at);
                    d = d.with_label(format!(
                        "with no `repositories`, this default file selects every repository, `{name}` too"
                    ));
                }
                (None, None) => {
                    d.span = None;
                    d.notes.push(format!(
                        "`{}` has no `repositories`, so it governs every repository",
                        b.source
                    ));
                }
            }
            return Some(d);
        }
    }
    None
}

/// `file:line:col` of a place in a policy file.
fn position(file: &SourceFile, at: Span) -> String {
    let (line, col) = file.line_col(at.start as usize);
    format!("{}:{line}:{col}", file.name)
}
