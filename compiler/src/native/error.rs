//! Why a native lifecycle policy was refused.
//!
//! One error per problem, each naming the rule it is about (by its place in `rules` and its
//! `rulePriority`) so a policy with several mistakes is fixed in one pass.

use std::fmt;

use super::model::{CountType, StorageClass, TagStatus};

/// A problem with a native lifecycle policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeError {
    /// The rule the problem is in; `None` for problems of the whole policy.
    pub rule: Option<RuleRef>,
    /// Where in the JSON text, for syntax and type errors; semantic checks have no position.
    pub position: Option<Position>,
    pub kind: NativeErrorKind,
}

/// A rule by its 0-based place in the `rules` array and its `rulePriority`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleRef {
    pub index: usize,
    pub priority: i64,
}

/// A 1-based line and column in the policy text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// What is wrong. The messages name JSON members in backticks, as the policy spells them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NativeErrorKind {
    /// The text is not JSON of the policy's shape (bad syntax, wrong type, unknown or missing key).
    Syntax {
        message: String,
    },
    /// A member is `null`; ECR refuses nulls where a value is expected.
    Null,
    TextTooLong {
        chars: usize,
        max: usize,
    },
    TextTooShort {
        chars: usize,
        min: usize,
    },
    NoRules,
    TooManyRules {
        count: usize,
        max: usize,
    },
    PriorityNotPositive,
    PriorityTooLarge {
        max: i64,
    },
    DuplicatePriority {
        first_index: usize,
    },
    TaggedWithoutList,
    TaggedWithBothLists,
    EmptyTagList {
        field: &'static str,
    },
    TagListNotAllowed {
        field: &'static str,
        status: TagStatus,
    },
    TooManyWildcards {
        pattern: String,
        count: usize,
        max: usize,
    },
    CountNumberNotPositive {
        count_number: i64,
    },
    CountNumberTooLarge {
        count_number: i64,
        max: i64,
    },
    CountUnitMissing {
        count_type: CountType,
    },
    CountUnitNotAllowed {
        count_type: CountType,
    },
    /// `sinceImageTransitioned` on a rule that does not select the archive.
    TransitionedNeedsArchive,
    /// `storageClass: archive` with a count type other than `sinceImageTransitioned`.
    ArchiveNeedsTransitioned {
        count_type: CountType,
    },
    TransitionedNeedsExpire,
    TransitionedTooSoon {
        count_number: i64,
        min: i64,
    },
    PulledNeedsTransition,
    TransitionNeedsTarget,
    TargetNotArchive,
    TargetWithoutTransition,
    SecondUntaggedRule {
        storage_class: StorageClass,
        first_priority: i64,
    },
    AnyNotLast {
        storage_class: StorageClass,
        later_priority: i64,
    },
    DuplicatePrefixSet {
        storage_class: StorageClass,
        other_priority: i64,
    },
}

impl NativeError {
    pub(crate) fn policy(kind: NativeErrorKind) -> NativeError {
        NativeError {
            rule: None,
            position: None,
            kind,
        }
    }

    pub(crate) fn rule(rule: RuleRef, kind: NativeErrorKind) -> NativeError {
        NativeError {
            rule: Some(rule),
            position: None,
            kind,
        }
    }

    /// Converts a serde_json error, keeping its position and naming nulls plainly.
    pub(crate) fn from_json(e: &serde_json::Error) -> NativeError {
        let text = e.to_string();
        // serde_json appends " at line L column C"; the position is kept separately.
        let message = match text.rfind(" at line ") {
            Some(cut) => text.get(..cut).unwrap_or(&text).to_string(),
            None => text,
        };
        let kind = if message.starts_with("invalid type: null") {
            NativeErrorKind::Null
        } else {
            NativeErrorKind::Syntax { message }
        };
        let position = (e.line() > 0).then_some(Position {
            line: e.line(),
            column: e.column(),
        });
        NativeError {
            rule: None,
            position,
            kind,
        }
    }
}

impl fmt::Display for NativeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.position {
            write!(f, "{}:{}: ", p.line, p.column)?;
        }
        if let Some(r) = self.rule {
            write!(f, "rules[{}] (rulePriority {}): ", r.index, r.priority)?;
        }
        fmt::Display::fmt(&self.kind, f)
    }
}

impl std::error::Error for NativeError {}

impl fmt::Display for NativeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use NativeErrorKind as K;
        match self {
            K::Syntax { message } => write!(f, "not a lifecycle policy: {message}"),
            K::Null => f.write_str(
                "`null` is not allowed: ECR rejects JSON nulls, leave the member out instead",
            ),
            K::TextTooLong { chars, max } => write!(
                f,
                "the policy text has {chars} characters; ECR accepts at most {max}"
            ),
            K::TextTooShort { chars, min } => write!(
                f,
                "the policy text has {chars} characters; ECR accepts no fewer than {min}"
            ),
            K::NoRules => f.write_str("the policy has no rules; ECR needs at least one"),
            K::TooManyRules { count, max } => write!(
                f,
                "the policy has {count} rules; ECR accepts at most {max} in one policy"
            ),
            K::PriorityNotPositive => {
                f.write_str("`rulePriority` must be a whole number of at least 1")
            }
            K::PriorityTooLarge { max } => {
                write!(f, "`rulePriority` must be at most {max} (a 32-bit integer)")
            }
            K::DuplicatePriority { first_index } => write!(
                f,
                "`rulePriority` is also used by rules[{first_index}]; every rule needs its own"
            ),
            K::TaggedWithoutList => f.write_str(
                "a `tagged` rule needs a `tagPatternList` or a `tagPrefixList` saying which tags",
            ),
            K::TaggedWithBothLists => f.write_str(
                "a rule may have `tagPatternList` or `tagPrefixList`, not both; split it in two rules",
            ),
            K::EmptyTagList { field } => {
                write!(f, "`{field}` is empty; list at least one tag {}", noun(field))
            }
            K::TagListNotAllowed { field, status } => write!(
                f,
                "`{field}` is only allowed with `tagStatus: tagged`, not `{}`",
                status.as_str()
            ),
            K::TooManyWildcards {
                pattern,
                count,
                max,
            } => write!(
                f,
                "tag pattern `{pattern}` has {count} `*` wildcards; ECR allows at most {max}"
            ),
            K::CountNumberNotPositive { count_number } => write!(
                f,
                "`countNumber` must be a positive whole number, found {count_number}"
            ),
            K::CountNumberTooLarge { count_number, max } => write!(
                f,
                "`countNumber` must be at most {max} (a 32-bit integer), found {count_number}"
            ),
            K::CountUnitMissing { count_type } => write!(
                f,
                "`countType: {}` needs `countUnit: days`",
                count_type.as_str()
            ),
            K::CountUnitNotAllowed { count_type } => write!(
                f,
                "`countUnit` is not allowed with `countType: {}` (only with the `since*` count types)",
                count_type.as_str()
            ),
            K::TransitionedNeedsArchive => f.write_str(
                "`countType: sinceImageTransitioned` needs `storageClass: archive`",
            ),
            K::ArchiveNeedsTransitioned { count_type } => write!(
                f,
                "`storageClass: archive` only works with `countType: sinceImageTransitioned`, not `{}`",
                count_type.as_str()
            ),
            K::TransitionedNeedsExpire => f.write_str(
                "`countType: sinceImageTransitioned` only works with the `expire` action",
            ),
            K::TransitionedTooSoon { count_number, min } => write!(
                f,
                "archived images must stay at least {min} days before a rule may delete them; \
                 `countNumber` is {count_number}"
            ),
            K::PulledNeedsTransition => f.write_str(
                "`countType: sinceImagePulled` only works with the `transition` action; to delete \
                 by pull time, archive first and expire with `sinceImageTransitioned`",
            ),
            K::TransitionNeedsTarget => {
                f.write_str("a `transition` action needs `targetStorageClass: archive`")
            }
            K::TargetNotArchive => f.write_str("`targetStorageClass` can only be `archive`"),
            K::TargetWithoutTransition => {
                f.write_str("`targetStorageClass` is only allowed with the `transition` action")
            }
            K::SecondUntaggedRule {
                storage_class,
                first_priority,
            } => write!(
                f,
                "only one `untagged` rule is allowed per storage class; rulePriority \
                 {first_priority} already selects untagged `{}` images",
                storage_class.as_str()
            ),
            K::AnyNotLast {
                storage_class,
                later_priority,
            } => write!(
                f,
                "a `tagStatus: any` rule must have the highest `rulePriority` of the `{}` rules, \
                 but rulePriority {later_priority} comes after it",
                storage_class.as_str()
            ),
            K::DuplicatePrefixSet {
                storage_class,
                other_priority,
            } => write!(
                f,
                "rulePriority {other_priority} has the same `tagPrefixList`; the `{}` rules must \
                 each have their own set of prefixes",
                storage_class.as_str()
            ),
        }
    }
}

fn noun(field: &str) -> &'static str {
    if field == "tagPrefixList" {
        "prefix"
    } else {
        "pattern"
    }
}
