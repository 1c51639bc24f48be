//! Rules that never act: higher-priority rules of the same storage class select every image
//! they select, and ECR lets only the first rule that selects an image act on it.
//!
//! Only proved cases are reported: the rule's untagged images all selected by one higher
//! rule, its tagged images all selected by one higher rule, with pattern containment decided
//! on the patterns' automata.

use crate::native::{NativeRule, TagStatus};

use super::example::{Builder, acting_age, rows};
use super::filter::{Filter, Reading, covering};
use super::patterns::Pat;
use super::{Cx, Example, Finding, Issue, Shows, distinct};

pub(crate) fn check(cx: &Cx, rule: &NativeRule, filter: &Filter) -> Option<Finding> {
    let higher = cx.higher(filter.class, filter.priority);
    let by = covering(filter, &higher, Reading::Ecr)?;
    let example = example(cx, rule, filter)?;
    let issue = Issue::Shadowed {
        rule: filter.public(),
        by: by
            .iter()
            .filter_map(|p| higher.iter().find(|h| h.priority == *p))
            .map(|h| h.public())
            .collect(),
    };
    Some(cx.finding(issue, filter.priority, by.first().copied(), example))
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
        let tags = match filter.status() {
            TagStatus::Tagged => b.tags_for(&entries, &[])?,
            _ => vec![b.tag(&[], &[])?],
        };
        b.push_in(filter.class, &tags, age);
    }
    let rows = rows(cx.policy, b.into_images(), cx.now);
    // Confirmed: the rule's own filter matches each image, and ECR gives it to another rule.
    let confirmed = rows.iter().all(|r| {
        filter.tags.matches(&r.image.tags) && r.ecr.rule.is_some_and(|p| p != filter.priority)
    });
    if !confirmed {
        return None;
    }
    let shows = Shows::Shadowed {
        rule: filter.priority,
        places: (0..rows.len()).collect(),
        owners: distinct(rows.iter().filter_map(|r| r.ecr.rule)),
    };
    Some(Example { rows, shows })
}
