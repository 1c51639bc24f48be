//! The plan as a pull-request comment. A reviewer approves everything that will go, so ECR's
//! own expirations stand next to the runner's; and the comment must fit where it is posted
//! (GitHub refuses comments over 65,536 characters), so totals and per-rule figures come
//! first, then details until the budget is spent, then where to find the rest.

use std::collections::BTreeMap;

use super::{bytes, plain, plural, policy_diff, reason, short, summary_line};
use ecr_lifecycle_runtime::plan::{
    ImageAction, Plan, PolicyChange, RepositoryPlan, TagRemoval, monthly_cost,
};

/// GitHub's limit on a comment, less room for what a workflow adds around the plan.
pub(super) const MARKDOWN_BUDGET: usize = 60_000;

/// Rows shown per group of images (one rule, one reason) before the rest is counted.
const ROWS_PER_GROUP: usize = 20;

/// The plan as Markdown, at most [`MARKDOWN_BUDGET`] characters.
pub(crate) fn plan_markdown(plan: &Plan) -> String {
    plan_markdown_within(plan, MARKDOWN_BUDGET)
}

/// The plan as Markdown, at most `budget` characters (the head always fits a sane budget).
pub(super) fn plan_markdown_within(plan: &Plan, budget: usize) -> String {
    let mut s = String::from("### ecr-lifecycle plan\n\n");
    if plan.has_changes() {
        s.push_str(&format!("**{}**\n", summary_line(plan)));
    } else {
        s.push_str("**No changes.**\n");
    }
    let sum = &plan.summary;
    if sum.ecr_expirations > 0 || sum.ecr_archivals > 0 {
        s.push_str(&format!(
            "\n**ECR's native policies will also {}** within a day of their next run.\n",
            ecr_part(sum.ecr_expirations, sum.ecr_bytes, sum.ecr_archivals, plan)
        ));
    }
    s.push_str(&format!(
        "\nRegistry `{}`, evaluated at {}; {}.\n",
        plan.registries_text(),
        plan.created_at,
        plural(
            plan.repositories.len(),
            "repository governed",
            "repositories governed"
        )
    ));
    for line in super::idle_files(plan) {
        s.push_str(&format!("\n> **Warning:** {line}\n"));
    }
    s.push_str(&rule_table(plan));
    // Native policies take at most half of what is left; repositories the rest.
    let policy_budget = s.len() + budget.saturating_sub(s.len()) / 2;
    s.push_str(&native_policies(
        plan,
        policy_budget.saturating_sub(s.len()),
    ));

    let shown: Vec<&RepositoryPlan> = plan.repositories.iter().filter(|r| r.has_news()).collect();
    let mut left = shown.len();
    for r in &shown {
        let full = repository_block(r, ROWS_PER_GROUP);
        let brief = repository_block(r, 0);
        let footer_room = 400;
        let block = if s.len() + full.len() + footer_room <= budget {
            full
        } else if s.len() + brief.len() + footer_room <= budget {
            brief
        } else {
            break;
        };
        s.push_str(&block);
        left -= 1;
    }
    if left > 0 {
        s.push_str(&format!(
            "\n_{} not shown here to keep this comment within GitHub's size limit: the JSON plan \
             (`ecr-lifecycle plan … -o plan.json`) lists every image._\n",
            plural(left, "more repository is", "more repositories are")
        ));
    }
    if s.len() > budget {
        // Only a budget smaller than the totals gets here: cut, and say so.
        let note = "\n\n_(cut to fit; the JSON plan has everything)_\n";
        let mut end = budget.saturating_sub(note.len());
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str(note);
    }
    s
}

/// Rows of the per-rule table before the rest is counted.
const RULE_ROWS: usize = 100;

/// "expire 12 images (3.1 GiB, $0.33/month) and archive 2 images".
fn ecr_part(expire: usize, expire_bytes: u64, archive: usize, plan: &Plan) -> String {
    let mut parts = Vec::new();
    if expire > 0 {
        parts.push(format!(
            "expire {} ({}, ${:.2}/month)",
            plural(expire, "image", "images"),
            bytes(expire_bytes),
            monthly_cost(expire_bytes, &plan.prices)
        ));
    }
    if archive > 0 {
        parts.push(format!("archive {}", plural(archive, "image", "images")));
    }
    parts.join(" and ")
}

/// Counts and sizes of one kind of action.
#[derive(Default, Clone, Copy)]
struct Tally {
    images: usize,
    bytes: u64,
}

impl Tally {
    fn add(&mut self, list: &[ImageAction]) {
        self.images += list.len();
        self.bytes += list.iter().filter_map(|a| a.size_bytes).sum::<u64>();
    }

    fn cell(self) -> String {
        if self.images == 0 {
            "—".into()
        } else {
            format!("{} ({})", self.images, bytes(self.bytes))
        }
    }
}

/// What each rule does across the plan: by the runner, and by ECR.
fn rule_table(plan: &Plan) -> String {
    // (policy file, rule) → [runner deletes, runner archives, ECR expires, ECR archives].
    let mut rows: BTreeMap<(&str, &str), [Tally; 4]> = BTreeMap::new();
    for r in &plan.repositories {
        for (i, list) in [
            &r.deletions,
            &r.archivals,
            &r.ecr_expirations,
            &r.ecr_archivals,
        ]
        .into_iter()
        .enumerate()
        {
            let mut by_rule: BTreeMap<&str, Vec<ImageAction>> = BTreeMap::new();
            for a in list {
                by_rule
                    .entry(a.rule.as_deref().unwrap_or_default())
                    .or_default()
                    .push(a.clone());
            }
            for (rule, actions) in by_rule {
                rows.entry((&r.policy_file, rule)).or_default()[i].add(&actions);
            }
        }
    }
    // Tags removed, per rule: a column only when a plan removes any.
    let mut tags: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
    for r in &plan.repositories {
        for t in &r.tag_removals {
            let row = tags.entry((&r.policy_file, &t.rule)).or_default();
            row.0 += t.remove.len();
            row.1 += 1;
            rows.entry((&r.policy_file, &t.rule)).or_default();
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    let tag_column = !tags.is_empty();
    let mut s = String::from(
        "\n| policy file | rule | runner deletes | runner archives | ECR expires | ECR archives |",
    );
    s.push_str(if tag_column {
        " runner removes tags |\n|---|---|---|---|---|---|---|\n"
    } else {
        "\n|---|---|---|---|---|---|\n"
    });
    let more = rows.len().saturating_sub(RULE_ROWS);
    for ((file, rule), t) in rows.into_iter().take(RULE_ROWS) {
        let rule = if rule.is_empty() {
            "(follows another image)"
        } else {
            rule
        };
        // A default file governs the repositories no other file selects.
        let default = plan
            .repositories
            .iter()
            .any(|r| r.default_policy && r.policy_file == file);
        let default = if default { " (default)" } else { "" };
        let removed = match tags.get(&(file, rule)) {
            _ if !tag_column => String::new(),
            Some((n, images)) => format!(
                " {} from {} |",
                plural(*n, "tag", "tags"),
                plural(*images, "image", "images")
            ),
            None => " — |".into(),
        };
        s.push_str(&format!(
            "| `{file}`{default} | {rule} | {} | {} | {} | {} |{removed}\n",
            t[0].cell(),
            t[1].cell(),
            t[2].cell(),
            t[3].cell()
        ));
    }
    if more > 0 {
        s.push_str(&format!(
            "\n_… and {} (the JSON plan has them)._\n",
            plural(more, "more rule", "more rules")
        ));
    }
    s
}

/// Each distinct native-policy change once, with the repositories it applies to, in at most
/// `budget` characters.
fn native_policies(plan: &Plan, budget: usize) -> String {
    let mut changes: Vec<(&PolicyChange, Vec<&str>)> = Vec::new();
    for r in &plan.repositories {
        if !r.lifecycle_policy.is_change() {
            continue;
        }
        match changes.iter_mut().find(|(c, _)| *c == &r.lifecycle_policy) {
            Some((_, names)) => names.push(&r.name),
            None => changes.push((&r.lifecycle_policy, vec![&r.name])),
        }
    }
    let mut s = String::new();
    let total = changes.len();
    for (shown, (change, names)) in changes.into_iter().enumerate() {
        let block = policy_block(change, &names);
        if s.len() + block.len() > budget {
            s.push_str(&format!(
                "\n_{} not shown here: `ecr-lifecycle compile` or the JSON plan shows them._\n",
                plural(
                    total - shown,
                    "more native policy is",
                    "more native policies are"
                )
            ));
            break;
        }
        s.push_str(&block);
    }
    s
}

/// One native-policy change and the repositories it applies to.
fn policy_block(change: &PolicyChange, names: &[&str]) -> String {
    let mut s = String::new();
    {
        let what = match change {
            PolicyChange::Put { .. } => "put",
            PolicyChange::Replace { .. } => "replace",
            PolicyChange::Delete { .. } => "delete",
            PolicyChange::Unchanged => return s,
        };
        let listed = if names.len() > 10 {
            format!(
                "{} and {} more",
                names[..10]
                    .iter()
                    .map(|n| format!("<code>{n}</code>"))
                    .collect::<Vec<_>>()
                    .join(", "),
                names.len() - 10
            )
        } else {
            names
                .iter()
                .map(|n| format!("<code>{n}</code>"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        s.push_str(&format!(
            "\n<details><summary>Native lifecycle policy to {what} → {}: {listed}</summary>\n\n",
            plural(names.len(), "repository", "repositories")
        ));
        match change {
            PolicyChange::Put { text } => {
                s.push_str("```diff\n");
                s.push_str(&plain(&policy_diff("", text, "applied (none)", "compiled")));
                s.push_str("```\n");
            }
            PolicyChange::Replace { current, text } => {
                s.push_str("```diff\n");
                s.push_str(&plain(&policy_diff(current, text, "applied", "compiled")));
                s.push_str("```\n");
            }
            PolicyChange::Delete { .. } => {
                s.push_str("The policy files leave nothing to ECR in these repositories.\n")
            }
            PolicyChange::Unchanged => {}
        }
        s.push_str("\n</details>\n");
    }
    s
}

/// One repository: its figures, warnings, and its images grouped by rule and reason, with at
/// most `rows` rows per group.
fn repository_block(r: &RepositoryPlan, rows: usize) -> String {
    let policy = match &r.lifecycle_policy {
        PolicyChange::Unchanged => "policy unchanged",
        PolicyChange::Put { .. } => "policy to put",
        PolicyChange::Replace { .. } => "policy to replace",
        PolicyChange::Delete { .. } => "policy to delete",
    };
    let mut figures = vec![format!(
        "{} ({})",
        plural(r.deletions.len(), "image to delete", "images to delete"),
        bytes(size(&r.deletions))
    )];
    if !r.archivals.is_empty() {
        figures.push(plural(
            r.archivals.len(),
            "image to archive",
            "images to archive",
        ));
    }
    if !r.tag_removals.is_empty() {
        figures.push(format!(
            "{} to remove from {}",
            plural(
                r.tag_removals.iter().map(|t| t.remove.len()).sum(),
                "tag",
                "tags"
            ),
            plural(r.tag_removals.len(), "image", "images")
        ));
    }
    if !r.ecr_expirations.is_empty() {
        figures.push(format!(
            "ECR expires {} ({})",
            r.ecr_expirations.len(),
            bytes(size(&r.ecr_expirations))
        ));
    }
    if !r.ecr_archivals.is_empty() {
        figures.push(format!("ECR archives {}", r.ecr_archivals.len()));
    }
    let unit = r.unit();
    let place = if unit.is_default() {
        String::new()
    } else {
        format!(" in {unit}")
    };
    let mut s = format!(
        "\n<details><summary><code>{}</code>{place}: {policy}, {}</summary>\n\n",
        r.name,
        figures.join(", ")
    );
    for n in &r.notes {
        s.push_str(&format!("> **Warning:** {}\n\n", super::words::note(n)));
    }
    let mut lists = super::image_lists(r);
    // ECR's own share, after the runner's.
    lists.insert(
        2,
        super::ImageList {
            title: "ECR expires",
            sign: '-',
            kind: super::Kind::Note,
            by_rule: true,
            items: super::described(&r.ecr_expirations, |a| reason(a, true)),
        },
    );
    lists.insert(
        3,
        super::ImageList {
            title: "ECR archives",
            sign: '>',
            kind: super::Kind::Note,
            by_rule: true,
            items: super::described(&r.ecr_archivals, |a| reason(a, false)),
        },
    );
    for l in lists {
        if !l.items.is_empty() {
            s.push_str(&format!("**{}:**\n\n", l.title));
            s.push_str(&groups(&l.items, l.by_rule, rows));
        }
        if l.title == "The runner deletes" && !r.tag_removals.is_empty() {
            s.push_str("**The runner removes tags (the images stay):**\n\n");
            s.push_str(&tag_rows(&r.tag_removals, rows));
        }
    }
    s.push_str("</details>\n");
    s
}

/// Tag removals under one line per rule and reason, at most `rows` rows each.
fn tag_rows(list: &[TagRemoval], rows: usize) -> String {
    let mut grouped: Vec<(String, Vec<&TagRemoval>)> = Vec::new();
    for t in list {
        let why = format!(
            "rule `{}`: {}",
            t.rule,
            super::words::reason(&t.reason).replace('|', "\\|")
        );
        match grouped.iter_mut().find(|(w, _)| *w == why) {
            Some((_, v)) => v.push(t),
            None => grouped.push((why, vec![t])),
        }
    }
    let mut s = String::new();
    for (why, group) in grouped {
        s.push_str(&format!(
            "- {why} ({})\n",
            plural(group.len(), "image", "images")
        ));
        if rows == 0 {
            continue;
        }
        s.push_str("\n  | digest | removes | keeps | pushed |\n  |---|---|---|---|\n");
        for t in group.iter().take(rows) {
            s.push_str(&format!(
                "  | `{}` | {} | {} | {} |\n",
                short(&t.digest),
                t.remove.join(", ").replace('|', "\\|"),
                t.keep.join(", ").replace('|', "\\|"),
                &t.pushed_at.strftime("%Y-%m-%d").to_string(),
            ));
        }
        if group.len() > rows {
            s.push_str(&format!(
                "\n  … and {} (the JSON plan lists them)\n",
                plural(group.len() - rows, "more image", "more images")
            ));
        }
        s.push('\n');
    }
    s
}

fn size(list: &[ImageAction]) -> u64 {
    list.iter().filter_map(|a| a.size_bytes).sum()
}

/// Images under one line per rule: with the reason when they share it, or a reason per row.
fn groups(list: &[(&ImageAction, String)], by_rule: bool, rows: usize) -> String {
    let mut grouped: Vec<(&str, Vec<(&ImageAction, String)>)> = Vec::new();
    for (a, why) in list {
        let rule = if by_rule {
            a.rule.as_deref().unwrap_or_default()
        } else {
            ""
        };
        match grouped.iter_mut().find(|(r, _)| *r == rule) {
            Some((_, v)) => v.push((a, why.clone())),
            None => grouped.push((rule, vec![(a, why.clone())])),
        }
    }
    let mut s = String::new();
    for (rule, images) in grouped {
        let total: u64 = images.iter().filter_map(|(a, _)| a.size_bytes).sum();
        let shared = images
            .iter()
            .all(|(_, why)| *why == images[0].1)
            .then(|| images[0].1.replace('|', "\\|"));
        let head = match (rule.is_empty(), &shared) {
            (true, Some(why)) => format!("{why} "),
            (true, None) => String::new(),
            (false, Some(why)) => format!("rule `{rule}`: {why} "),
            (false, None) => format!("rule `{rule}` "),
        };
        s.push_str(&format!(
            "- {head}({}, {})\n",
            plural(images.len(), "image", "images"),
            bytes(total)
        ));
        if rows == 0 {
            continue;
        }
        if shared.is_some() {
            s.push_str("\n  | digest | tags | pushed | size |\n  |---|---|---|---|\n");
        } else {
            s.push_str("\n  | digest | tags | pushed | size | why |\n  |---|---|---|---|---|\n");
        }
        for (a, why) in images.iter().take(rows) {
            let tags = if a.tags.is_empty() {
                "—".to_string()
            } else {
                a.tags.join(", ").replace('|', "\\|")
            };
            let why = if shared.is_some() {
                String::new()
            } else {
                format!(" {} |", why.replace('|', "\\|"))
            };
            s.push_str(&format!(
                "  | `{}` | {tags} | {} | {} |{why}\n",
                short(&a.digest),
                &a.pushed_at.strftime("%Y-%m-%d").to_string(),
                a.size_bytes.map(bytes).unwrap_or_default(),
            ));
        }
        if images.len() > rows {
            s.push_str(&format!(
                "\n  … and {} (the JSON plan lists them)\n",
                plural(images.len() - rows, "more image", "more images")
            ));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::test_plans::{POLICY, plan, repository};

    #[test]
    fn ecr_expirations_are_in_the_totals_the_rule_table_and_each_repository() {
        let md = plan_markdown(&plan(vec![repository("web", 2, 3, POLICY)]));
        assert!(
            md.contains(
                "**ECR's native policies will also expire 3 images (300.0 MiB, $0.03/month)**"
            ),
            "{md}"
        );
        assert!(
            md.contains("| `policies/team.yaml` | untagged | — | — | 3 (300.0 MiB) | — |"),
            "{md}"
        );
        assert!(md.contains("**ECR expires:**"), "{md}");
        assert!(md.contains("ECR expires 3 (300.0 MiB)"), "{md}");
        // Reasons that differ per image go on their rows; a shared one is said once.
        assert!(
            md.contains("| pushed 22 days ago; the rule keeps images younger than 14 days |"),
            "{md}"
        );
        assert_eq!(
            md.matches("the rule keeps none of its images").count(),
            1,
            "{md}"
        );
    }

    #[test]
    fn a_native_policy_shared_by_many_repositories_is_shown_once() {
        let repos: Vec<RepositoryPlan> = (0..40)
            .map(|i| repository(&format!("svc-{i:02}"), 1, 0, POLICY))
            .collect();
        let md = plan_markdown(&plan(repos));
        assert_eq!(md.matches("\"rulePriority\": 1").count(), 1, "{md}");
        assert!(
            md.contains("Native lifecycle policy to put → 40 repositories: <code>svc-00</code>"),
            "{md}"
        );
        assert!(md.contains("and 30 more</summary>"), "{md}");
    }

    #[test]
    fn a_large_plan_stays_within_the_budget_and_says_where_the_rest_is() {
        let repos: Vec<RepositoryPlan> = (0..2_000)
            .map(|i| repository(&format!("team/service-{i:04}"), 150, 40, POLICY))
            .collect();
        let md = plan_markdown(&plan(repos));
        assert!(md.len() <= MARKDOWN_BUDGET, "{} characters", md.len());
        assert!(
            md.contains("more repositories are not shown here"),
            "{}",
            &md[md.len() - 500..]
        );
        assert!(
            md.contains("**Plan: 2000 policies to put"),
            "{}",
            &md[..500]
        );
        // Within a repository, a long list is cut with a count.
        assert!(md.contains("… and 130 more images (the JSON plan lists them)"));
    }

    #[test]
    fn many_distinct_native_policies_stay_within_the_budget() {
        let repos: Vec<RepositoryPlan> = (0..1_000)
            .map(|i| {
                let policy =
                    POLICY.replace("\"rulePriority\": 1", &format!("\"rulePriority\": {i}"));
                repository(&format!("svc-{i:04}"), 3, 0, &policy)
            })
            .collect();
        let md = plan_markdown(&plan(repos));
        assert!(md.len() <= MARKDOWN_BUDGET, "{} characters", md.len());
        assert!(md.contains("more native policies are not shown here"));
        assert!(md.contains("more repositories are not shown here"));
    }

    #[test]
    fn a_small_budget_drops_rows_before_repositories() {
        let p = plan(vec![repository("web", 150, 0, POLICY)]);
        let full = plan_markdown(&p);
        let budget = full.len() - 100;
        let brief = plan_markdown_within(&p, budget);
        assert!(brief.len() <= budget);
        assert!(brief.contains("<code>web</code>: policy to put, 150 images to delete"));
        assert!(!brief.contains("| digest |"), "{brief}");
        assert!(!brief.contains("not shown here"), "{brief}");
    }
}
