//! Counts that include protected images. ECR ranks every image an `imageCountMoreThan`
//! rule's filter matches, including those a higher-priority rule matches (and protects), and
//! marks all but the newest N; the rule may then act on the marked images it governs. So
//! "keep everything tagged prod, and of the rest the newest 10" keeps fewer than 10 of the
//! rest — none at all once 10 prod images are newer (the AWS example "Filtering on all
//! images, Example B").

use crate::native::{CountType, NativeRule, StorageClass, TagStatus};

use super::example::{Builder, MAX_IMAGES, hours, rows};
use super::filter::Filter;
use super::patterns::Pat;
use super::{Cx, Example, Fate, Finding, Issue, Shows, Treatment, distinct};

pub(crate) fn check(cx: &Cx, rule: &NativeRule, filter: &Filter) -> Option<Finding> {
    let sel = &rule.selection;
    if sel.count_type != CountType::ImageCountMoreThan || filter.class != StorageClass::Standard {
        return None;
    }
    let n = usize::try_from(sel.count_number).ok()?;
    let higher = cx.higher(filter.class, filter.priority);
    // The higher rules an image can match together with this one.
    let overlapping: Vec<&Filter> = higher
        .iter()
        .copied()
        .filter(|h| overlap_tags(&mut Builder::new(cx.now), h, filter).is_some())
        .collect();
    let first = *overlapping.first()?;
    let example = example(cx, filter, &higher, &overlapping, n)?;
    let issue = Issue::CountIncludesProtected {
        rule: filter.public(),
        count: sel.count_number,
        action: rule.action.action_type,
        protectors: overlapping.iter().map(|h| h.public()).collect(),
    };
    Some(cx.finding(issue, filter.priority, Some(first.priority), example))
}

/// The N newest images match a higher rule and this one; one more, older, matches only this
/// one. ECR ranks all N + 1 and acts on the oldest, which this rule governs; read in order,
/// the rule governs only that image and keeps it.
fn example(
    cx: &Cx,
    filter: &Filter,
    higher: &[&Filter],
    overlapping: &[&Filter],
    n: usize,
) -> Option<Example> {
    if n >= MAX_IMAGES {
        return None;
    }
    let mut b = Builder::new(cx.now);
    for i in 0..n {
        let h = overlapping[i % overlapping.len()];
        match overlap_tags(&mut b, h, filter) {
            Some(tags) => b.push(&tags, hours(i + 1)),
            // Exact tags run out (a tag names one image); the rest match only this rule.
            None => break,
        };
    }
    if b.len() == 0 {
        return None;
    }
    while b.len() <= n {
        let tags = own_tags(&mut b, filter, higher)?;
        let age = hours(b.len() + 1);
        b.push(&tags, age);
    }
    let rows = rows(cx.policy, b.into_images(), cx.now);
    let last = rows.len() - 1;
    let own: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].meant.rule == Some(filter.priority))
        .collect();
    let target = &rows[last];
    let confirmed = target.ecr.rule == Some(filter.priority)
        && target.ecr.treatment != Treatment::Kept
        && target.meant
            == Fate {
                treatment: Treatment::Kept,
                rule: Some(filter.priority),
            }
        && own.len() <= n;
    if !confirmed {
        return None;
    }
    let protected: Vec<usize> = (0..rows.len()).filter(|i| !own.contains(i)).collect();
    let by = distinct(protected.iter().filter_map(|&i| rows[i].ecr.rule));
    let shows = Shows::Count {
        rule: filter.priority,
        protected,
        by,
        marked: last,
        own,
    };
    Some(Example { rows, shows })
}

/// Tags for an image both `h` and `c` select; `None` when no such image can be made.
fn overlap_tags(b: &mut Builder, h: &Filter, c: &Filter) -> Option<Vec<String>> {
    match (h.status(), c.status()) {
        (TagStatus::Untagged, TagStatus::Any) => Some(Vec::new()),
        (TagStatus::Untagged, _) | (_, TagStatus::Untagged) => None,
        _ => {
            let entries: Vec<&Pat> = h.entries.iter().chain(&c.entries).collect();
            let tags = b.tags_for(&entries, &[])?;
            // A `tagged`-`any` pair needs at least one tag; `h` is tagged here, so it has one.
            (!tags.is_empty()).then_some(tags)
        }
    }
}

/// Tags for an image this rule selects and no higher rule selects in either reading (every
/// entry of every higher list avoided); untagged when no higher rule takes untagged images.
fn own_tags(b: &mut Builder, c: &Filter, higher: &[&Filter]) -> Option<Vec<String>> {
    let exclude: Vec<&Pat> = higher.iter().flat_map(|h| &h.entries).collect();
    let untagged_free = !higher.iter().any(|h| h.selects_untagged());
    match c.status() {
        TagStatus::Untagged | TagStatus::Any if untagged_free => Some(Vec::new()),
        TagStatus::Untagged => None,
        TagStatus::Any => Some(vec![b.tag(&[], &exclude)?]),
        TagStatus::Tagged => {
            let entries: Vec<&Pat> = c.entries.iter().collect();
            b.tags_for(&entries, &exclude)
        }
    }
}
