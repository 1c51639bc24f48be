//! Lint of native lifecycle policies: the places where ECR's evaluation (DESIGN.md §3.2) does
//! something other than what the rule order suggests, each shown on a small set of example
//! images that the simulator confirms, and the policy file that says what was meant.
//!
//! The traps:
//! - a count that includes images a higher-priority rule protects ([`FindingKind::CountIncludesProtected`]);
//! - a list of several patterns or prefixes, which ECR reads as AND ([`FindingKind::AndListMeantAsOr`]);
//! - a rule that never acts because higher rules select all its images first ([`FindingKind::Shadowed`]);
//! - an untagged or `any` rule that expires the untagged children of image indexes, which ECR
//!   does not delete while their index exists ([`FindingKind::UntaggedHitsIndexChildren`]);
//! - anything ECR refuses ([`FindingKind::Invalid`]).
//!
//! A finding other than `Invalid` is only reported with an example the simulator confirms.

mod and_list;
mod count;
mod example;
mod filter;
mod index;
mod meant;
mod patterns;
mod positions;
mod shadow;
mod suggest;

use jiff::Timestamp;

use crate::image::Image;
use crate::native::{
    LifecyclePolicy, NativeError, NativeRule, Position, RuleRef, StorageClass, ValidPolicy,
    parse_and_validate, validate,
};

pub use suggest::Suggestion;

use filter::Filter;

/// One surprise in a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: FindingKind,
    /// The rule it is about; `None` for a problem of the whole policy.
    pub rule: Option<RuleRef>,
    /// The higher-priority rule involved: the one that protects, shadows or is counted.
    pub other: Option<RuleRef>,
    /// Where the rule starts in the policy text, when the text was given.
    pub position: Option<Position>,
    pub message: String,
    /// Images that show it; present for every kind but `Invalid`.
    pub example: Option<Example>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    /// ECR refuses the policy.
    Invalid,
    /// Higher rules select every image this rule selects, so it never acts.
    Shadowed,
    /// An `imageCountMoreThan` count includes images a higher-priority rule protects.
    CountIncludesProtected,
    /// A list of several entries, which ECR reads as AND.
    AndListMeantAsOr,
    /// An untagged or `any` rule expires index children, which stay while their index lives.
    UntaggedHitsIndexChildren,
}

impl FindingKind {
    /// The stable name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Invalid => "invalid",
            FindingKind::Shadowed => "shadowed",
            FindingKind::CountIncludesProtected => "count-includes-protected",
            FindingKind::AndListMeantAsOr => "and-list-meant-as-or",
            FindingKind::UntaggedHitsIndexChildren => "untagged-hits-index-children",
        }
    }
}

/// Example images, newest first, with what ECR does to each and what the rule order suggests.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub rows: Vec<Row>,
    /// What the example shows, naming images by their place (`#1` is the first row).
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub image: Image,
    /// What ECR does (the simulator), and the one rule allowed to act on the image.
    pub ecr: Fate,
    /// What the rule order suggests, and the rule that governs the image in that reading.
    pub meant: Fate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fate {
    pub treatment: Treatment,
    /// The rule's priority; `None` when no rule selects the image.
    pub rule: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Treatment {
    Kept,
    Expired,
    Archived,
}

impl Treatment {
    pub fn as_str(self) -> &'static str {
        match self {
            Treatment::Kept => "kept",
            Treatment::Expired => "expired",
            Treatment::Archived => "archived",
        }
    }
}

/// Everything lint says about one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// The policy file that says what was meant; `None` when there is nothing to fix.
    pub suggestion: Option<Suggestion>,
}

/// Lints policy text. `repositories` go into the suggested policy file (`None`: unknown).
/// Text that is not a lifecycle policy is an error; a policy ECR refuses gives `Invalid`
/// findings, and the other checks wait until it is accepted.
pub fn lint(
    text: &str,
    now: Timestamp,
    repositories: Option<&[String]>,
) -> Result<Report, NativeError> {
    // Text that does not parse is an error, not a finding: there is no policy to lint.
    LifecyclePolicy::from_json(text)?;
    let checked = parse_and_validate(text);
    let mut findings = findings(checked.as_ref(), now);
    let starts = positions::rule_starts(text);
    for f in &mut findings {
        f.position = f.rule.and_then(|r| starts.get(r.index).copied().flatten());
    }
    let suggestion = (!findings.is_empty()).then(|| match &checked {
        Ok(valid) => suggest::suggest(valid, repositories),
        Err(_) => Suggestion::Declined(
            "ECR refuses this policy; fix what it refuses first, then lint it again".into(),
        ),
    });
    Ok(Report {
        findings,
        suggestion,
    })
}

/// Lints a policy built in code (the length limit applies to its pretty-printed text).
pub fn check(policy: &LifecyclePolicy, now: Timestamp) -> Vec<Finding> {
    findings(validate(policy.clone()).as_ref(), now)
}

fn findings(checked: Result<&ValidPolicy, &Vec<NativeError>>, now: Timestamp) -> Vec<Finding> {
    match checked {
        Ok(valid) => traps(valid, now),
        Err(errors) => {
            let mut found: Vec<Finding> = errors.iter().map(invalid).collect();
            // Problems of the whole policy first, then by rule priority.
            found.sort_by_key(|f| f.rule.map(|r| r.priority));
            found
        }
    }
}

fn invalid(error: &NativeError) -> Finding {
    Finding {
        kind: FindingKind::Invalid,
        rule: error.rule,
        other: None,
        position: None,
        message: format!("{}.", capitalized(&error.kind.to_string())),
        example: None,
    }
}

/// The rules of a valid policy in priority order, for the checks.
pub(crate) struct Cx<'a> {
    pub policy: &'a ValidPolicy,
    pub now: Timestamp,
    /// Each rule with its place in `rules` and its filter, by ascending priority.
    pub rules: Vec<(usize, &'a NativeRule, Filter)>,
}

impl<'a> Cx<'a> {
    fn new(policy: &'a ValidPolicy, now: Timestamp) -> Cx<'a> {
        let mut rules: Vec<(usize, &NativeRule, Filter)> = policy
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (i, r, Filter::of(r)))
            .collect();
        rules.sort_by_key(|(_, r, _)| r.rule_priority);
        Cx { policy, now, rules }
    }

    /// The filters of the rules of `class` with a smaller priority than `priority`, in order.
    pub(crate) fn higher(&self, class: StorageClass, priority: i64) -> Vec<&Filter> {
        self.rules
            .iter()
            .map(|(_, _, f)| f)
            .filter(|f| f.class == class && f.priority < priority)
            .collect()
    }

    pub(crate) fn rule_ref(&self, priority: i64) -> Option<RuleRef> {
        self.rules
            .iter()
            .find(|(_, r, _)| r.rule_priority == priority)
            .map(|(index, r, _)| RuleRef {
                index: *index,
                priority: r.rule_priority,
            })
    }

    pub(crate) fn finding(
        &self,
        kind: FindingKind,
        priority: i64,
        other: Option<i64>,
        message: String,
        example: Example,
    ) -> Finding {
        Finding {
            kind,
            rule: self.rule_ref(priority),
            other: other.and_then(|p| self.rule_ref(p)),
            position: None,
            message,
            example: Some(example),
        }
    }
}

/// Every trap, rule by rule in priority order. A shadowed rule never acts, so nothing else
/// is said about it.
fn traps(policy: &ValidPolicy, now: Timestamp) -> Vec<Finding> {
    let cx = Cx::new(policy, now);
    let mut out = Vec::new();
    for (_, rule, filter) in &cx.rules {
        if let Some(f) = shadow::check(&cx, rule, filter) {
            out.push(f);
            continue;
        }
        out.extend(count::check(&cx, rule, filter));
        out.extend(and_list::check(&cx, rule, filter));
        out.extend(index::check(&cx, rule, filter));
    }
    out
}

/// `rule 2 (`tagged ["prod*"]`)`, how messages name a rule.
pub(crate) fn named(filter: &Filter) -> String {
    format!("rule {} (`{}`)", filter.priority, filter.describe())
}

/// The text with its first letter upper-case, to start a sentence.
pub(crate) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `#3`, or `#2 and #3`, or `#1, #2 and #5`: example images by place.
pub(crate) fn places(places: &[usize]) -> String {
    let names: Vec<String> = places.iter().map(|p| format!("#{}", p + 1)).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests;
