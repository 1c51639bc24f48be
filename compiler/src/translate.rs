//! From the DSL to ECR's forms (DESIGN.md §3.3): the ECR tag filter that selects exactly what a
//! match selects, the native rule a rule becomes, and the verbatim translation of an
//! `evaluation: ecr` policy. The reference semantics and the compiler both read this; it reads
//! only the DSL and ECR's model.

use crate::diagnostic::Diagnostic;
use crate::dsl::Policy;
use crate::dsl::policy::{ArchiveKeep, Evaluation, Keep, Matcher, Otherwise, RuleId, TagClass};
use crate::glob::Inexpressible;
use crate::native::{self, ValidPolicy};

/// Days in a claim's `sinceImagePushed` (or, in the archive, `sinceImageTransitioned`): a
/// century, so the claim never fires.
pub const CLAIM_DAYS: i64 = 36_500;

/// ECR's tag filter, the one type for it (a prefix list comes only from `evaluation: ecr`).
pub use crate::native::TagFilter;

/// The images of which tag class a filter may select.
pub(crate) fn class(filter: &TagFilter) -> TagClass {
    match filter {
        TagFilter::Any => TagClass::Both,
        TagFilter::Untagged => TagClass::Untagged,
        TagFilter::Tagged(_) | TagFilter::TaggedPrefixes(_) => TagClass::Tagged,
    }
}

/// What a native rule does to the images it may act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeAction {
    /// `imageCountMoreThan N`, expire.
    ExpireBeyondCount(u32),
    /// `sinceImagePushed N days`, expire.
    ExpireOlderThanDays(i64),
    /// `imageCountMoreThan N`, transition to the archive.
    ArchiveBeyondCount(u32),
    /// `sinceImagePushed N days`, transition to the archive.
    ArchiveOlderThanDays(i64),
    /// `sinceImagePulled N days`, transition to the archive.
    ArchiveNotPulledForDays(i64),
    /// In the archive storage class: `sinceImageTransitioned N days`, expire.
    ExpireArchivedAfterDays(i64),
    /// A claim: shields its images from later rules and never fires.
    Claim,
    /// A claim in the archive storage class: shields archived images from later archive rules.
    ClaimArchived,
}

impl NativeAction {
    /// Whether the rule selects archived images rather than active ones.
    pub fn in_archive(self) -> bool {
        matches!(
            self,
            NativeAction::ExpireArchivedAfterDays(_) | NativeAction::ClaimArchived
        )
    }

    /// Whether the rule can ever act on an image (claims never do).
    pub fn acts(self) -> bool {
        !matches!(self, NativeAction::Claim | NativeAction::ClaimArchived)
    }
}

/// One rule of the native policy, before it is written as ECR JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeRuleSpec {
    pub priority: u32,
    pub description: Option<String>,
    pub filter: TagFilter,
    pub action: NativeAction,
    /// The DSL rule it comes from.
    pub rule: RuleId,
}

/// Why ECR cannot select the images a match selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unselectable {
    /// A `where` expression.
    Where,
    /// A regular expression over tags.
    Regex,
    /// A glob ECR's tag patterns cannot express.
    Glob { glob: String, why: Inexpressible },
}

/// The ECR tag filters that together select exactly what a match selects, or why there are
/// none.
pub(crate) fn filters_for(m: &Matcher) -> Result<Vec<TagFilter>, Unselectable> {
    match m {
        Matcher::Any { filter: None } => Ok(vec![TagFilter::Any]),
        Matcher::Untagged { filter: None } => Ok(vec![TagFilter::Untagged]),
        Matcher::Any { filter: Some(_) } | Matcher::Untagged { filter: Some(_) } => {
            Err(Unselectable::Where)
        }
        Matcher::Tagged(t) => {
            if t.filter.is_some() {
                return Err(Unselectable::Where);
            }
            if t.regex.is_some() {
                return Err(Unselectable::Regex);
            }
            for g in t.any_of.iter().chain(&t.all_of) {
                if let Some(why) = g.ecr_inexpressible() {
                    return Err(Unselectable::Glob {
                        glob: g.to_string(),
                        why,
                    });
                }
            }
            let mut all: Vec<String> = Vec::new();
            for g in &t.all_of {
                if !all.contains(&g.to_string()) {
                    all.push(g.to_string());
                }
            }
            // `tags: [v*, "*"]` selects every tagged image, as one filter can.
            let every_tag = t
                .any_of
                .iter()
                .any(|g| g.as_str().chars().all(|c| c == '*'));
            if t.any_of.is_empty() || every_tag {
                // `untagged: false` alone: `*` matches any tag.
                let list = if all.is_empty() {
                    vec!["*".into()]
                } else {
                    all
                };
                return Ok(vec![TagFilter::Tagged(list)]);
            }
            // OR over `tags`: one filter per glob, each AND-ed with `tags_all`.
            Ok(t.any_of
                .iter()
                .map(|g| {
                    let mut list = vec![g.to_string()];
                    list.extend(all.iter().filter(|a| **a != g.as_str()).cloned());
                    TagFilter::Tagged(list)
                })
                .collect())
        }
    }
}

/// The ECR model of the specs.
pub fn to_native(specs: &[NativeRuleSpec]) -> native::LifecyclePolicy {
    native::LifecyclePolicy {
        rules: specs
            .iter()
            .map(|s| {
                let (patterns, prefixes) = s.filter.wire_lists();
                let days = Some(native::CountUnit::Days);
                let (count_type, count_unit, count_number) = match s.action {
                    NativeAction::ExpireBeyondCount(n) | NativeAction::ArchiveBeyondCount(n) => {
                        (native::CountType::ImageCountMoreThan, None, i64::from(n))
                    }
                    NativeAction::ExpireOlderThanDays(d)
                    | NativeAction::ArchiveOlderThanDays(d) => {
                        (native::CountType::SinceImagePushed, days, d)
                    }
                    NativeAction::ArchiveNotPulledForDays(d) => {
                        (native::CountType::SinceImagePulled, days, d)
                    }
                    NativeAction::ExpireArchivedAfterDays(d) => {
                        (native::CountType::SinceImageTransitioned, days, d)
                    }
                    NativeAction::Claim => (native::CountType::SinceImagePushed, days, CLAIM_DAYS),
                    NativeAction::ClaimArchived => {
                        (native::CountType::SinceImageTransitioned, days, CLAIM_DAYS)
                    }
                };
                let transition = matches!(
                    s.action,
                    NativeAction::ArchiveBeyondCount(_)
                        | NativeAction::ArchiveOlderThanDays(_)
                        | NativeAction::ArchiveNotPulledForDays(_)
                );
                native::NativeRule {
                    rule_priority: i64::from(s.priority),
                    description: s.description.clone(),
                    selection: native::Selection {
                        tag_status: s.filter.status(),
                        tag_pattern_list: patterns,
                        tag_prefix_list: prefixes,
                        storage_class: s
                            .action
                            .in_archive()
                            .then_some(native::StorageClass::Archive),
                        count_type,
                        count_unit,
                        count_number,
                    },
                    action: if transition {
                        native::Action::transition_to_archive()
                    } else {
                        native::Action::expire()
                    },
                }
            })
            .collect(),
    }
}

/// Why a rule (when one is at fault) cannot be what the policy asks.
pub type RuleProblem = (Option<RuleId>, String);

/// The ECR tag filter an `evaluation: ecr` match says verbatim.
fn ecr_filter(m: &Matcher) -> Result<TagFilter, String> {
    match m {
        Matcher::Any { filter: None } => Ok(TagFilter::Any),
        Matcher::Untagged { filter: None } => Ok(TagFilter::Untagged),
        Matcher::Tagged(t) if t.filter.is_none() && t.regex.is_none() && t.any_of.len() <= 1 => {
            // `tags_all` is the native list as written (repeats included); a `tags` glob joins
            // it unless already there.
            let all: Vec<String> = t.all_of.iter().map(|g| g.to_string()).collect();
            let patterns: Vec<String> = t
                .any_of
                .iter()
                .map(|g| g.to_string())
                .filter(|g| !all.contains(g))
                .chain(all.iter().cloned())
                .collect();
            match (patterns.is_empty(), t.prefixes.is_empty()) {
                (false, false) => {
                    Err("an ECR rule has either tag patterns or tag prefixes, not both".to_string())
                }
                (true, false) => Ok(TagFilter::TaggedPrefixes(
                    t.prefixes.iter().map(|p| p.value.clone()).collect(),
                )),
                (false, true) => Ok(TagFilter::Tagged(patterns)),
                (true, true) => Ok(TagFilter::Tagged(vec!["*".into()])),
            }
        }
        _ => Err(
            "ECR cannot express this match (a `where`, a regex, or `tags` with several globs)"
                .to_string(),
        ),
    }
}

/// The native policy of an `evaluation: ecr` policy, rule for rule, or why there is none
/// (with the rule at fault, where one is).
pub fn ecr_native(policy: &Policy) -> Result<(Vec<NativeRuleSpec>, ValidPolicy), Vec<RuleProblem>> {
    let mut problems = Vec::new();
    let mut specs = Vec::new();
    let whole = "ECR counts whole days: write the window in days".to_string();
    for (i, rule) in policy.rules.iter().enumerate() {
        let filter = ecr_filter(&rule.matcher);
        let archive = rule.otherwise == Otherwise::Archive;
        let action = match &rule.keep.value {
            Keep::Retain(r) if r.alternatives() == 1 => {
                match (&r.newest, &r.within, &r.pulled_within) {
                    (Some(n), _, _) if !n.by_push_time_alone() => Err(
                        "ECR counts by push time over one tag filter: remove `by` and `per`"
                            .to_string(),
                    ),
                    (Some(n), _, _) if archive => {
                        Ok(NativeAction::ArchiveBeyondCount(n.count.value))
                    }
                    (Some(n), _, _) => Ok(NativeAction::ExpireBeyondCount(n.count.value)),
                    (_, Some(d), _) if !d.is_whole_days() => Err(whole.clone()),
                    (_, Some(d), _) if archive => {
                        Ok(NativeAction::ArchiveOlderThanDays(d.ceil_days()))
                    }
                    (_, Some(d), _) => Ok(NativeAction::ExpireOlderThanDays(d.ceil_days())),
                    (_, _, Some(_)) if !archive => Err(
                        "ECR can only archive by the time of the last pull: add `otherwise: archive`"
                            .to_string(),
                    ),
                    (_, _, Some(d)) if !d.is_whole_days() => Err(whole.clone()),
                    (_, _, Some(d)) => Ok(NativeAction::ArchiveNotPulledForDays(d.ceil_days())),
                    _ => Err(
                        "ECR can express `newest`, `within` and `pulled_within` here".to_string(),
                    ),
                }
            }
            _ => Err(
                "every ECR rule acts on something: keep `newest`, `within` or `pulled_within`"
                    .to_string(),
            ),
        };
        match (filter, action) {
            (Ok(filter), Ok(action)) => specs.push(NativeRuleSpec {
                priority: rule.priority.unwrap_or(i as u32 + 1),
                description: rule.description.clone(),
                filter,
                action,
                rule: RuleId::Rule(i),
            }),
            (Err(e), _) | (_, Err(e)) => {
                problems.push((Some(RuleId::Rule(i)), format!("rule `{}`: {e}", *rule.name)))
            }
        }
    }
    if let Some(a) = &policy.archive {
        // Archive rules, then `expire_after`, each after the rules before it by default.
        let default = a.expire_after.as_ref().map(|d| {
            let any = Matcher::Any { filter: None };
            (
                RuleId::ArchiveDefault,
                any,
                ArchiveKeep::ExpireAfter(d.value),
                a.priority,
                &a.description,
            )
        });
        let rules = a
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    RuleId::Archive(i),
                    r.matcher.value.clone(),
                    r.keep.value,
                    r.priority,
                    &r.description,
                )
            })
            .chain(default);
        for (id, matcher, keep, priority, description) in rules {
            let label = match id {
                RuleId::ArchiveDefault => "`archive`".to_string(),
                _ => format!(
                    "archive rule `{}`",
                    policy.rule_name(id).map_or("", |(n, _)| n)
                ),
            };
            let filter = ecr_filter(&matcher);
            let action = match keep {
                ArchiveKeep::ExpireAfter(d) if d.is_whole_days() => {
                    Ok(NativeAction::ExpireArchivedAfterDays(d.ceil_days()))
                }
                ArchiveKeep::ExpireAfter(_) => {
                    Err("ECR counts whole days: write `expire_after` in days".to_string())
                }
                ArchiveKeep::All => {
                    Err("every ECR rule acts on something: give `expire_after`".to_string())
                }
            };
            match (filter, action) {
                (Ok(filter), Ok(action)) => {
                    let after = specs.iter().map(|s| s.priority).max().unwrap_or(0) + 1;
                    specs.push(NativeRuleSpec {
                        priority: priority.unwrap_or(after),
                        description: description.clone(),
                        filter,
                        action,
                        rule: id,
                    });
                }
                (Err(e), _) | (_, Err(e)) => problems.push((Some(id), format!("{label}: {e}"))),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    match native::validate(to_native(&specs)) {
        Ok(v) => Ok((specs, v)),
        Err(errors) => Err(errors
            .into_iter()
            .map(|e| {
                // The validator counts the native rules, which are the specs in order.
                let rule = e.rule.and_then(|r| specs.get(r.index)).map(|s| s.rule);
                (rule, format!("ECR would refuse this policy: {e}"))
            })
            .collect()),
    }
}

/// With `evaluation: ecr`, every rule must be a native rule, and together ECR must accept
/// them; the errors point at the rules at fault.
pub fn check_ecr(policy: &Policy) -> Result<(), Vec<Diagnostic>> {
    if policy.evaluation != Evaluation::Ecr {
        return Ok(());
    }
    ecr_native(policy).map(|_| ()).map_err(|problems| {
        problems
            .into_iter()
            .map(
                |(rule, message)| match rule.and_then(|r| policy.rule_name(r)) {
                    Some((_, span)) => Diagnostic::error(message, span)
                        .with_help("with `evaluation: ecr` every rule must be one ECR can express"),
                    None => Diagnostic::file_error(message),
                },
            )
            .collect()
    })
}
