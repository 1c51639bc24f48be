//! A rule's tag filter: what `tagStatus` and its one list say together. The wire model
//! ([`Selection`]) holds any combination so the validator can name what is wrong; a
//! [`ValidPolicy`](super::ValidPolicy) holds one of these per rule, and everything that reads a
//! rule's tag filter (the simulator, lint, import, the compiler's output) reads this type.

use super::error::NativeErrorKind as K;
use super::model::{Selection, TagStatus};
use crate::glob::{self, Pattern, Syntax};

/// An ECR tag filter. A list is AND: every entry must match some tag of the image.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TagFilter {
    /// `tagStatus: any`: every image.
    Any,
    /// `tagStatus: untagged`.
    Untagged,
    /// `tagStatus: tagged` with a `tagPatternList` (`*` is the only wildcard).
    Tagged(Vec<String>),
    /// `tagStatus: tagged` with a `tagPrefixList`.
    TaggedPrefixes(Vec<String>),
}

/// Which list a `tagged` filter has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Patterns,
    Prefixes,
}

impl ListKind {
    /// The policy's member name: `tagPatternList` or `tagPrefixList`.
    pub fn member(self) -> &'static str {
        match self {
            ListKind::Patterns => "tagPatternList",
            ListKind::Prefixes => "tagPrefixList",
        }
    }

    /// How an entry of the list is read.
    pub fn syntax(self) -> Syntax {
        match self {
            ListKind::Patterns => Syntax::Ecr,
            ListKind::Prefixes => Syntax::Prefix,
        }
    }
}

impl TagFilter {
    /// The filter a selection states, or what ECR refuses in it: `tagged` needs exactly one
    /// non-empty list, the other statuses none.
    pub(crate) fn read(sel: &Selection) -> Result<TagFilter, Vec<K>> {
        let (patterns, prefixes) = (&sel.tag_pattern_list, &sel.tag_prefix_list);
        match (sel.tag_status, patterns, prefixes) {
            (TagStatus::Any, None, None) => return Ok(TagFilter::Any),
            (TagStatus::Untagged, None, None) => return Ok(TagFilter::Untagged),
            (TagStatus::Tagged, Some(list), None) if !list.is_empty() => {
                return Ok(TagFilter::Tagged(list.clone()));
            }
            (TagStatus::Tagged, None, Some(list)) if !list.is_empty() => {
                return Ok(TagFilter::TaggedPrefixes(list.clone()));
            }
            _ => {}
        }
        let lists = [("tagPatternList", patterns), ("tagPrefixList", prefixes)];
        let mut problems = Vec::new();
        if sel.tag_status == TagStatus::Tagged {
            match (patterns, prefixes) {
                (None, None) => problems.push(K::TaggedWithoutList),
                (Some(_), Some(_)) => problems.push(K::TaggedWithBothLists),
                _ => {}
            }
            for (field, list) in lists {
                if list.as_ref().is_some_and(Vec::is_empty) {
                    problems.push(K::EmptyTagList { field });
                }
            }
        } else {
            for (field, list) in lists {
                if list.is_some() {
                    problems.push(K::TagListNotAllowed {
                        field,
                        status: sel.tag_status,
                    });
                }
            }
        }
        Err(problems)
    }

    pub fn status(&self) -> TagStatus {
        match self {
            TagFilter::Any => TagStatus::Any,
            TagFilter::Untagged => TagStatus::Untagged,
            TagFilter::Tagged(_) | TagFilter::TaggedPrefixes(_) => TagStatus::Tagged,
        }
    }

    /// The list of a `tagged` filter, as written.
    pub fn list(&self) -> Option<(ListKind, &[String])> {
        match self {
            TagFilter::Any | TagFilter::Untagged => None,
            TagFilter::Tagged(list) => Some((ListKind::Patterns, list)),
            TagFilter::TaggedPrefixes(list) => Some((ListKind::Prefixes, list)),
        }
    }

    /// `tagPatternList` and `tagPrefixList` as the wire model holds them.
    pub(crate) fn wire_lists(&self) -> (Option<Vec<String>>, Option<Vec<String>>) {
        match self {
            TagFilter::Any | TagFilter::Untagged => (None, None),
            TagFilter::Tagged(list) => (Some(list.clone()), None),
            TagFilter::TaggedPrefixes(list) => (None, Some(list.clone())),
        }
    }

    /// Whether ECR's reading of the filter selects an image with these tags.
    pub fn matches<S: AsRef<str>>(&self, tags: &[S]) -> bool {
        let (syntax, list) = match self {
            TagFilter::Any => return true,
            TagFilter::Untagged => return tags.is_empty(),
            TagFilter::Tagged(list) => (Syntax::Ecr, list),
            TagFilter::TaggedPrefixes(list) => (Syntax::Prefix, list),
        };
        let some_tag = |entry: &String| {
            tags.iter()
                .any(|t| glob::matches(syntax, entry, t.as_ref()))
        };
        !tags.is_empty() && list.iter().all(some_tag)
    }

    /// The entries of the list as automata, for the questions lint asks of them.
    pub(crate) fn patterns(&self) -> Vec<Pattern> {
        self.list()
            .map(|(kind, list)| {
                list.iter()
                    .map(|entry| Pattern::new(kind.syntax(), entry))
                    .collect()
            })
            .unwrap_or_default()
    }
}
