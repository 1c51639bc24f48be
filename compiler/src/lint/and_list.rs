//! Lists of several patterns or prefixes. ECR selects an image only when every entry matches
//! one of its tags (AND), so `["dev*", "staging*"]` does not select an image tagged only
//! `dev-1`; such lists are usually written to mean "any of these".

use crate::native::NativeRule;

use super::example::{Builder, acting_age, hours, rows};
use super::filter::Filter;
use super::patterns::{Pat, single_tag_possible};
use super::{Cx, Example, Finding, Issue, Row, Shows};

pub(crate) fn check(cx: &Cx, rule: &NativeRule, filter: &Filter) -> Option<Finding> {
    if filter.entries.len() < 2 {
        return None;
    }
    let example = example(cx, rule, filter)?;
    let lone_tag = example.rows.first()?.image.tags.first()?.to_string();
    let entries: Vec<&Pat> = filter.entries.iter().collect();
    let issue = Issue::AndListMeantAsOr {
        rule: filter.public(),
        lone_tag,
        no_single_tag: single_tag_possible(&entries) == Some(false),
    };
    Some(cx.finding(issue, filter.priority, None, example))
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
        !filter.tags.matches(&r.image.tags)
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
    let shows = Shows::AndList {
        rule: filter.priority,
        places: (0..rows.len()).collect(),
    };
    Some(Example { rows, shows })
}
