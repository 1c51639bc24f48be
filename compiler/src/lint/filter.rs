//! A native rule's tag filter, read two ways: as ECR reads it (a list is AND: every entry
//! must match one of the image's tags) and as the rule order suggests to a reader (a list
//! matches when any entry does). Lint compares the two readings.

use crate::image::Image;
use crate::native::{NativeRule, StorageClass, TagFilter, TagStatus};

use super::RuleFilter;
use super::patterns::{Pat, subsumes};

/// How a filter's list is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    /// ECR: every entry matches some tag.
    Ecr,
    /// What people read: some entry matches some tag.
    Meant,
}

/// A rule's priority, storage class and tag filter: the part of a rule that decides which
/// images it selects, with the filter's entries as automata for lint's questions.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    pub priority: i64,
    pub class: StorageClass,
    pub tags: TagFilter,
    /// The entries of the tag list as automata (empty unless `tagged`).
    pub entries: Vec<Pat>,
}

impl Filter {
    pub(crate) fn of(rule: &NativeRule, tags: &TagFilter) -> Filter {
        Filter {
            priority: rule.rule_priority,
            class: rule.storage_class(),
            tags: tags.clone(),
            entries: tags.patterns(),
        }
    }

    pub(crate) fn status(&self) -> TagStatus {
        self.tags.status()
    }

    /// The list's entries as written (empty unless `tagged`).
    pub(crate) fn texts(&self) -> &[String] {
        self.tags.list().map_or(&[], |(_, list)| list)
    }

    /// The rule as findings name it.
    pub(crate) fn public(&self) -> RuleFilter {
        RuleFilter {
            priority: self.priority,
            tags: self.tags.clone(),
        }
    }

    /// Whether the filter's tag condition holds for the image (storage class aside).
    pub(crate) fn matches(&self, image: &Image, reading: Reading) -> bool {
        let has = |p: &Pat| image.tags.iter().any(|t| p.matches(t));
        match reading {
            Reading::Ecr => self.tags.matches(&image.tags),
            Reading::Meant => match self.status() {
                TagStatus::Tagged => image.is_tagged() && self.entries.iter().any(has),
                _ => self.tags.matches(&image.tags),
            },
        }
    }

    pub(crate) fn selects_untagged(&self) -> bool {
        self.status() != TagStatus::Tagged
    }

    pub(crate) fn selects_tagged(&self) -> bool {
        self.status() != TagStatus::Untagged
    }
}

pub(crate) use crate::import::quoted_list as quoted;

/// The priorities of higher rules that together select every image `rule` selects, when that
/// can be proved: its untagged images by one rule, its tagged images by one rule. `higher`
/// must hold only rules of the same storage class with a smaller priority, in priority order.
pub(crate) fn covering(rule: &Filter, higher: &[&Filter], reading: Reading) -> Option<Vec<i64>> {
    let mut by = Vec::new();
    if rule.selects_untagged() {
        by.push(higher.iter().find(|h| h.selects_untagged())?.priority);
    }
    if rule.selects_tagged() {
        let part = (rule.status() == TagStatus::Tagged).then_some(rule.entries.as_slice());
        by.push(
            higher
                .iter()
                .find(|h| covers_tagged(h, part, reading))?
                .priority,
        );
    }
    by.sort_unstable();
    by.dedup();
    Some(by)
}

/// Whether `h` selects every tagged image that `part` selects (`None`: every tagged image).
fn covers_tagged(h: &Filter, part: Option<&[Pat]>, reading: Reading) -> bool {
    match h.status() {
        TagStatus::Any => true,
        TagStatus::Untagged => false,
        TagStatus::Tagged => match (reading, part) {
            // An image with a tag for each of the inner entries has, for each outer entry,
            // the tag of an inner entry it subsumes.
            (Reading::Ecr, Some(inner)) => h
                .entries
                .iter()
                .all(|outer| inner.iter().any(|i| subsumes(outer, i))),
            (Reading::Ecr, None) => h.entries.iter().all(Pat::is_universal),
            // A tag matching any inner entry matches an outer entry that subsumes it.
            (Reading::Meant, Some(inner)) => inner
                .iter()
                .all(|i| h.entries.iter().any(|outer| subsumes(outer, i))),
            (Reading::Meant, None) => h.entries.iter().any(Pat::is_universal),
        },
    }
}
