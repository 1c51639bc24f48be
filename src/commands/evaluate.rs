use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use ecr_lifecycle_compiler::bulk;
use ecr_lifecycle_compiler::dsl::{Policy, claims};
use ecr_lifecycle_compiler::image::Digest;
use ecr_lifecycle_compiler::reference::{self, Fate};
use ecr_lifecycle_compiler::source::SourceFile;

use crate::cli::EvaluateArgs;
use crate::commands::load;
use crate::exit::ExitStatus;
use crate::output;

pub(super) fn run(args: &EvaluateArgs) -> ExitStatus {
    let Some(policies) = load::policies(&args.files) else {
        return ExitStatus::Failure;
    };
    if let Some(status) = fast(args, &policies) {
        return status;
    }
    let (repos, now) =
        match load::images(&args.images).and_then(|r| Ok((r, load::now(&args.images)?))) {
            Ok(v) => v,
            Err(e) => {
                output::error(&e);
                return ExitStatus::Failure;
            }
        };
    let mut lines: BTreeSet<String> = BTreeSet::new();
    for repo in repos {
        let name = repo.repository.clone().or_else(|| args.repository.clone());
        if let (Some(wanted), Some(actual)) = (&args.repository, &repo.repository)
            && wanted != actual
        {
            continue;
        }
        // With a name, the one file that governs it (an images file does not say its
        // account or region); without, the only file given.
        let policy = match &name {
            Some(n) => {
                claims::governing(policies.iter().map(|(_, p)| p), n, claims::Place::Anywhere)
                    .map(|i| &policies[i])
            }
            None if policies.len() == 1 => policies.first(),
            None => {
                output::error(
                    "the images carry no `repositoryName` and several policy files were given: name the repository with --repository",
                );
                return ExitStatus::Failure;
            }
        };
        let Some((_, policy)) = policy else {
            output::warning(&ungoverned(name.as_deref()));
            continue;
        };
        let e = reference::evaluate(policy, &repo.images, name.as_deref(), now);
        lines.extend(e.expired(&repo.images).iter().map(|d| match args.actions {
            true => format!("expire {d}\n"),
            false => format!("{d}\n"),
        }));
        if args.actions {
            lines.extend(
                e.archived(&repo.images)
                    .iter()
                    .map(|d| format!("archive {d}\n")),
            );
            for (image, d) in repo.images.iter().zip(&e.decisions) {
                let digest = image.digest;
                lines.extend(
                    d.tags_removed()
                        .iter()
                        .map(|tag| format!("untag {digest} {tag}\n")),
                );
            }
        }
    }
    output::stdout(&lines.into_iter().collect::<String>());
    ExitStatus::Success
}

/// `--repository` names another repository (as the general path skips it).
fn skipped(args: &EvaluateArgs, actual: Option<&str>) -> bool {
    matches!((&args.repository, actual), (Some(wanted), Some(actual)) if wanted != actual)
}

/// The warning for a repository no file governs.
fn ungoverned(name: Option<&str>) -> String {
    format!(
        "no policy file governs repository `{}`: its images are kept",
        name.unwrap_or("")
    )
}

/// The same output for a million images in a fraction of the time and memory: the file read
/// as a stream into compact records (`bulk`). `None` where that path declines (standard
/// input, images it does not read, a governing policy it does not decide, any error): the
/// general path then runs.
fn fast(args: &EvaluateArgs, policies: &[(SourceFile, Policy)]) -> Option<ExitStatus> {
    if args.images.images == Path::new("-") || !policies.iter().any(|(_, p)| bulk::supports(p)) {
        return None;
    }
    let now = load::now(&args.images).ok()?;
    let file = std::fs::File::open(&args.images.images).ok()?;
    let repos = bulk::read(file).ok()?;
    let mut warnings = Vec::new();
    let mut expired: Vec<Digest> = Vec::new();
    let mut archived: Vec<Digest> = Vec::new();
    for repo in &repos {
        if skipped(args, repo.name.as_deref()) {
            continue;
        }
        let name = repo.name.as_deref().or(args.repository.as_deref());
        // As the general path chooses: with a name, the one file that governs it; without,
        // the only file given (with several, the general path says what is missing).
        let policy = match name {
            Some(n) => {
                claims::governing(policies.iter().map(|(_, p)| p), n, claims::Place::Anywhere)
                    .map(|i| &policies[i].1)
            }
            None if policies.len() == 1 => policies.first().map(|(_, p)| p),
            None => return None,
        };
        let Some(policy) = policy else {
            warnings.push(ungoverned(name));
            continue;
        };
        let fates = bulk::fates(policy, repo, now).ok()?;
        expired.extend(fates.digests(repo, Fate::Expire));
        if args.actions {
            archived.extend(fates.digests(repo, Fate::Archive));
        }
    }
    for w in &warnings {
        output::warning(w);
    }
    // Sorted lines, once each: `archive …` sorts before `expire …`, and digests sort as their
    // lowercase hex does.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut written = Ok(());
    for (prefix, mut digests) in [("archive ", archived), ("expire ", expired)] {
        let prefix = if args.actions { prefix } else { "" };
        digests.sort_unstable();
        digests.dedup();
        for d in digests {
            written = written.and_then(|()| write_line(&mut out, prefix, &d));
        }
    }
    // A closed pipe (`| head`) is no error, as on the general path.
    let _ = written.and_then(|()| out.flush());
    Some(ExitStatus::Success)
}

fn write_line(out: &mut impl Write, prefix: &str, d: &Digest) -> std::io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut line = [0u8; 7 + 64 + 1];
    line[..7].copy_from_slice(b"sha256:");
    for (i, b) in d.as_bytes().iter().enumerate() {
        line[7 + 2 * i] = HEX[usize::from(b >> 4)];
        line[8 + 2 * i] = HEX[usize::from(b & 15)];
    }
    line[71] = b'\n';
    out.write_all(prefix.as_bytes())?;
    out.write_all(&line)
}
