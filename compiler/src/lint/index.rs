//! Untagged and `any` rules meet the children of image indexes. The images a
//! multi-architecture index lists are untagged, so such a rule selects them, but ECR does not
//! delete an image that a live index lists (a delete fails with
//! `ImageReferencedByManifestList`): they stay as long as their index, however old, and go
//! once it is deleted. A note about expectations rather than a finding: the policy does what
//! it says, and the note is only raised where image indexes may be (always for a policy file;
//! against a registry, for repositories that hold one).

use crate::native::{ActionType, CountType, NativeRule, StorageClass, simulate};

use super::example::{Builder, MAX_IMAGES, acting_age, hours, rows};
use super::filter::Filter;
use super::patterns::Pat;
use super::{Cx, Example, Fate, Finding, Indexes, Issue, Shows, Treatment};

pub(crate) fn check(cx: &Cx, rule: &NativeRule, filter: &Filter) -> Option<Finding> {
    if filter.class != StorageClass::Standard
        || !filter.selects_untagged()
        || rule.action.action_type != ActionType::Expire
    {
        return None;
    }
    // Repositories known to hold no image index have no children to note.
    if let Indexes::Held(held) = cx.indexes
        && held.is_empty()
    {
        return None;
    }
    let higher = cx.higher(filter.class, filter.priority);
    // Untagged images, children included, belong to a higher untagged rule if there is one.
    if higher.iter().any(|h| h.selects_untagged()) {
        return None;
    }
    let example = example(cx, rule, filter, &higher)?;
    let issue = Issue::UntaggedHitsIndexChildren {
        rule: filter.public(),
        count: (rule.selection.count_type == CountType::ImageCountMoreThan)
            .then_some(rule.selection.count_number),
        indexes: cx.indexes.clone(),
    };
    Some(cx.finding(issue, filter.priority, None, example))
}

/// A tagged index listing two untagged children the rule marks, with enough newer images
/// for a count to reach them. The index is tried with a tag no higher rule selects, then
/// with a tag of each higher rule, until one stays while the rule marks its children.
fn example(cx: &Cx, rule: &NativeRule, filter: &Filter, higher: &[&Filter]) -> Option<Example> {
    let all_higher: Vec<&Pat> = higher.iter().flat_map(|h| &h.entries).collect();
    // `latest` is what an index is usually tagged; any other tag no higher rule selects will do.
    let latest = Pat::ecr("latest");
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
    let shows = Shows::IndexChildren {
        rule: p,
        index,
        children: children.to_vec(),
    };
    Some(Example { rows, shows })
}
