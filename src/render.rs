//! The presentation layer: the only code that words decisions in English. Renderings of a
//! plan, of drift, of an apply report and of an explanation; reasons and notes in `words`.
//! Lines are decided here, with a kind each; styling is applied in one place by the caller
//! (`output`), so the words never depend on the terminal.

use ecr_lifecycle_compiler::image::Digest;
use similar::{ChangeTag, TextDiff};

pub(crate) mod account;
pub(crate) mod explain;
mod markdown;
pub(crate) mod run_report;
#[cfg(test)]
mod test_plans;
pub(crate) mod words;
pub(crate) use markdown::plan_markdown;

use ecr_lifecycle_runtime::apply::{ApplyReport, PolicyDone};
use ecr_lifecycle_runtime::drift::{DriftStatus, RepositoryDrift};
use ecr_lifecycle_runtime::plan::{
    ImageAction, Plan, PolicyChange, RepositoryPlan, TagRemoval, monthly_cost,
};

/// What a line is, for styling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Heading,
    Add,
    Change,
    Remove,
    Note,
    Warning,
    Plain,
}

pub(crate) type Lines = Vec<(Kind, String)>;

/// Lines without styling, each ending in a newline.
pub(crate) fn plain(lines: &Lines) -> String {
    lines.iter().map(|(_, l)| format!("{l}\n")).collect()
}

pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// `sha256:` and the first 12 hex digits, as plans print a digest.
fn short(digest: &Digest) -> String {
    let text = digest.to_string();
    match text.strip_prefix("sha256:") {
        Some(hex) if hex.len() > 12 => format!("sha256:{}", &hex[..12]),
        _ => text,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The reason for an action, with the archive charge when it deletes an archived image
/// before ECR's 90-day minimum is up.
fn reason(a: &ImageAction, deletes: bool) -> String {
    if a.last_tags_removed {
        return format!(
            "{}; {}",
            words::last_tags(&a.tags),
            words::reason(&a.reason)
        );
    }
    match a.early_delete_days() {
        early if deletes && early > 0 => format!(
            "{}; deleting it now bills the remaining {early} days of ECR's 90-day archive minimum",
            words::reason(&a.reason)
        ),
        _ => words::reason(&a.reason),
    }
}

/// Each image with what to say about it.
pub(crate) fn described(
    list: &[ImageAction],
    describe: impl Fn(&ImageAction) -> String,
) -> Vec<(&ImageAction, String)> {
    list.iter().map(|a| (a, describe(a))).collect()
}

/// One list of a repository's plan as the renderers show it: each image with its reason in
/// words (without the rule, which the renderers show with it where `by_rule`).
pub(crate) struct ImageList<'a> {
    pub title: &'static str,
    pub sign: char,
    pub kind: Kind,
    pub by_rule: bool,
    pub items: Vec<(&'a ImageAction, String)>,
}

/// The lists of a repository's plan the runner acts on or that a reviewer must see.
pub(crate) fn image_lists(r: &RepositoryPlan) -> Vec<ImageList<'_>> {
    let list = |title, sign, kind, by_rule, items| ImageList {
        title,
        sign,
        kind,
        by_rule,
        items,
    };
    vec![
        list(
            "The runner deletes",
            '-',
            Kind::Remove,
            true,
            described(&r.deletions, |a| reason(a, true)),
        ),
        list(
            "The runner archives",
            '>',
            Kind::Change,
            true,
            described(&r.archivals, |a| reason(a, false)),
        ),
        list(
            "Held (in the archive for less than 90 days)",
            '!',
            Kind::Warning,
            true,
            described(&r.held, words::held),
        ),
        list(
            "Kept, in use",
            '=',
            Kind::Plain,
            false,
            r.kept_in_use
                .iter()
                .map(|k| (&k.image, format!("kept: {}", words::kept_in_use(k))))
                .collect(),
        ),
        list(
            "The applied native policy expires, and the policy files keep",
            '-',
            Kind::Warning,
            false,
            described(&r.applied_policy_expirations, |a| {
                format!(
                    "the applied native policy expires it; the policy files keep it: {}",
                    reason(a, false)
                )
            }),
        ),
    ]
}

fn image_line(sign: char, a: &ImageAction) -> String {
    let tags = if a.tags.is_empty() {
        "<untagged>".to_string()
    } else {
        a.tags.join(", ")
    };
    let size = a
        .size_bytes
        .map(bytes)
        .unwrap_or_else(|| "size unknown".into());
    format!(
        "  {sign} {}  {tags}  pushed {}  {size}",
        short(&a.digest),
        &a.pushed_at.strftime("%Y-%m-%d").to_string()
    )
}

/// A unified diff of two normalised policies.
pub(crate) fn policy_diff(from: &str, to: &str, from_name: &str, to_name: &str) -> Lines {
    let diff = TextDiff::from_lines(from, to);
    let mut out: Lines = vec![
        (Kind::Remove, format!("--- {from_name}")),
        (Kind::Add, format!("+++ {to_name}")),
    ];
    for group in diff.grouped_ops(3) {
        let (first, last) = (group[0].old_range(), group[group.len() - 1].old_range());
        let (nf, nl) = (group[0].new_range(), group[group.len() - 1].new_range());
        // Unified-diff ranges: an empty range names the line before it.
        let range = |start: usize, len: usize| {
            if len == 0 {
                format!("{start},0")
            } else {
                format!("{},{len}", start + 1)
            }
        };
        out.push((
            Kind::Note,
            format!(
                "@@ -{} +{} @@",
                range(first.start, last.end - first.start),
                range(nf.start, nl.end - nf.start)
            ),
        ));
        for op in &group {
            for change in diff.iter_changes(op) {
                let text = change.value().trim_end_matches('\n');
                let line = match change.tag() {
                    ChangeTag::Delete => (Kind::Remove, format!("-{text}")),
                    ChangeTag::Insert => (Kind::Add, format!("+{text}")),
                    ChangeTag::Equal => (Kind::Plain, format!(" {text}")),
                };
                out.push(line);
            }
        }
    }
    out
}

fn indent(lines: Lines, by: &str) -> Lines {
    lines
        .into_iter()
        .map(|(k, l)| (k, format!("{by}{l}")))
        .collect()
}

/// The plan in Terraform's shape: a legend of the actions present, a block per repository
/// with one fixed headline per image and `# (rule …: …)` notes, then one summary line.
pub(crate) fn plan_text(plan: &Plan) -> Lines {
    let mut out: Lines = Vec::new();
    out.push((
        Kind::Plain,
        format!(
            "ecr-lifecycle plan: {} at {}, {}",
            plan.registries_text(),
            plan.created_at,
            governed(plan)
        ),
    ));
    if !plan.has_changes() {
        out.push((Kind::Plain, String::new()));
        out.push((Kind::Heading, "No changes.".into()));
        let why = if plan.repositories.is_empty() {
            "No repository in the registry is governed by these policy files.".to_string()
        } else if plan
            .repositories
            .iter()
            .all(|r| !r.registry.has_lifecycle_policies())
        {
            // ECR Public: no native policies to have.
            "Nothing is due for the runner to delete in any governed repository.".to_string()
        } else {
            "Every governed repository has its native policy, and nothing is due for the runner to delete or archive.".to_string()
        };
        out.push((Kind::Plain, why));
        push_idle_files(plan, &mut out);
        push_ecr_summary(plan, &mut out);
        return out;
    }
    let s = &plan.summary;
    let mut legend = Vec::new();
    if s.policies_to_put > 0 {
        legend.push("+ put a lifecycle policy");
    }
    if s.policies_to_replace > 0 {
        legend.push("~ replace a lifecycle policy");
    }
    match (s.policies_to_delete > 0, s.images_to_delete > 0) {
        (true, true) => legend.push("- delete a lifecycle policy or an image"),
        (true, false) => legend.push("- delete a lifecycle policy"),
        (false, true) => legend.push("- delete an image"),
        (false, false) => {}
    }
    if s.images_to_archive > 0 {
        legend.push("> archive");
    }
    if s.tags_to_remove > 0 {
        legend.push("x remove tags");
    }
    if s.images_kept_in_use > 0 {
        legend.push("= kept: in use");
    }
    out.push((Kind::Plain, String::new()));
    out.push((Kind::Plain, format!("Actions: {}", legend.join("   "))));
    for r in &plan.repositories {
        if !r.has_news() {
            continue;
        }
        out.push((Kind::Plain, String::new()));
        let unit = r.unit();
        let place = if unit.is_default() {
            String::new()
        } else {
            format!(" in {unit}")
        };
        out.push((
            Kind::Heading,
            format!(
                "# repository {}{place} (policy {}{})",
                r.name,
                r.policy_file,
                if r.default_policy {
                    ", the default: no other file selects it"
                } else {
                    ""
                }
            ),
        ));
        match &r.lifecycle_policy {
            PolicyChange::Unchanged => {}
            PolicyChange::Put { text } => {
                out.push((Kind::Add, "  + native lifecycle policy will be put".into()));
                out.extend(indent(
                    policy_diff("", text, "applied (none)", "compiled"),
                    "      ",
                ));
            }
            PolicyChange::Replace { current, text } => {
                out.push((
                    Kind::Change,
                    "  ~ native lifecycle policy will be replaced".into(),
                ));
                out.extend(indent(
                    policy_diff(current, text, "applied", "compiled"),
                    "      ",
                ));
            }
            PolicyChange::Delete { .. } => {
                out.push((
                    Kind::Remove,
                    "  - native lifecycle policy will be deleted".into(),
                ));
                out.push((
                    Kind::Note,
                    "      # (the policy file leaves nothing to ECR here)".into(),
                ));
            }
        }
        push_tag_removals(&mut out, &r.tag_removals);
        for l in image_lists(r) {
            let items: Vec<(&ImageAction, String)> = l
                .items
                .into_iter()
                .map(|(a, d)| match (&a.rule, l.by_rule) {
                    (Some(rule), true) => (a, format!("rule {rule}: {d}")),
                    _ => (a, d),
                })
                .collect();
            push_grouped(&mut out, l.kind, l.sign, &items);
        }
        if !r.ecr_archivals.is_empty() {
            let b: u64 = r.ecr_archivals.iter().filter_map(|a| a.size_bytes).sum();
            out.push((
                Kind::Note,
                format!(
                    "  # ECR's own policy will archive {} ({}) within a day of its next run",
                    plural(r.ecr_archivals.len(), "more image", "more images"),
                    bytes(b)
                ),
            ));
        }
        if !r.ecr_expirations.is_empty() {
            let b: u64 = r.ecr_expirations.iter().filter_map(|a| a.size_bytes).sum();
            out.push((
                Kind::Note,
                format!(
                    "  # ECR's own policy will expire {} ({}) within a day of its next run",
                    plural(r.ecr_expirations.len(), "more image", "more images"),
                    bytes(b)
                ),
            ));
        }
        for n in &r.notes {
            out.push((Kind::Warning, format!("  ! {}", words::note(n))));
        }
    }
    out.push((Kind::Plain, String::new()));
    push_idle_files(plan, &mut out);
    out.push((Kind::Heading, summary_line(plan)));
    push_unit_summaries(plan, &mut out);
    push_ecr_summary(plan, &mut out);
    out
}

/// Images under one comment per rule: the reason once when they share it (with their count
/// and size), or after each image when it differs.
fn push_grouped(out: &mut Lines, kind: Kind, sign: char, list: &[(&ImageAction, String)]) {
    let mut rules: Vec<Option<&str>> = Vec::new();
    for (a, _) in list {
        if !rules.contains(&a.rule.as_deref()) {
            rules.push(a.rule.as_deref());
        }
    }
    for rule in rules {
        let group: Vec<&(&ImageAction, String)> = list
            .iter()
            .filter(|(a, _)| a.rule.as_deref() == rule)
            .collect();
        let first = &group[0].1;
        if group.len() > 1 && group.iter().all(|(_, d)| d == first) {
            let size: u64 = group.iter().filter_map(|(a, _)| a.size_bytes).sum();
            out.push((
                Kind::Note,
                format!(
                    "  # ({first}) — {}, {}:",
                    plural(group.len(), "image", "images"),
                    bytes(size)
                ),
            ));
            for (a, _) in group {
                out.push((kind, image_line(sign, a)));
            }
        } else {
            for (a, d) in group {
                out.push((kind, image_line(sign, a)));
                out.push((Kind::Note, format!("      # ({d})")));
            }
        }
    }
}

/// Tags to remove, apart from the deletions: one line per image (what goes, what stays), under
/// one comment per rule and reason when the images share it.
fn push_tag_removals(out: &mut Lines, list: &[TagRemoval]) {
    let mut groups: Vec<(String, Vec<&TagRemoval>)> = Vec::new();
    for t in list {
        let why = format!("rule {}: {}", t.rule, words::reason(&t.reason));
        match groups.iter_mut().find(|(w, _)| *w == why) {
            Some((_, v)) => v.push(t),
            None => groups.push((why, vec![t])),
        }
    }
    for (why, group) in groups {
        out.push((
            Kind::Note,
            format!(
                "  # ({why}) — {} from {}:",
                plural(group.iter().map(|t| t.remove.len()).sum(), "tag", "tags"),
                plural(group.len(), "image", "images")
            ),
        ));
        for t in group {
            out.push((Kind::Change, tag_removal_line(t)));
        }
    }
}

pub(crate) fn tag_removal_line(t: &TagRemoval) -> String {
    format!(
        "  x {}  remove {}  keeps {}  pushed {}",
        short(&t.digest),
        t.remove.join(", "),
        t.keep.join(", "),
        &t.pushed_at.strftime("%Y-%m-%d").to_string()
    )
}

/// Policy files that govern no repository of the plan: a typo in `repositories`, or excludes
/// that remove everything, would otherwise go unnoticed.
pub(crate) fn idle_files(plan: &Plan) -> Vec<String> {
    let scope = if plan.shard.is_some() {
        "in this shard of"
    } else {
        "in"
    };
    plan.policy_files
        .iter()
        .filter(|f| !plan.repositories.iter().any(|r| r.policy_file == f.path))
        .map(|f| {
            format!(
                "{} governs no repository {scope} {}: check its `repositories` and `exclude` globs (and `regions`, `accounts`)",
                f.path,
                plan.registries_text()
            )
        })
        .collect()
}

fn push_idle_files(plan: &Plan, out: &mut Lines) {
    for line in idle_files(plan) {
        out.push((Kind::Warning, format!("! {line}")));
    }
}

/// With several units of work (accounts, regions), one summary line each.
fn push_unit_summaries(plan: &Plan, out: &mut Lines) {
    let mut units: Vec<ecr_lifecycle_runtime::plan::Unit> =
        plan.repositories.iter().map(|r| r.unit()).collect();
    units.dedup();
    if units.len() < 2 {
        return;
    }
    for unit in units {
        let part: Vec<ecr_lifecycle_runtime::plan::RepositoryPlan> = plan
            .repositories
            .iter()
            .filter(|r| r.unit() == unit)
            .cloned()
            .collect();
        let s = ecr_lifecycle_runtime::plan::summarize(&part, &plan.prices);
        let mut line = format!(
            "  {unit}: {}, {} to put, {} to replace, {} to delete, {} to delete ({})",
            plural(part.len(), "repository", "repositories"),
            plural(s.policies_to_put, "policy", "policies"),
            s.policies_to_replace,
            s.policies_to_delete,
            plural(s.images_to_delete, "image", "images"),
            bytes(s.bytes_to_delete),
        );
        if s.images_to_archive > 0 {
            line.push_str(&format!(
                ", {} to archive",
                plural(s.images_to_archive, "image", "images")
            ));
        }
        out.push((Kind::Plain, line));
    }
}

fn push_ecr_summary(plan: &Plan, out: &mut Lines) {
    let s = &plan.summary;
    if s.ecr_expirations > 0 {
        out.push((
            Kind::Note,
            format!(
                "ECR's native policies will expire {} ({}, ${:.2}/month) on their own.",
                plural(s.ecr_expirations, "more image", "more images"),
                bytes(s.ecr_bytes),
                monthly_cost(s.ecr_bytes, &plan.prices)
            ),
        ));
    }
    if s.ecr_archivals > 0 {
        out.push((
            Kind::Note,
            format!(
                "ECR's native policies will archive {} on their own.",
                plural(s.ecr_archivals, "more image", "more images"),
            ),
        ));
    }
    if s.images_kept_in_use > 0 && !plan.has_changes() {
        out.push((
            Kind::Note,
            format!(
                "{} the rules would delete, archive or untag {} kept: in use.",
                plural(s.images_kept_in_use, "image", "images"),
                if s.images_kept_in_use == 1 {
                    "is"
                } else {
                    "are"
                }
            ),
        ));
    }
    if s.images_held > 0 {
        out.push((
            Kind::Warning,
            format!(
                "{} held: the policy deletes {}, but {} been in the archive for less than ECR's 90-day minimum (--allow-early-archive-delete deletes {} and pays the rest).",
                plural(s.images_held, "archived image is", "archived images are"),
                if s.images_held == 1 { "it" } else { "them" },
                if s.images_held == 1 { "it has" } else { "they have" },
                if s.images_held == 1 { "it" } else { "them" },
            ),
        ));
    }
}

fn governed(plan: &Plan) -> String {
    plural(
        plan.repositories.len(),
        "repository governed",
        "repositories governed",
    )
}

pub(crate) fn summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    let mut line = format!(
        "Plan: {} to put, {} to replace, {} to delete, {} to delete ({}, ${:.2}/month)",
        plural(s.policies_to_put, "policy", "policies"),
        s.policies_to_replace,
        s.policies_to_delete,
        plural(s.images_to_delete, "image", "images"),
        bytes(s.bytes_to_delete),
        s.monthly_saving_usd
    );
    if s.images_to_archive > 0 {
        let saving = if s.archive_monthly_saving_usd > 0.0 {
            format!(
                "saves ${:.2}/month at the archive price of ${:.3}/GB-month",
                s.archive_monthly_saving_usd, plan.prices.archive_per_gb_month
            )
        } else {
            // AWS bills the first 150 TB of archive a month at the standard price.
            "archiving saves nothing on storage below 150 TB a month".to_string()
        };
        line.push_str(&format!(
            ", {} to archive ({}, {saving})",
            plural(s.images_to_archive, "image", "images"),
            bytes(s.bytes_to_archive),
        ));
    }
    if s.tags_to_remove > 0 {
        line.push_str(&format!(
            ", {} to remove from {} that stay",
            plural(s.tags_to_remove, "tag", "tags"),
            plural(s.images_to_untag, "image", "images")
        ));
    }
    if s.early_delete_charge_usd > 0.0 {
        line.push_str(&format!(
            "; deleting archived images early bills ${:.2} of ECR's 90-day minimum once",
            s.early_delete_charge_usd
        ));
    }
    line.push('.');
    line
}

/// Drift as a unified diff per repository, or "No drift.".
pub(crate) fn drift_text(drift: &[RepositoryDrift]) -> Lines {
    let mut out: Lines = Vec::new();
    let drifted: Vec<&RepositoryDrift> = drift.iter().filter(|d| d.status.is_drift()).collect();
    for d in &drift
        .iter()
        .filter(|d| d.status != DriftStatus::InSync)
        .collect::<Vec<_>>()
    {
        let file = d.policy_file.as_deref().unwrap_or("no policy file");
        // Drift is ECR's only: ECR Public has no native policies.
        let unit = ecr_lifecycle_runtime::plan::Unit {
            account: d.account.clone(),
            region: d.region.clone(),
            ..Default::default()
        };
        let repo = if unit.is_default() {
            d.repository.clone()
        } else {
            format!("{} in {unit}", d.repository)
        };
        let head = match d.status {
            DriftStatus::InSync => continue,
            DriftStatus::Missing => {
                format!("# {} ({file}): no native policy is applied", repo)
            }
            DriftStatus::Differs => {
                format!("# {} ({file}): the applied native policy differs", repo)
            }
            DriftStatus::Unwanted => format!(
                "# {} ({file}): a native policy is applied, and none is wanted",
                repo
            ),
            DriftStatus::Ungoverned => format!(
                "# {}: a native policy is applied, and no policy file governs the repository",
                repo
            ),
        };
        out.push((Kind::Heading, head));
        if d.status != DriftStatus::Ungoverned {
            let from = d.applied.as_deref().unwrap_or("");
            let to = d.desired.as_deref().unwrap_or("");
            let from_name = if d.applied.is_some() {
                "applied"
            } else {
                "applied (none)"
            };
            let to_name = if d.desired.is_some() {
                "compiled"
            } else {
                "compiled (none)"
            };
            out.extend(policy_diff(from, to, from_name, to_name));
        }
        out.push((Kind::Plain, String::new()));
    }
    if drifted.is_empty() {
        out.push((Kind::Heading, "No drift.".into()));
    } else {
        out.push((
            Kind::Heading,
            format!(
                "Drift in {} of {}.",
                plural(drifted.len(), "repository", "repositories"),
                plural(
                    drift.iter().filter(|d| d.policy_file.is_some()).count(),
                    "governed repository",
                    "governed repositories"
                )
            ),
        ));
    }
    out
}

/// What an apply did with a repository's planned tag removals.
fn push_untag_report(out: &mut Lines, r: &ecr_lifecycle_runtime::apply::RepositoryReport) {
    let images = |ids: &[ecr_lifecycle_runtime::registry::TagId]| {
        ids.iter()
            .map(|i| i.digest)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let some = |ids: &[ecr_lifecycle_runtime::registry::TagId]| {
        ids.iter()
            .take(3)
            .map(|i| format!("{}@{}", i.tag, short(&i.digest)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !r.untagged.is_empty() {
        out.push((
            Kind::Change,
            format!(
                "{}: removed {} from {}",
                r.name,
                plural(r.untagged.len(), "tag", "tags"),
                plural(images(&r.untagged), "image", "images")
            ),
        ));
    }
    if !r.tags_already_gone.is_empty() {
        out.push((
            Kind::Note,
            format!(
                "{}: {} already removed",
                r.name,
                plural(r.tags_already_gone.len(), "tag was", "tags were")
            ),
        ));
    }
    if !r.tags_moved.is_empty() {
        out.push((
            Kind::Note,
            format!(
                "{}: skipped {} another image now ({})",
                r.name,
                plural(r.tags_moved.len(), "tag that names", "tags that name"),
                some(&r.tags_moved)
            ),
        ));
    }
    if !r.tags_no_longer_removed.is_empty() {
        out.push((
            Kind::Note,
            format!(
                "{}: kept {} the current state no longer removes ({})",
                r.name,
                plural(r.tags_no_longer_removed.len(), "tag", "tags"),
                some(&r.tags_no_longer_removed)
            ),
        ));
    }
    for f in &r.untag_failures {
        out.push((
            Kind::Warning,
            format!(
                "{}: tag {} not removed from {}: {} {}",
                r.name, f.id.tag, f.id.digest, f.code, f.reason
            ),
        ));
    }
}

/// What an apply did, one line per repository with something to say, then a total.
pub(crate) fn apply_text(report: &ApplyReport) -> Lines {
    let mut out: Lines = Vec::new();
    for r in &report.repositories {
        if let Some(why) = r.policy_skipped {
            out.push((
                Kind::Warning,
                format!(
                    "{}: native lifecycle policy not changed: {}",
                    r.name,
                    words::policy_skipped(why)
                ),
            ));
        }
        if let Some(p) = r.policy {
            let done = match p {
                PolicyDone::Put => "put",
                PolicyDone::Replaced => "replaced",
                PolicyDone::Deleted => "deleted",
            };
            out.push((
                Kind::Change,
                format!("{}: native lifecycle policy {done}", r.name),
            ));
        }
        if r.ecr_will_expire > 0 {
            out.push((
                Kind::Note,
                format!(
                    "{}: ECR's new native policy will expire {} ({}) within a day",
                    r.name,
                    plural(r.ecr_will_expire, "more image", "more images"),
                    bytes(r.ecr_bytes)
                ),
            ));
        }
        if !r.deleted.is_empty() {
            out.push((
                Kind::Remove,
                format!(
                    "{}: deleted {} ({})",
                    r.name,
                    plural(r.deleted.len(), "image", "images"),
                    bytes(r.bytes_deleted)
                ),
            ));
        }
        if !r.already_gone.is_empty() {
            out.push((
                Kind::Note,
                format!(
                    "{}: {} already gone",
                    r.name,
                    plural(r.already_gone.len(), "image was", "images were")
                ),
            ));
        }
        if !r.no_longer_expire.is_empty() {
            out.push((
                Kind::Note,
                format!(
                    "{}: skipped {} the current state keeps ({})",
                    r.name,
                    plural(r.no_longer_expire.len(), "image", "images"),
                    r.no_longer_expire
                        .iter()
                        .take(3)
                        .map(short)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if !r.referenced_by_index.is_empty() {
            out.push((
                Kind::Note,
                format!(
                    "{}: skipped {} an image index still lists (ImageReferencedByManifestList)",
                    r.name,
                    plural(r.referenced_by_index.len(), "image", "images")
                ),
            ));
        }
        for f in &r.failures {
            out.push((
                Kind::Warning,
                format!(
                    "{}: not deleted {}: {} {}",
                    r.name, f.digest, f.code, f.reason
                ),
            ));
        }
        push_untag_report(&mut out, r);
        if !r.archived.is_empty() {
            out.push((
                Kind::Change,
                format!(
                    "{}: archived {} ({})",
                    r.name,
                    plural(r.archived.len(), "image", "images"),
                    bytes(r.bytes_archived)
                ),
            ));
        }
        if !r.already_archived.is_empty() {
            out.push((
                Kind::Note,
                format!(
                    "{}: {} already in the archive",
                    r.name,
                    plural(r.already_archived.len(), "image was", "images were")
                ),
            ));
        }
        if !r.no_longer_archive.is_empty() {
            out.push((
                Kind::Note,
                format!(
                    "{}: left {} active that the current state keeps",
                    r.name,
                    plural(r.no_longer_archive.len(), "image", "images"),
                ),
            ));
        }
        for f in &r.archive_failures {
            out.push((
                Kind::Warning,
                format!(
                    "{}: not archived {}: {} {}",
                    r.name, f.digest, f.code, f.reason
                ),
            ));
        }
        if let Some(e) = &r.error {
            out.push((Kind::Warning, format!("{}: stopped: {e}", r.name)));
            out.push((Kind::Note, format!("  hint: {}", e.hint())));
        }
    }
    let failed = report.failed();
    let archived = if report.archived() > 0 {
        format!(
            ", {} archived ({})",
            plural(report.archived(), "image", "images"),
            bytes(report.bytes_archived())
        )
    } else {
        String::new()
    };
    let archived = if report.untagged() > 0 {
        format!(
            "{archived}, {} removed",
            plural(report.untagged(), "tag", "tags")
        )
    } else {
        archived
    };
    let ecr: usize = report.repositories.iter().map(|r| r.ecr_will_expire).sum();
    let ecr = if ecr > 0 {
        let b: u64 = report.repositories.iter().map(|r| r.ecr_bytes).sum();
        format!(
            "; the native policies put will make ECR expire {} ({}) within a day",
            plural(ecr, "more image", "more images"),
            bytes(b)
        )
    } else {
        String::new()
    };
    out.push((
        Kind::Heading,
        format!(
            "Apply {}: {} deleted ({}){archived}{ecr}.",
            if failed { "incomplete" } else { "complete" },
            plural(report.deleted(), "image", "images"),
            bytes(report.bytes_deleted())
        ),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::test_plans::{POLICY, action, plan, repository};
    use ecr_lifecycle_compiler::reference::Reason;

    #[test]
    fn images_that_share_a_rule_and_a_reason_are_listed_under_it_once() {
        let mut r = repository("web", 3, 2, POLICY);
        r.deletions
            .push(action(7, "counted", Reason::Newest { rank: 4, limit: 3 }));
        let text = plain(&plan_text(&plan(vec![r])));
        assert_eq!(
            text.matches("the rule keeps none of its images").count(),
            1,
            "{text}"
        );
        assert!(
            text.contains("  # (rule window: the rule keeps none of its images) — 3 images, 300.0 MiB:\n  - sha256:000000000000  <untagged>  pushed 2026-01-02  100.0 MiB\n"),
            "{text}"
        );
        // A rule with one image keeps its reason after it.
        assert!(
            text.contains("build-7  pushed 2026-01-02  100.0 MiB\n      # (rule counted: number 4 by push time; the rule keeps the newest 3)\n"),
            "{text}"
        );
        assert!(
            text.contains("# ECR's own policy will expire 2 more images (200.0 MiB) within a day of its next run"),
            "{text}"
        );
    }

    #[test]
    fn drift_names_each_repository_and_diffs_the_policies() {
        use ecr_lifecycle_runtime::drift::{DriftStatus, RepositoryDrift};
        let drift = |repository: &str, status, applied: Option<&str>, desired: Option<&str>| {
            RepositoryDrift {
                repository: repository.into(),
                account: None,
                region: None,
                policy_file: Some("p.yaml".into()),
                status,
                applied: applied.map(str::to_string),
                desired: desired.map(str::to_string),
            }
        };
        let text = plain(&drift_text(&[
            drift("a", DriftStatus::InSync, Some("{}\n"), Some("{}\n")),
            drift(
                "b",
                DriftStatus::Differs,
                Some("{\"x\": 1}\n"),
                Some("{\"x\": 2}\n"),
            ),
            drift("c", DriftStatus::Ungoverned, Some("{}\n"), None),
        ]));
        assert!(!text.contains("# a"), "{text}");
        assert!(
            text.contains(
                "# b (p.yaml): the applied native policy differs\n--- applied\n+++ compiled\n"
            ),
            "{text}"
        );
        assert!(text.contains("-{\"x\": 1}\n+{\"x\": 2}\n"), "{text}");
        assert!(
            text.contains(
                "# c: a native policy is applied, and no policy file governs the repository"
            ),
            "{text}"
        );
        assert!(text.contains("Drift in 1 repository of "), "{text}");
        assert_eq!(
            plain(&drift_text(&[drift("a", DriftStatus::InSync, None, None)])),
            "No drift.\n"
        );
    }

    #[test]
    fn the_apply_report_says_what_was_done_skipped_and_left_to_ecr() {
        use ecr_lifecycle_compiler::image::Digest;
        use ecr_lifecycle_runtime::apply::{
            ApplyReport, PolicyDone, PolicySkipped, RepositoryReport,
        };
        let d = |n: u8| Digest::from_bytes([n; 32]);
        let mut report = ApplyReport {
            repositories: vec![RepositoryReport {
                name: "web".into(),
                policy: Some(PolicyDone::Put),
                deleted: vec![d(1), d(2)],
                bytes_deleted: 2 << 30,
                already_gone: vec![d(3)],
                no_longer_expire: vec![d(4)],
                ecr_will_expire: 5,
                ecr_bytes: 5 << 20,
                ..RepositoryReport::default()
            }],
        };
        let text = plain(&apply_text(&report));
        for line in [
            "web: native lifecycle policy put",
            "web: ECR's new native policy will expire 5 more images (5.0 MiB) within a day",
            "web: deleted 2 images (2.0 GiB)",
            "web: 1 image was already gone",
            "Apply complete: 2 images deleted (2.0 GiB); the native policies put will make ECR expire 5 more images (5.0 MiB) within a day.",
        ] {
            assert!(text.contains(line), "{line}\n{text}");
        }
        // A policy change not made is said, and leaves the apply incomplete.
        report.repositories.push(RepositoryReport {
            name: "api".into(),
            policy_skipped: Some(PolicySkipped::AppliedChanged),
            ..RepositoryReport::default()
        });
        let text = plain(&apply_text(&report));
        for line in [
            "api: native lifecycle policy not changed: the applied native policy changed since the plan; make a new plan",
            "Apply incomplete: 2 images deleted",
        ] {
            assert!(text.contains(line), "{line}\n{text}");
        }
    }

    #[test]
    fn a_policy_file_that_governs_nothing_is_named() {
        let mut p = plan(vec![repository("web", 1, 0, POLICY)]);
        for path in ["policies/team.yaml", "policies/typo.yaml"] {
            p.policy_files
                .push(ecr_lifecycle_runtime::plan::PolicyFileRef {
                    path: path.into(),
                    normalized_sha256: String::new(),
                    registry: Default::default(),
                });
        }
        assert_eq!(
            idle_files(&p),
            vec![
                "policies/typo.yaml governs no repository in file:registry.json: check its `repositories` and `exclude` globs (and `regions`, `accounts`)"
            ]
        );
        p.shard = Some(ecr_lifecycle_runtime::plan::Shard { index: 1, count: 2 });
        assert!(idle_files(&p)[0].contains("in this shard of file:registry.json"));
    }
}
