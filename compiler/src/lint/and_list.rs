//! Lists of several patterns or prefixes. ECR selects an image only when every entry matches
//! one of its tags (AND), so `["dev*", "staging*"]` does not select an image tagged only
//! `dev-1`; such lists are usually written to mean "any of these".

use crate::native::NativeRule;
use crate::native::simulate::tag_filter_matches;

use super::example::{Builder, acting_age, hours, rows};
use super::filter::{Filter, quoted};
use super::patterns::{Pat, single_tag_possible};
use super::{Cx, Example, Finding, FindingKind, Row, places};

pub(crate) fn check(cx: &Cx, rule: &NativeRule, filter: &Filter) -> Option<Finding> {
    let list = filter.list_name?;
    if filter.entries.len() < 2 {
        return None;
    }
    let example = example(cx, rule, filter)?;
    let first_tag = example.rows[0].image.tags.first()?.to_string();
    let entries: Vec<&Pat> = filter.entries.iter().collect();
    let together = match single_tag_possible(&entries) {
        Some(false) => " No single tag can match every entry, so only images with several \
                        tags are selected."
            .to_string(),
        _ => String::new(),
    };
    let message = format!(
        "Rule {}'s {list} [{}] is AND: ECR selects an image only when every entry matches one \
         of its tags, so an image tagged only `{first_tag}` is not selected.{together} If any \
         entry should do, write one rule per entry (or `tags: [...]` in a policy file).",
        filter.priority,
        quoted(&filter.texts),
    );
    Some(cx.finding(
        FindingKind::AndListMeantAsOr,
        filter.priority,
        None,
        message,
        example,
    ))
}

/// One image per entry, tagged with one tag that the entry matches and another entry does
/// not, and that no higher rule's entry matches: read as OR the rule governs each of them,
/// while ECR's rule selects none.
fn example(cx: &Cx, rule: &NativeRule, filter: &Filter) -> Option<Example> {
    let higher = cx.higher(filter.class, filter.priority);
    let exclude_higher: Vec<&Pat> = higher.iter().flat_map(|h| &h.entries).collect();
    let mut b = Builder::new(cx.now);
    let base = acting_age(rule);
    for (i, entry) in filter.entries.iter().enumerate() {
        let tag = filter.entries.iter().enumerate().find_map(|(j, other)| {
            if i == j {
                return None;
            }
            let mut exclude = exclude_higher.clone();
            exclude.push(other);
            b.tag(&[entry], &exclude)
        });
        if let Some(tag) = tag {
            b.push_in(filter.class, &[tag], base + hours(b.len()));
        }
    }
    let images = b.into_images();
    let confirmed = |r: &Row| {
        !tag_filter_matches(rule, &r.image)
            && r.ecr.rule != Some(filter.priority)
            && r.meant.rule == Some(filter.priority)
    };
    let all = rows(cx.policy, images.clone(), cx.now);
    let rows = if !all.is_empty() && all.iter().all(confirmed) {
        all
    } else {
        // Images decide each other's fate only through counts; one alone is enough to show it.
        images
            .into_iter()
            .map(|img| rows(cx.policy, vec![img], cx.now))
            .find(|r| r.iter().all(confirmed))?
    };
    let p = filter.priority;
    let fates: Vec<&str> = rows.iter().map(|r| r.meant.treatment.as_str()).collect();
    let meant = if fates.iter().all(|f| *f == fates[0]) {
        fates[0].to_string()
    } else {
        let each: Vec<String> = fates
            .iter()
            .enumerate()
            .map(|(i, f)| format!("#{} {f}", i + 1))
            .collect();
        each.join(", ")
    };
    let explanation = if rows.len() == 1 {
        format!(
            "#1 has a tag that one entry matches but not every entry, so ECR's rule {p} does not \
             select it; read as \"any entry\", rule {p} would govern it ({meant})."
        )
    } else {
        let all: Vec<usize> = (0..rows.len()).collect();
        format!(
            "Each of {} has a tag that one entry matches but not every entry, so ECR's rule {p} \
             selects none of them; read as \"any entry\", rule {p} would govern them ({meant}).",
            places(&all)
        )
    };
    Some(Example { rows, explanation })
}
