//! Lint of native lifecycle policies: the places where ECR's evaluation (DESIGN.md §3.2) does
//! something other than what the rule order suggests, each shown on a small set of example
//! images that the simulator confirms, and the policy file that says what was meant.
//!
//! The traps, in order of consequence:
//! - anything ECR refuses ([`FindingKind::Invalid`]);
//! - a count that includes images a higher-priority rule protects, so that ECR expires images
//!   the rule order keeps ([`FindingKind::CountIncludesProtected`]);
//! - a list of several patterns or prefixes, which ECR reads as AND ([`FindingKind::AndListMeantAsOr`]);
//! - a rule that never acts because higher rules select all its images first ([`FindingKind::Shadowed`]);
//! - a note, not a finding: an untagged or `any` rule that expires the untagged children of
//!   image indexes, which ECR does not delete while their index exists
//!   ([`FindingKind::UntaggedHitsIndexChildren`]).
//!
//! A finding other than `Invalid` is only reported with an example the simulator confirms.
//! Findings are data (an [`Issue`] with its figures, an [`Example`] with what it shows); the
//! words are the presentation layer's.

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
    ActionType, LifecyclePolicy, NativeError, NativeErrorKind, NativeRule, Position, RuleRef,
    StorageClass, TagFilter, ValidPolicy, parse_and_validate, validate,
};

pub use suggest::Suggestion;

use filter::Filter;

/// One surprise in a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// What it is, with the figures behind it.
    pub issue: Issue,
    /// The rule it is about; `None` for a problem of the whole policy.
    pub rule: Option<RuleRef>,
    /// The higher-priority rule involved: the one that protects, shadows or is counted.
    pub other: Option<RuleRef>,
    /// Where the rule starts in the policy text, when the text was given.
    pub position: Option<Position>,
    /// Images that show it; present for every kind but `Invalid`.
    pub example: Option<Example>,
}

impl Finding {
    pub fn kind(&self) -> FindingKind {
        self.issue.kind()
    }

    pub fn severity(&self) -> Severity {
        self.kind().severity()
    }
}

/// The kinds, in order of consequence: what ECR refuses, then images ECR treats otherwise
/// than the rule order says, then rules that never act, then notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    /// ECR refuses the policy.
    Invalid,
    /// An `imageCountMoreThan` count includes images a higher-priority rule protects.
    CountIncludesProtected,
    /// A list of several entries, which ECR reads as AND.
    AndListMeantAsOr,
    /// Higher rules select every image this rule selects, so it never acts.
    Shadowed,
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

    pub fn severity(self) -> Severity {
        match self {
            FindingKind::UntaggedHitsIndexChildren => Severity::Note,
            _ => Severity::Finding,
        }
    }
}

/// Whether something is a finding (the policy does something other than it says, or ECR
/// refuses it) or a note about expectations (it does what it says, which may still surprise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Finding,
    Note,
}

impl Severity {
    /// The stable name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Finding => "finding",
            Severity::Note => "note",
        }
    }
}

/// What a finding is about, with the figures its words are made from.
#[derive(Debug, Clone, PartialEq)]
pub enum Issue {
    /// ECR refuses the policy, for this reason.
    Invalid(NativeErrorKind),
    /// `rule` keeps the `count` newest images it matches, but ECR ranks the images that
    /// `protectors` (higher rules, each once, by priority) select first among them, and the
    /// rule `action`s each image it governs that is not among the `count` newest of all.
    CountIncludesProtected {
        rule: RuleFilter,
        count: i64,
        action: ActionType,
        protectors: Vec<RuleFilter>,
    },
    /// `rule`'s list (of several entries) is AND: an image tagged only `lone_tag`, which one
    /// entry matches, is not selected. `no_single_tag`: no one tag can match every entry, so
    /// only images with several tags are selected.
    AndListMeantAsOr {
        rule: RuleFilter,
        lone_tag: String,
        no_single_tag: bool,
    },
    /// `rule` never acts: `by` (higher rules, by priority) between them select every image it
    /// selects.
    Shadowed {
        rule: RuleFilter,
        by: Vec<RuleFilter>,
    },
    /// `rule` expires untagged images, and the children of an image index are untagged: ECR
    /// keeps them while the index exists. `count`: the rule's `imageCountMoreThan`, where the
    /// children take places among the newest it keeps. `indexes`: what is known of the image
    /// indexes in the repositories the policy governs.
    UntaggedHitsIndexChildren {
        rule: RuleFilter,
        count: Option<i64>,
        indexes: Indexes,
    },
}

impl Issue {
    pub fn kind(&self) -> FindingKind {
        match self {
            Issue::Invalid(_) => FindingKind::Invalid,
            Issue::CountIncludesProtected { .. } => FindingKind::CountIncludesProtected,
            Issue::AndListMeantAsOr { .. } => FindingKind::AndListMeantAsOr,
            Issue::Shadowed { .. } => FindingKind::Shadowed,
            Issue::UntaggedHitsIndexChildren { .. } => FindingKind::UntaggedHitsIndexChildren,
        }
    }
}

/// A rule's priority and tag filter, the way findings name a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFilter {
    pub priority: i64,
    pub tags: TagFilter,
}

/// What lint knows of the image indexes in the repositories a policy governs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Indexes {
    /// Nothing: the policy was read from a file.
    Unknown,
    /// The repositories carrying the policy that hold image indexes, each with how many, by
    /// name; never empty in a finding (without indexes there is nothing to note).
    Held(Vec<(String, usize)>),
}

/// A repository a policy is applied to, as lint needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Repository {
    pub name: String,
    /// How many image indexes (manifest lists) it holds.
    pub image_indexes: usize,
}

/// Example images, newest first, with what ECR does to each and what the rule order suggests.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub rows: Vec<Row>,
    /// What the example shows, naming images by their place in `rows` (0-based).
    pub shows: Shows,
}

/// What an example shows, by the places of its rows (0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shows {
    /// ECR ranks every row for `rule`, including `protected`, which the rules `by` (each once,
    /// by priority) select first, and marks the oldest, `marked`, which `rule` governs (its
    /// fate is the row's). Read in order, `rule` governs only `own` and keeps them.
    Count {
        rule: i64,
        protected: Vec<usize>,
        by: Vec<i64>,
        marked: usize,
        own: Vec<usize>,
    },
    /// Each row at `places` has a tag that one entry of `rule`'s list matches but not every
    /// entry, so ECR's `rule` selects none of them; read as "any entry", `rule` would govern
    /// them (with the fates of their rows' rule order).
    AndList { rule: i64, places: Vec<usize> },
    /// `rule`'s filter matches the rows at `places`, but ECR gives them to `owners` (each once,
    /// by priority).
    Shadowed {
        rule: i64,
        places: Vec<usize>,
        owners: Vec<i64>,
    },
    /// `children` are the untagged children of the image index at `index`; `rule` marks them,
    /// and read in order expires them, but ECR keeps them while the index exists.
    IndexChildren {
        rule: i64,
        index: usize,
        children: Vec<usize>,
    },
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
    /// Findings and notes, in order of consequence, then by rule priority.
    pub findings: Vec<Finding>,
    /// The policy file that says what was meant; `None` when there is no finding to fix.
    pub suggestion: Option<Suggestion>,
}

impl Report {
    /// Whether anything is a finding rather than a note.
    pub fn has_findings(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity() == Severity::Finding)
    }
}

/// Lints policy text. `repositories`: those the policy is applied to, which go into the
/// suggested policy file and tell whether image indexes are there to note (`None`: a file,
/// unknown). Text that is not a lifecycle policy is an error; a policy ECR refuses gives
/// `Invalid` findings, and the other checks wait until it is accepted.
pub fn lint(
    text: &str,
    now: Timestamp,
    repositories: Option<&[Repository]>,
) -> Result<Report, NativeError> {
    // Text that does not parse is an error, not a finding: there is no policy to lint.
    LifecyclePolicy::from_json(text)?;
    let checked = parse_and_validate(text);
    let indexes = match repositories {
        None => Indexes::Unknown,
        Some(repos) => Indexes::Held(
            repos
                .iter()
                .filter(|r| r.image_indexes > 0)
                .map(|r| (r.name.clone(), r.image_indexes))
                .collect(),
        ),
    };
    let mut findings = findings(checked.as_ref(), now, &indexes);
    let starts = positions::rule_starts(text);
    for f in &mut findings {
        f.position = f.rule.and_then(|r| starts.get(r.index).copied().flatten());
    }
    let names: Option<Vec<String>> =
        repositories.map(|repos| repos.iter().map(|r| r.name.clone()).collect());
    let report = Report {
        findings,
        suggestion: None,
    };
    let suggestion = report.has_findings().then(|| match &checked {
        Ok(valid) => suggest::suggest(valid, names.as_deref()),
        Err(_) => Suggestion::Declined(
            "ECR refuses this policy; fix what it refuses first, then lint it again".into(),
        ),
    });
    Ok(Report {
        suggestion,
        ..report
    })
}

/// Lints a policy built in code (the length limit applies to its pretty-printed text), with
/// nothing known of the repositories it governs.
pub fn check(policy: &LifecyclePolicy, now: Timestamp) -> Vec<Finding> {
    findings(validate(policy.clone()).as_ref(), now, &Indexes::Unknown)
}

fn findings(
    checked: Result<&ValidPolicy, &Vec<NativeError>>,
    now: Timestamp,
    indexes: &Indexes,
) -> Vec<Finding> {
    let mut found: Vec<Finding> = match checked {
        Ok(valid) => traps(valid, now, indexes),
        Err(errors) => errors.iter().map(invalid).collect(),
    };
    // By consequence, then problems of the whole policy before those of a rule, by priority.
    found.sort_by_key(|f| (f.kind(), f.rule.map(|r| r.priority)));
    found
}

fn invalid(error: &NativeError) -> Finding {
    Finding {
        issue: Issue::Invalid(error.kind.clone()),
        rule: error.rule,
        other: None,
        position: None,
        example: None,
    }
}

/// The rules of a valid policy in priority order, for the checks.
pub(crate) struct Cx<'a> {
    pub policy: &'a ValidPolicy,
    pub now: Timestamp,
    /// Each rule with its place in `rules` and its filter, by ascending priority.
    pub rules: Vec<(usize, &'a NativeRule, Filter)>,
    /// What is known of the image indexes in the repositories the policy governs.
    pub indexes: &'a Indexes,
}

impl<'a> Cx<'a> {
    fn new(policy: &'a ValidPolicy, now: Timestamp, indexes: &'a Indexes) -> Cx<'a> {
        let mut rules: Vec<(usize, &NativeRule, Filter)> = policy
            .filtered_rules()
            .enumerate()
            .map(|(i, (r, f))| (i, r, Filter::of(r, f)))
            .collect();
        rules.sort_by_key(|(_, r, _)| r.rule_priority);
        Cx {
            policy,
            now,
            rules,
            indexes,
        }
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
        issue: Issue,
        priority: i64,
        other: Option<i64>,
        example: Example,
    ) -> Finding {
        Finding {
            issue,
            rule: self.rule_ref(priority),
            other: other.and_then(|p| self.rule_ref(p)),
            position: None,
            example: Some(example),
        }
    }
}

/// Every trap, rule by rule in priority order. A shadowed rule never acts, so nothing else
/// is said about it.
fn traps(policy: &ValidPolicy, now: Timestamp, indexes: &Indexes) -> Vec<Finding> {
    let cx = Cx::new(policy, now, indexes);
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

/// The values, each once, in ascending order.
pub(crate) fn distinct<T: Ord + Copy>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = items.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests;
