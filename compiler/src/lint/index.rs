//! Untagged and `any` rules meet the children of image indexes. The images a
//! multi-architecture index lists are untagged, so such a rule selects them, but ECR does not
//! delete an image that a live index lists (a delete fails with
//! `ImageReferencedByManifestList`): they stay as long as their index, however old, and go
//! once it is deleted. A warning about expectations rather than an error.

use crate::native::{ActionType, CountType, NativeRule, StorageClass, simulate};

use super::example::{Builder, MAX_IMAGES, acting_age, hours, rows};
use super::filter::Filter;
use super::patterns::Pat;
use super::{Cx, Example, Fate, Finding, FindingKind, Treatment, capitalized, named};

pub(crate) fn check(cx: &Cx, rule: &NativeRule, filter: &Filter) -> Option<Finding> {
    if filter.class != StorageClass::Standard
        || !filter.selects_untagged()
        || rule.action.action_type != ActionType::Expire
    {
        return None;
    }
    let higher = cx.higher(filter.class, filter.priority);
    // Untagged images, children included, belong to a higher untagged rule if there is one.
    if higher.iter().any(|h| h.selects_untagged()) {
        return None;
    }
    let example = example(cx, rule, filter, &higher)?;
    let counts = match rule.selection.count_type {
        CountType::ImageCountMoreThan => format!(
            "take places among the {} newest images the rule keeps, ",
            rule.selection.count_number
        ),
        _ => String::new(),
    };
    let message = format!(
        "{} expires untagged images, and the images a multi-architecture image index lists are \
         untagged. ECR does not delete an image that an index lists \
         (ImageReferencedByManifestList): while the index exists its children stay, however \
         old, {counts}and go only once the index is deleted. Expect them to stay.",
        capitalized(&named(filter))
    );
    Some(cx.finding(
        FindingKind::UntaggedHitsIndexChildren,
        filter.priority,
        None,
        message,
        example,
    ))
}

/// A tagged index listing two untagged children the rule marks, with enough newer images
/// for a count to reach them. The index is tried with a tag no higher rule selects, then
/// with a tag of each higher rule, until one stays while the rule marks its children.
fn example(cx: &Cx, rule: &NativeRule, filter: &Filter, higher: &[&Filter]) -> Option<Example> {
    let all_higher: Vec<&Pat> = higher.iter().flat_map(|h| &h.entries).collect();
    // `latest` is what an index is usually tagged; any other tag no higher rule selects will do.
    let latest = Pat::pattern("latest");
    let free = |b: &mut Builder| {
        let tag = b
            .tag(&[&latest], &all_higher)
            .or_else(|| b.tag(&[], &all_higher))?;
        Some(vec![tag])
    };
    if let Some(e) = attempt(cx, rule, filter, free) {
        return Some(e);
    }
    higher.iter().find_map(|h| {
        let entries: Vec<&Pat> = h.entries.iter().collect();
        attempt(cx, rule, filter, |b| {
            b.tags_for(&entries, &[]).filter(|t| !t.is_empty())
        })
    })
}

fn attempt(
    cx: &Cx,
    rule: &NativeRule,
    filter: &Filter,
    index_tags: impl FnOnce(&mut Builder) -> Option<Vec<String>>,
) -> Option<Example> {
    let sel = &rule.selection;
    let mut b = Builder::new(cx.now);
    let tags = index_tags(&mut b)?;
    // Newer images that fill the count ahead of the children (the index counts too when the
    // rule selects it).
    let fillers = match sel.count_type {
        CountType::ImageCountMoreThan => {
            let n = usize::try_from(sel.count_number).ok()?;
            let index_counts = filter.selects_tagged();
            n.checked_sub(usize::from(index_counts))?
        }
        _ => 0,
    };
    if fillers + 3 > MAX_IMAGES {
        return None;
    }
    let age = match sel.count_type {
        CountType::ImageCountMoreThan => hours(fillers + 1),
        _ => acting_age(rule),
    };
    let minute = jiff::SignedDuration::from_mins(1);
    let index = b.push(&tags, age);
    let children = [b.push(&[], age + minute), b.push(&[], age + minute)];
    for i in 0..fillers {
        b.push(&[], hours(i + 1));
    }
    let child_digests: Vec<_> = children.iter().filter_map(|&c| b.digest_of(c)).collect();
    b.image_mut(index)?.children = child_digests.clone().into();
    let images = b.into_images();

    // Were the children not listed, the rule would expire them: it marks them.
    let mut unlinked = images.clone();
    unlinked[index].children = Box::new([]);
    let without = simulate(cx.policy, &unlinked, cx.now);
    let marked = child_digests.iter().all(|d| without.expired.contains(d));

    let rows = rows(cx.policy, images, cx.now);
    let p = filter.priority;
    let held = children.iter().all(|&c| {
        rows[c].ecr
            == Fate {
                treatment: Treatment::Kept,
                rule: Some(p),
            }
            && rows[c].meant
                == Fate {
                    treatment: Treatment::Expired,
                    rule: Some(p),
                }
    });
    let index_stays = rows[index].ecr.treatment != Treatment::Expired;
    if !(marked && held && index_stays) {
        return None;
    }
    let index_owner = match (rows[index].ecr.rule, rows[index].ecr.treatment) {
        (None, _) => ", which no rule selects".to_string(),
        (Some(o), Treatment::Archived) => format!(", which rule {o} archives"),
        (Some(o), _) => format!(", which rule {o} keeps"),
    };
    let explanation = format!(
        "#{} and #{} are the untagged children of the image index #{} (tagged `{}`){index_owner}. \
         Rule {p} marks them, and read in order it expires them, but ECR keeps them \
         while #{} exists; were they not listed by an index, rule {p} would expire them.",
        children[0] + 1,
        children[1] + 1,
        index + 1,
        tags.join("`, `"),
        index + 1,
    );
    Some(Example { rows, explanation })
}
