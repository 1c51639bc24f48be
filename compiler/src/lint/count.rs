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
use super::{Cx, Example, Fate, Finding, FindingKind, Row, Treatment, named, places};

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
    let protectors: Vec<String> = overlapping.iter().map(|h| named(h)).collect();
    let verb = action_verb(rule);
    let message = format!(
        "Rule {p} (`{f}`) keeps the {n} newest images it matches, but ECR ranks every image its \
         filter matches, including those that {} select{} first. Rule {p} {verb} each image it \
         governs that is not among the {n} newest of all, so it keeps fewer than {n} of its own \
         images, and none once {n} newer images match a higher rule.",
        protectors.join(" and "),
        if protectors.len() == 1 { "s" } else { "" },
        p = filter.priority,
        f = filter.describe(),
    );
    Some(cx.finding(
        FindingKind::CountIncludesProtected,
        filter.priority,
        Some(first.priority),
        message,
        example,
    ))
}

/// "expires" or "archives".
fn action_verb(rule: &NativeRule) -> &'static str {
    match rule.action.action_type {
        crate::native::ActionType::Expire => "expires",
        crate::native::ActionType::Transition => "archives",
    }
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
    let explanation = explain(filter, &rows, &protected, &own, last);
    Some(Example { rows, explanation })
}

fn explain(
    filter: &Filter,
    rows: &[Row],
    protected: &[usize],
    own: &[usize],
    last: usize,
) -> String {
    let p = filter.priority;
    let verb = rows[last].ecr.treatment.as_str();
    let mut by: Vec<String> = protected
        .iter()
        .filter_map(|&i| rows[i].ecr.rule)
        .map(|r| format!("rule {r}"))
        .collect();
    by.dedup();
    format!(
        "ECR ranks all {} images for rule {p}, including {}, which {} selects first, and marks \
         the oldest, #{}, which rule {p} governs: it is {verb}. Read in order, rule {p} governs \
         only {} and keeps {}.",
        rows.len(),
        places_short(protected),
        by.join(" and "),
        last + 1,
        places_short(own),
        if own.len() == 1 { "it" } else { "them all" }
    )
}

/// `#1 to #10` for a long run of places, `#1 and #2` for a short one.
fn places_short(p: &[usize]) -> String {
    match (p.first(), p.last()) {
        (Some(&a), Some(&z)) if p.len() > 3 && z - a + 1 == p.len() => {
            format!("#{} to #{}", a + 1, z + 1)
        }
        _ => places(p),
    }
}

/// Tags for an image both `h` and `c` select; `None` when no such image can be made.
fn overlap_tags(b: &mut Builder, h: &Filter, c: &Filter) -> Option<Vec<String>> {
    match (h.status, c.status) {
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
    match c.status {
        TagStatus::Untagged | TagStatus::Any if untagged_free => Some(Vec::new()),
        TagStatus::Untagged => None,
        TagStatus::Any => Some(vec![b.tag(&[], &exclude)?]),
        TagStatus::Tagged => {
            let entries: Vec<&Pat> = c.entries.iter().collect();
            b.tags_for(&entries, &exclude)
        }
    }
}
