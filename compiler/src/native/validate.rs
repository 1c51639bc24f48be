//! The rules ECR documents for lifecycle policies, checked before a policy is sent or simulated.
//!
//! Sources (Amazon ECR User Guide): "Lifecycle policy properties in Amazon ECR",
//! "Lifecycle policy evaluation rules", "Examples of lifecycle policies in Amazon ECR",
//! "Amazon ECR service quotas", and the `PutLifecyclePolicy` API reference. The tests in
//! `native/tests/validate.rs` quote the sentence behind each check.

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::ops::Deref;

use super::error::{NativeError, NativeErrorKind as K, RuleRef};
use super::filter::TagFilter;
use super::model::{ActionType, CountType, LifecyclePolicy, NativeRule, StorageClass, TagStatus};

pub use crate::limits::{
    MAX_INTEGER, MAX_POLICY_CHARS, MAX_RULES, MAX_WILDCARDS, MIN_ARCHIVE_DAYS, MIN_POLICY_CHARS,
};

/// A policy that passed every documented check. Only this module can make one, so code that
/// takes a `ValidPolicy` (the simulator, the writer) never sees a policy ECR would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPolicy {
    policy: LifecyclePolicy,
    /// Each rule's tag filter, typed, in the order of `policy.rules`.
    filters: Vec<TagFilter>,
}

impl ValidPolicy {
    pub fn as_policy(&self) -> &LifecyclePolicy {
        &self.policy
    }

    pub fn into_policy(self) -> LifecyclePolicy {
        self.policy
    }

    /// Each rule with its tag filter, in the policy's order.
    pub fn filtered_rules(&self) -> impl Iterator<Item = (&NativeRule, &TagFilter)> {
        self.policy.rules.iter().zip(&self.filters)
    }
}

impl Deref for ValidPolicy {
    type Target = LifecyclePolicy;

    fn deref(&self) -> &LifecyclePolicy {
        &self.policy
    }
}

/// Reads policy text and checks it. The length limits apply to `text` itself, since that is
/// what would be sent; every problem found is returned, not just the first.
pub fn parse_and_validate(text: &str) -> Result<ValidPolicy, Vec<NativeError>> {
    let mut errors = Vec::new();
    check_length(text.chars().count(), &mut errors);
    match LifecyclePolicy::from_json(text) {
        Ok(policy) => {
            let filters = check_rules(&policy, &mut errors);
            finish(policy, filters, errors)
        }
        Err(e) => {
            errors.push(e);
            Err(errors)
        }
    }
}

/// Checks a policy built in code. The length limits apply to `to_json_pretty()`, the text
/// this tool writes.
pub fn validate(policy: LifecyclePolicy) -> Result<ValidPolicy, Vec<NativeError>> {
    let mut errors = Vec::new();
    check_length(policy.to_json_pretty().chars().count(), &mut errors);
    let filters = check_rules(&policy, &mut errors);
    finish(policy, filters, errors)
}

fn finish(
    policy: LifecyclePolicy,
    filters: Vec<Option<TagFilter>>,
    errors: Vec<NativeError>,
) -> Result<ValidPolicy, Vec<NativeError>> {
    // A rule without a filter always left its error.
    match filters.into_iter().collect::<Option<Vec<TagFilter>>>() {
        Some(filters) if errors.is_empty() => Ok(ValidPolicy { policy, filters }),
        _ => Err(errors),
    }
}

fn check_length(chars: usize, errors: &mut Vec<NativeError>) {
    if chars > MAX_POLICY_CHARS {
        errors.push(NativeError::policy(K::TextTooLong {
            chars,
            max: MAX_POLICY_CHARS,
        }));
    } else if chars < MIN_POLICY_CHARS {
        errors.push(NativeError::policy(K::TextTooShort {
            chars,
            min: MIN_POLICY_CHARS,
        }));
    }
}

/// Checks every rule, and reads each one's tag filter (`None` where it is refused).
fn check_rules(policy: &LifecyclePolicy, errors: &mut Vec<NativeError>) -> Vec<Option<TagFilter>> {
    let rules = &policy.rules;
    let mut filters = Vec::with_capacity(rules.len());
    if rules.is_empty() {
        errors.push(NativeError::policy(K::NoRules));
    } else if rules.len() > MAX_RULES {
        errors.push(NativeError::policy(K::TooManyRules {
            count: rules.len(),
            max: MAX_RULES,
        }));
    }

    let mut first_with_priority: BTreeMap<i64, usize> = BTreeMap::new();
    for (index, rule) in rules.iter().enumerate() {
        let at = RuleRef {
            index,
            priority: rule.rule_priority,
        };
        let mut push = |kind| errors.push(NativeError::rule(at, kind));
        if rule.rule_priority < 1 {
            push(K::PriorityNotPositive);
        } else if rule.rule_priority > MAX_INTEGER {
            push(K::PriorityTooLarge { max: MAX_INTEGER });
        }
        match first_with_priority.get(&rule.rule_priority) {
            Some(&first_index) => push(K::DuplicatePriority { first_index }),
            None => {
                first_with_priority.insert(rule.rule_priority, index);
            }
        }
        match TagFilter::read(&rule.selection) {
            Ok(filter) => filters.push(Some(filter)),
            Err(kinds) => {
                filters.push(None);
                kinds.into_iter().for_each(&mut push);
            }
        }
        for kind in rule_problems(rule) {
            push(kind);
        }
    }

    for class in [StorageClass::Standard, StorageClass::Archive] {
        check_storage_class(rules, class, errors);
    }
    filters
}

/// Problems a rule has on its own, without looking at the other rules (its tag filter aside).
fn rule_problems(rule: &NativeRule) -> Vec<K> {
    let mut out = Vec::new();
    let sel = &rule.selection;
    for pattern in sel.tag_pattern_list.iter().flatten() {
        let count = pattern.matches('*').count();
        if count > MAX_WILDCARDS {
            out.push(K::TooManyWildcards {
                pattern: pattern.clone(),
                count,
                max: MAX_WILDCARDS,
            });
        }
    }

    let count_type = sel.count_type;
    if sel.count_number < 1 {
        out.push(K::CountNumberNotPositive {
            count_number: sel.count_number,
        });
    } else if sel.count_number > MAX_INTEGER {
        out.push(K::CountNumberTooLarge {
            count_number: sel.count_number,
            max: MAX_INTEGER,
        });
    }
    match (count_type.is_age(), sel.count_unit.is_some()) {
        (true, false) => out.push(K::CountUnitMissing { count_type }),
        (false, true) => out.push(K::CountUnitNotAllowed { count_type }),
        _ => {}
    }

    let archive = rule.storage_class() == StorageClass::Archive;
    let action = rule.action.action_type;
    if count_type == CountType::SinceImageTransitioned {
        if sel.storage_class != Some(StorageClass::Archive) {
            out.push(K::TransitionedNeedsArchive);
        }
        if action != ActionType::Expire {
            out.push(K::TransitionedNeedsExpire);
        }
        if (1..MIN_ARCHIVE_DAYS).contains(&sel.count_number) {
            out.push(K::TransitionedTooSoon {
                count_number: sel.count_number,
                min: MIN_ARCHIVE_DAYS,
            });
        }
    } else if archive {
        out.push(K::ArchiveNeedsTransitioned { count_type });
    }
    if count_type == CountType::SinceImagePulled && action != ActionType::Transition {
        out.push(K::PulledNeedsTransition);
    }

    match (action, rule.action.target_storage_class) {
        (ActionType::Transition, None) => out.push(K::TransitionNeedsTarget),
        (ActionType::Transition, Some(StorageClass::Standard)) => out.push(K::TargetNotArchive),
        (ActionType::Expire, Some(_)) => out.push(K::TargetWithoutTransition),
        _ => {}
    }
    out
}

/// Checks that involve several rules of one storage class.
fn check_storage_class(rules: &[NativeRule], class: StorageClass, errors: &mut Vec<NativeError>) {
    let members: Vec<(usize, &NativeRule)> = rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.storage_class() == class)
        .collect();
    let at = |index: usize, rule: &NativeRule| RuleRef {
        index,
        priority: rule.rule_priority,
    };

    let mut first_untagged: Option<i64> = None;
    let mut prefix_sets: BTreeMap<BTreeSet<&str>, i64> = BTreeMap::new();
    for &(index, rule) in &members {
        let sel = &rule.selection;
        if sel.tag_status == TagStatus::Untagged {
            match first_untagged {
                Some(first_priority) => errors.push(NativeError::rule(
                    at(index, rule),
                    K::SecondUntaggedRule {
                        storage_class: class,
                        first_priority,
                    },
                )),
                None => first_untagged = Some(rule.rule_priority),
            }
        }
        if sel.tag_status == TagStatus::Any
            && let Some(later) = members
                .iter()
                .map(|(_, r)| r.rule_priority)
                .filter(|&p| p > rule.rule_priority)
                .max()
        {
            errors.push(NativeError::rule(
                at(index, rule),
                K::AnyNotLast {
                    storage_class: class,
                    later_priority: later,
                },
            ));
        }
        if let Some(list) = &sel.tag_prefix_list {
            let set: BTreeSet<&str> = list.iter().map(String::as_str).collect();
            match prefix_sets.get(&set) {
                Some(&other_priority) => errors.push(NativeError::rule(
                    at(index, rule),
                    K::DuplicatePrefixSet {
                        storage_class: class,
                        other_priority,
                    },
                )),
                None => {
                    prefix_sets.insert(set, rule.rule_priority);
                }
            }
        }
    }
}
