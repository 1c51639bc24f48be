//! `newest: N` ranked by version and counted per group (DESIGN.md §3.5). Plain `newest: N`
//! (one count by push time) stays in the parent: it is what ECR does, and the order every
//! count breaks its ties with.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Group, Reason, by_recency};
use crate::dsl::policy::{Newest, Order};
use crate::image::Image;
use crate::version::{self, Version};

/// For each governed image: whether `newest` keeps it, and its rank in the group where it
/// ranks best (an image is kept if any of its groups keeps it).
pub(super) fn ranked(
    n: &Newest,
    members: &[usize],
    images: &[Image],
) -> Vec<(usize, bool, Reason)> {
    let versions: HashMap<usize, (Version, &str)> = match n.by {
        Order::Push => HashMap::new(),
        Order::Version => members
            .iter()
            .filter_map(|&i| version::of_image(&images[i]).map(|v| (i, v)))
            .collect(),
    };
    let order = match n.by {
        Order::Push => by_recency(members, images),
        Order::Version => by_version(members, images, &versions),
    };
    // Each group's images in rank order (groups in a fixed order, so ties between groups
    // are settled the same way every time).
    let mut groups: BTreeMap<Option<Group>, Vec<usize>> = BTreeMap::new();
    for &i in &order {
        for g in groups_of(n, &images[i]) {
            groups.entry(g).or_default().push(i);
        }
    }
    let mut best: HashMap<usize, (usize, &Option<Group>)> = HashMap::new();
    for (g, list) in &groups {
        for (rank, &i) in list.iter().enumerate() {
            let rank = rank + 1;
            let entry = best.entry(i).or_insert((rank, g));
            if rank < entry.0 {
                *entry = (rank, g);
            }
        }
    }
    members
        .iter()
        .filter_map(|&i| {
            let &(rank, group) = best.get(&i)?;
            let reason = Reason::Ranked {
                rank,
                limit: n.count.value,
                by: n.by,
                version: versions.get(&i).map(|(_, tag)| tag.to_string()),
                group: group.clone(),
            };
            Some((i, rank <= n.count.value as usize, reason))
        })
        .collect()
}

/// Highest version first (equal versions: newer push first, then digest ascending), then the
/// images without a version by push time, as every count orders them.
fn by_version(
    members: &[usize],
    images: &[Image],
    versions: &HashMap<usize, (Version, &str)>,
) -> Vec<usize> {
    let mut versioned: Vec<(usize, &Version)> = Vec::new();
    let mut plain: Vec<usize> = Vec::new();
    for &i in members {
        match versions.get(&i) {
            Some((v, _)) => versioned.push((i, v)),
            None => plain.push(i),
        }
    }
    versioned.sort_by(|(a, va), (b, vb)| {
        vb.cmp(va)
            .then(images[*b].pushed_at.cmp(&images[*a].pushed_at))
            .then(images[*a].digest.cmp(&images[*b].digest))
    });
    let mut order: Vec<usize> = versioned.into_iter().map(|(i, _)| i).collect();
    order.extend(by_recency(&plain, images));
    order
}

/// The groups an image belongs to: one per distinct capture tuple among its tags, or the
/// group of images no tag of which matches; `[None]` without `per`.
fn groups_of(n: &Newest, image: &Image) -> Vec<Option<Group>> {
    let Some(per) = &n.per else {
        return vec![None];
    };
    let named: BTreeSet<Group> = image
        .tags
        .iter()
        .filter_map(|t| per.captures(t))
        .map(Group::Captures)
        .collect();
    if named.is_empty() {
        return vec![Some(Group::Unmatched)];
    }
    named.into_iter().map(Some).collect()
}

#[cfg(test)]
mod tests;
