//! Rules that never act: higher-priority rules of the same storage class select every image
//! they select, and ECR lets only the first rule that selects an image act on it.
//!
//! Only proved cases are reported: the rule's untagged images all selected by one higher
//! rule, its tagged images all selected by one higher rule, with pattern containment decided
//! on the patterns' automata.

use crate::native::simulate::tag_filter_matches;
use crate::native::{NativeRule, TagStatus};

use super::example::{Builder, acting_age, rows};
use super::filter::{Filter, Reading, covering};
use super::patterns::Pat;
use super::{Cx, Example, Finding, FindingKind, capitalized, named, places};

pub(crate) fn check(cx: &Cx, rule: &NativeRule, filter: &Filter) -> Option<Finding> {
    let higher = cx.higher(filter.class, filter.priority);
    let by = covering(filter, &higher, Reading::Ecr)?;
    let example = example(cx, rule, filter)?;
    let names: Vec<String> = by
        .iter()
        .filter_map(|p| higher.iter().find(|h| h.priority == *p))
        .map(|h| named(h))
        .collect();
    let message = match names.as_slice() {
        [one] => format!(
            "{} never acts: {one} selects every image it selects, and ECR lets only the \
             highest-priority rule that selects an image act on it.",
            capitalized(&named(filter))
        ),
        _ => format!(
            "{} never acts: {} between them select every image it selects, and ECR lets only \
             the highest-priority rule that selects an image act on it.",
            capitalized(&named(filter)),
            names.join(" and ")
        ),
    };
    Some(cx.finding(
        FindingKind::Shadowed,
        filter.priority,
        by.first().copied(),
        message,
        example,
    ))
}

/// One image of each tag class the rule selects, old enough for the rule to act on it.
fn example(cx: &Cx, rule: &NativeRule, filter: &Filter) -> Option<Example> {
    let mut b = Builder::new(cx.now);
    let age = acting_age(rule);
    if filter.selects_untagged() {
        b.push_in(filter.class, &[], age);
    }
    if filter.selects_tagged() {
        let entries: Vec<&Pat> = filter.entries.iter().collect();
        let tags = match filter.status {
            TagStatus::Tagged => b.tags_for(&entries, &[])?,
            _ => vec![b.tag(&[], &[])?],
        };
        b.push_in(filter.class, &tags, age);
    }
    let rows = rows(cx.policy, b.into_images(), cx.now);
    // Confirmed: the rule's own filter matches each image, and ECR gives it to another rule.
    let confirmed = rows.iter().all(|r| {
        tag_filter_matches(rule, &r.image) && r.ecr.rule.is_some_and(|p| p != filter.priority)
    });
    if !confirmed {
        return None;
    }
    let all: Vec<usize> = (0..rows.len()).collect();
    let mut owners: Vec<i64> = rows.iter().filter_map(|r| r.ecr.rule).collect();
    owners.dedup();
    let owners: Vec<String> = owners.iter().map(|p| format!("rule {p}")).collect();
    let (it, any) = if all.len() == 1 {
        ("it", "it")
    } else {
        ("them", "any of them")
    };
    let explanation = format!(
        "Rule {p}'s filter matches {}, but ECR gives {it} to {}: rule {p} never acts on {any}.",
        places(&all),
        owners.join(" and "),
        p = filter.priority,
    );
    Some(Example { rows, explanation })
}
