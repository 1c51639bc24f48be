//! The compiler proper (DESIGN.md §3.3): for one policy, the native ECR lifecycle policy that
//! does as much of the work as ECR can do soundly, and an account of every rule — what ECR
//! does, what the runner does, and why.
//!
//! ECR does not evaluate rules first-match (§3.2): an image can only be acted on by the first
//! rule whose tag filter it matches (the shield), but `imageCountMoreThan` counts every image
//! its filter matches, shielded or not. So:
//! - a rule may act natively only if every earlier rule that could select the same images is
//!   itself expressed natively (as an action or as a *claim*: its filter with an action that
//!   never fires), so that ECR's shield reproduces first-match governance exactly;
//! - a count may be native only if no earlier rule can select an image the rule selects at
//!   all, so that the count sees exactly the rule's own images.
//!
//! The runner does what the reference semantics ask and ECR does not ([`runner_share`]).

use std::collections::BTreeSet;

use jiff::Timestamp;

use crate::diagnostic::Diagnostic;
use crate::dsl::Policy;
use crate::dsl::policy::{Keep, Matcher, Otherwise, Rule, TagClass};
use crate::image::{Digest, Image};
use crate::native::{self, ValidPolicy};
use crate::reference;

/// How a claim-only rule's part in ECR starts; the reason follows.
const SHIELDS_ONLY: &str = "shields its images from later rules, and expires nothing: ";

/// Why a rule ECR could carry is left to the runner in one repository.
pub const HELD: &str = "ECR would act on an image in use in this repository";

/// Days in a claim's `sinceImagePushed`: a century, so the claim never fires.
pub const CLAIM_DAYS: i64 = 36_500;

/// The `rule` of the native rule that carries the policy's `archive` section.
pub const ARCHIVE_RULE: usize = usize::MAX;

/// An ECR tag filter: `tagStatus` and, for `tagged`, the AND-list of patterns.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TagFilter {
    Any,
    Untagged,
    Tagged(Vec<String>),
    /// `tagPrefixList` (only from `evaluation: ecr`).
    TaggedPrefixes(Vec<String>),
}

impl TagFilter {
    fn class(&self) -> TagClass {
        match self {
            TagFilter::Any => TagClass::Both,
            TagFilter::Untagged => TagClass::Untagged,
            TagFilter::Tagged(_) | TagFilter::TaggedPrefixes(_) => TagClass::Tagged,
        }
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
}

impl NativeAction {
    /// Whether the rule selects archived images rather than active ones.
    pub fn in_archive(self) -> bool {
        matches!(self, NativeAction::ExpireArchivedAfterDays(_))
    }

    fn acts(self) -> bool {
        self != NativeAction::Claim
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
    pub rule: usize,
}

/// Who carries out a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// ECR does all of it (the runner only catches images exactly at a day boundary).
    Native,
    /// ECR does most of it; the runner deletes the rest.
    NativeAndRuntime,
    /// The runner does all of it.
    Runtime,
}

/// The account of one DSL rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleReport {
    pub rule: usize,
    pub name: String,
    pub disposition: Disposition,
    /// Priorities of the native rules that carry this rule's filters (actions or claims).
    pub native_priorities: Vec<u32>,
    /// What ECR does, in a sentence.
    pub ecr: String,
    /// What the runner does, in a sentence (empty when nothing).
    pub runtime: String,
    /// What earlier rules leave this rule to govern, where that narrows its match.
    pub narrowing: Narrowing,
}

/// What a rule governs once earlier rules have taken their images (DESIGN.md §3.3, "Narrowing
/// by what earlier rules govern"): a rule governs its match minus what earlier rules govern,
/// and where ECR can select exactly that set, the native form selects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Narrowing {
    /// Nothing earlier governs a whole tag class the rule matches.
    None,
    /// Only tagged images: the rule at index `by` governs every untagged image first.
    ToTagged { by: usize },
    /// Only untagged images: the rule at index `by` governs every tagged image first.
    ToUntagged { by: usize },
}

impl Narrowing {
    /// How `policy`'s rule `i` is narrowed by the rules before it. (A rule whose whole match
    /// earlier rules govern is refused when the policy is checked, so only `any` narrows.)
    pub fn of(policy: &Policy, i: usize) -> Narrowing {
        let first_covering = |class: TagClass| {
            policy.rules[..i].iter().position(
                |r| matches!(r.matcher.whole_class(), Some(c) if c == TagClass::Both || c == class),
            )
        };
        if policy.rules[i].matcher.class() != TagClass::Both {
            return Narrowing::None;
        }
        match (
            first_covering(TagClass::Untagged),
            first_covering(TagClass::Tagged),
        ) {
            (Some(by), None) => Narrowing::ToTagged { by },
            (None, Some(by)) => Narrowing::ToUntagged { by },
            _ => Narrowing::None,
        }
    }

    /// The tag classes the rule governs.
    fn class(self, matcher: &Matcher) -> TagClass {
        match self {
            Narrowing::None => matcher.class(),
            Narrowing::ToTagged { .. } => TagClass::Tagged,
            Narrowing::ToUntagged { .. } => TagClass::Untagged,
        }
    }

    /// The ECR filter that selects exactly the governed images, when narrowing gives one.
    fn filter(self, matcher: &Matcher) -> Option<TagFilter> {
        match (self, matcher) {
            (Narrowing::ToTagged { .. }, Matcher::Any { filter: None }) => {
                Some(TagFilter::Tagged(vec!["*".into()]))
            }
            (Narrowing::ToUntagged { .. }, Matcher::Any { filter: None }) => {
                Some(TagFilter::Untagged)
            }
            _ => None,
        }
    }
}

/// A compiled policy.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub specs: Vec<NativeRuleSpec>,
    /// `None` when ECR can do nothing for this policy.
    pub native: Option<ValidPolicy>,
    pub rules: Vec<RuleReport>,
    pub warnings: Vec<Diagnostic>,
}

/// Why a match cannot be an ECR tag filter.
fn filters_for(m: &Matcher) -> Result<Vec<TagFilter>, String> {
    match m {
        Matcher::Any { filter: None } => Ok(vec![TagFilter::Any]),
        Matcher::Untagged { filter: None } => Ok(vec![TagFilter::Untagged]),
        Matcher::Any { filter: Some(_) } | Matcher::Untagged { filter: Some(_) } => {
            Err("its `where` expression cannot be evaluated by ECR".into())
        }
        Matcher::Tagged(t) => {
            if t.filter.is_some() {
                return Err("its `where` expression cannot be evaluated by ECR".into());
            }
            if t.regex.is_some() {
                return Err("ECR tag patterns have no regular expressions".into());
            }
            for g in t.any_of.iter().chain(&t.all_of) {
                if let Some(why) = g.ecr_inexpressible() {
                    return Err(why);
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

/// The native action a keep would need, and whether ECR's version is exact.
enum Wanted {
    Action { action: NativeAction, exact: bool },
    Nothing(String),
}

fn wanted(keep: &Keep, otherwise: Otherwise) -> Wanted {
    let archive = otherwise == Otherwise::Archive;
    let count = |n: u32| {
        if archive {
            NativeAction::ArchiveBeyondCount(n)
        } else {
            NativeAction::ExpireBeyondCount(n)
        }
    };
    let age = |d: i64| {
        if archive {
            NativeAction::ArchiveOlderThanDays(d)
        } else {
            NativeAction::ExpireOlderThanDays(d)
        }
    };
    match keep {
        Keep::All => Wanted::Nothing("it keeps every image it governs".into()),
        Keep::None => Wanted::Action {
            action: age(1),
            exact: false,
        },
        Keep::Retain(r) => {
            if r.alternatives() > 1 {
                return Wanted::Nothing(
                    "it keeps an image when any of several conditions holds, and an ECR rule has one condition".into(),
                );
            }
            if let Some(n) = &r.newest {
                return Wanted::Action {
                    action: count(n.value),
                    exact: true,
                };
            }
            if let Some(d) = &r.within {
                return Wanted::Action {
                    action: age(d.ceil_days()),
                    exact: d.is_whole_days(),
                };
            }
            if let Some(d) = &r.pulled_within {
                if !archive {
                    return Wanted::Nothing(
                        "ECR can only archive, not expire, by the time of the last pull".into(),
                    );
                }
                return Wanted::Action {
                    action: NativeAction::ArchiveNotPulledForDays(d.ceil_days()),
                    exact: d.is_whole_days(),
                };
            }
            Wanted::Nothing("ECR has no anchored windows".into())
        }
    }
}

/// Compiles one policy.
pub fn compile(policy: &Policy) -> Compiled {
    compile_holding(policy, &BTreeSet::new())
}

/// Compiles one policy with the rules in `held` (indexes, or [`ARCHIVE_RULE`]) left to the
/// runner: each keeps its filter as a claim, so the shield and every other rule's share stay
/// exactly as they were. A repository whose in-use images a native rule would expire is
/// compiled this way. `evaluation: ecr` policies are verbatim and hold nothing back.
pub fn compile_holding(policy: &Policy, held: &BTreeSet<usize>) -> Compiled {
    if policy.evaluation == crate::dsl::policy::Evaluation::Ecr {
        return compile_ecr(policy);
    }
    let mut specs: Vec<NativeRuleSpec> = Vec::new();
    let mut reports = Vec::new();
    let mut warnings = Vec::new();
    // Earlier rules ECR cannot see: the images they govern could fall through to later filters.
    let mut unshielded: Vec<(usize, TagClass, String)> = Vec::new();

    // The tag classes each earlier rule governs.
    let mut governed: Vec<TagClass> = Vec::new();

    for (i, rule) in policy.rules.iter().enumerate() {
        let narrowing = Narrowing::of(policy, i);
        let name = rule.name.value.clone();
        let class = narrowing.class(&rule.matcher);
        governed.push(class);
        let filters = match narrowing
            .filter(&rule.matcher)
            .map(|f| Ok(vec![f]))
            .unwrap_or_else(|| filters_for(&rule.matcher))
        {
            Ok(f) => f,
            Err(why) => {
                unshielded.push((i, class, why.clone()));
                let runtime = runtime_sentence(rule);
                warnings.push(
                    Diagnostic::warning(
                        format!("rule `{name}` runs at runtime: ECR cannot select its images"),
                        rule.matcher.span,
                    )
                    .with_label(why.clone())
                    .with_note(
                        "later rules that could select the same images cannot delete natively either",
                    ),
                );
                reports.push(RuleReport {
                    rule: i,
                    name,
                    disposition: Disposition::Runtime,
                    native_priorities: Vec::new(),
                    ecr: format!("nothing: {why}"),
                    runtime,
                    narrowing,
                });
                continue;
            }
        };
        let blocker = unshielded.iter().find(|(_, c, _)| c.overlaps(class));
        let earlier_overlap = policy.rules[..i]
            .iter()
            .zip(&governed)
            .find(|(_, c)| c.overlaps(class))
            .map(|(r, _)| r);
        let action = match (wanted(&rule.keep.value, rule.otherwise), blocker) {
            (Wanted::Nothing(why), _) => Err(why),
            (_, _) if held.contains(&i) => Err(HELD.into()),
            (_, Some((j, _, _))) => Err(format!(
                "rule `{}` before it could select the same images and ECR cannot see which",
                *policy.rules[*j].name
            )),
            (
                Wanted::Action {
                    action:
                        action @ (NativeAction::ExpireBeyondCount(_)
                        | NativeAction::ArchiveBeyondCount(_)),
                    exact,
                },
                None,
            ) => match (filters.len(), earlier_overlap) {
                (1, None) => Ok((action, exact)),
                (_, Some(earlier)) => Err(format!(
                    "ECR's count would include images that rule `{}` governs",
                    *earlier.name
                )),
                _ => Err("ECR counts each tag pattern separately, not their union".into()),
            },
            (Wanted::Action { action, exact }, None) => Ok((action, exact)),
        };
        let mut priorities = Vec::new();
        for f in filters {
            // An identical filter earlier already shields these images: emit it once.
            if specs.iter().any(|s| s.filter == f) {
                continue;
            }
            let priority = specs.len() as u32 + 1;
            let act = action.as_ref().map_or(NativeAction::Claim, |(a, _)| *a);
            specs.push(NativeRuleSpec {
                priority,
                description: Some(describe(rule, act)),
                filter: f,
                action: act,
                rule: i,
            });
            priorities.push(priority);
        }
        let report = match &action {
            Ok((a, exact)) => {
                let ecr = ecr_sentence(*a);
                let (disposition, runtime) = if *exact {
                    (Disposition::Native, String::new())
                } else {
                    let verb = verb(rule.otherwise);
                    let runtime = match (&rule.keep.value, a) {
                        (Keep::None, _) => format!("{verb} the images pushed in the last day"),
                        (
                            _,
                            NativeAction::ExpireOlderThanDays(d)
                            | NativeAction::ArchiveOlderThanDays(d)
                            | NativeAction::ArchiveNotPulledForDays(d),
                        ) => {
                            format!("{verb} the images past the window but not yet {d} days old")
                        }
                        _ => String::new(),
                    };
                    warnings.push(
                        Diagnostic::warning(
                            format!("rule `{name}` runs partly at runtime"),
                            rule.keep.span,
                        )
                        .with_label(format!("ECR {ecr}; the runner {runtime}"))
                        .with_help(
                            "ECR counts whole days: a window in whole days runs entirely in ECR",
                        ),
                    );
                    (Disposition::NativeAndRuntime, runtime)
                };
                RuleReport {
                    rule: i,
                    name,
                    disposition,
                    native_priorities: priorities,
                    ecr,
                    runtime,
                    narrowing,
                }
            }
            Err(why) => {
                if !matches!(rule.keep.value, Keep::All) {
                    warnings.push(
                        Diagnostic::warning(
                            format!("rule `{name}` runs at runtime"),
                            rule.keep.span,
                        )
                        .with_label(why.clone()),
                    );
                }
                RuleReport {
                    rule: i,
                    name,
                    disposition: if matches!(rule.keep.value, Keep::All) {
                        Disposition::Native
                    } else {
                        Disposition::Runtime
                    },
                    native_priorities: priorities,
                    ecr: if matches!(rule.keep.value, Keep::All) {
                        "shields its images from later rules (a claim that never expires anything)"
                            .into()
                    } else {
                        format!("{SHIELDS_ONLY}{why}")
                    },
                    runtime: runtime_sentence(rule),
                    narrowing,
                }
            }
        };
        reports.push(report);
    }

    // The archive storage class has rules of its own, so its rule is always sound: it selects
    // archived images, which no rule above selects, and rules govern active ones.
    let archive_spec = policy.archive.as_ref().filter(|_| !held.contains(&ARCHIVE_RULE)).map(|a| {
        let days = a.expire_after.ceil_days();
        if !a.expire_after.is_whole_days() {
            warnings.push(
                Diagnostic::warning(
                    "the archive section runs partly at runtime",
                    a.expire_after.span,
                )
                .with_label(format!(
                    "ECR deletes archived images after {days} days; the runner deletes the ones in between"
                ))
                .with_help("ECR counts whole days: write `expire_after` in days"),
            );
        }
        NativeRuleSpec {
            priority: 0,
            description: Some(match &a.description {
                Some(d) => format!("archive: {d} (expire after {days} days in archive)"),
                None => format!("archive (expire after {days} days in archive)"),
            }),
            filter: TagFilter::Any,
            action: NativeAction::ExpireArchivedAfterDays(days),
            rule: ARCHIVE_RULE,
        }
    });
    prune_claims(&mut specs, &mut reports);
    fit_ecr_limits(
        policy,
        &mut specs,
        archive_spec.as_ref(),
        &mut reports,
        &mut warnings,
    );
    if let Some(a) = archive_spec {
        specs.push(NativeRuleSpec {
            priority: specs.len() as u32 + 1,
            ..a
        });
    }
    let native = if specs.is_empty() {
        None
    } else {
        match native::validate(to_native(&specs)) {
            Ok(v) => Some(v),
            Err(errors) => {
                // The compiler only emits what ECR accepts; a failure here is a bug, reported
                // rather than hidden, and the policy falls back to runtime.
                for e in errors {
                    warnings.push(Diagnostic::file_error(format!(
                        "internal: the native policy was refused ({e}); every rule runs at runtime"
                    )));
                }
                None
            }
        }
    };
    if native.is_none() {
        specs.clear();
        for r in &mut reports {
            if r.disposition != Disposition::Runtime && !r.native_priorities.is_empty() {
                r.disposition = Disposition::Runtime;
            }
            r.native_priorities.clear();
        }
    }
    Compiled {
        specs,
        native,
        rules: reports,
        warnings,
    }
}

/// Claims matter only before a native rule that acts on images of an overlapping class;
/// the rest would shield nothing and only make the policy longer.
fn prune_claims(specs: &mut Vec<NativeRuleSpec>, reports: &mut [RuleReport]) {
    let keep: Vec<bool> = (0..specs.len())
        .map(|p| {
            specs[p].action.acts()
                || specs[p + 1..].iter().any(|later| {
                    later.action.acts()
                        && !later.action.in_archive()
                        && later.filter.class().overlaps(specs[p].filter.class())
                })
        })
        .collect();
    let mut renumber = std::collections::HashMap::new();
    let mut next = 1u32;
    let mut kept = Vec::new();
    for (spec, k) in specs.drain(..).zip(keep) {
        if k {
            renumber.insert(spec.priority, next);
            kept.push(NativeRuleSpec {
                priority: next,
                ..spec
            });
            next += 1;
        }
    }
    *specs = kept;
    for r in reports.iter_mut() {
        r.native_priorities = r
            .native_priorities
            .iter()
            .filter_map(|p| renumber.get(p).copied())
            .collect();
        if r.native_priorities.is_empty()
            && r.disposition == Disposition::Native
            && r.runtime.is_empty()
        {
            // A `keep: all` rule whose claim was pruned: nothing to do anywhere.
            r.ecr = "nothing to do: it keeps every image it governs".into();
        }
        if r.native_priorities.is_empty()
            && let Some(why) = r.ecr.strip_prefix(SHIELDS_ONLY)
        {
            r.ecr = format!("nothing: {why}");
        }
    }
}

/// ECR accepts at most 50 rules and 30,720 characters. Keeping a prefix of the native rules is
/// sound (every kept rule keeps the shields before it); the rules cut off run at runtime.
/// `last` is a rule that must stay at the end whatever is cut (the archive section's).
fn fit_ecr_limits(
    policy: &Policy,
    specs: &mut Vec<NativeRuleSpec>,
    last: Option<&NativeRuleSpec>,
    reports: &mut [RuleReport],
    warnings: &mut Vec<Diagnostic>,
) {
    let fits = |specs: &[NativeRuleSpec]| {
        let all: Vec<NativeRuleSpec> = specs.iter().chain(last).cloned().collect();
        all.len() <= native::validate::MAX_RULES
            && to_native(&all).to_json_pretty().chars().count()
                <= native::validate::MAX_POLICY_CHARS
    };
    if fits(specs) {
        return;
    }
    let mut keep = specs
        .len()
        .min(native::validate::MAX_RULES - usize::from(last.is_some()));
    while keep > 0 && !fits(&specs[..keep]) {
        keep -= 1;
    }
    let first_cut = specs.get(keep).map(|s| s.rule);
    specs.truncate(keep);
    let Some(first_cut) = first_cut else { return };
    for r in reports.iter_mut().filter(|r| r.rule >= first_cut) {
        let lost: Vec<u32> = r
            .native_priorities
            .iter()
            .copied()
            .filter(|p| *p as usize > keep)
            .collect();
        if lost.is_empty() && r.rule > first_cut {
            continue;
        }
        r.native_priorities.retain(|p| *p as usize <= keep);
        if r.disposition != Disposition::Runtime
            && !matches!(policy.rules[r.rule].keep.value, Keep::All)
        {
            r.disposition = Disposition::Runtime;
            r.ecr = "nothing: the native policy reached ECR's limit of 50 rules or 30,720 characters before this rule".into();
            r.runtime = runtime_sentence(&policy.rules[r.rule]);
        }
    }
    warnings.push(
        Diagnostic::warning(
            format!(
                "the native policy is cut at {keep} rules to fit ECR's limits; rule `{}` and later run at runtime",
                *policy.rules[first_cut].name
            ),
            policy.rules[first_cut].name.span,
        )
        .with_help("ECR accepts at most 50 rules and 30,720 characters per lifecycle policy"),
    );
    // Claims at the end now shield nothing.
    prune_claims(specs, reports);
}

fn ecr_sentence(a: NativeAction) -> String {
    match a {
        NativeAction::ExpireBeyondCount(n) => {
            format!("expires all but the {n} most recently pushed")
        }
        NativeAction::ExpireOlderThanDays(d) => {
            format!("expires images pushed more than {d} days ago")
        }
        NativeAction::ArchiveBeyondCount(n) => {
            format!("archives all but the {n} most recently pushed")
        }
        NativeAction::ArchiveOlderThanDays(d) => {
            format!("archives images pushed more than {d} days ago")
        }
        NativeAction::ArchiveNotPulledForDays(d) => {
            format!("archives images not pulled (or pushed, or restored) in {d} days")
        }
        NativeAction::ExpireArchivedAfterDays(d) => {
            format!("expires images archived more than {d} days ago")
        }
        NativeAction::Claim => "shields its images from later rules".into(),
    }
}

/// What the runner does to the images a rule does not keep.
fn verb(otherwise: Otherwise) -> &'static str {
    match otherwise {
        Otherwise::Expire => "deletes",
        Otherwise::Archive => "archives",
    }
}

fn runtime_sentence(rule: &Rule) -> String {
    let verb = verb(rule.otherwise);
    match &rule.keep.value {
        Keep::All => String::new(),
        Keep::None => format!("{verb} every image it governs"),
        Keep::Retain(_) => format!("{verb} the images it governs and does not keep"),
    }
}

fn describe(rule: &Rule, action: NativeAction) -> String {
    let what = match action {
        NativeAction::Claim => "claim, never expires".to_string(),
        NativeAction::ExpireBeyondCount(n) => format!("keep newest {n}"),
        NativeAction::ExpireOlderThanDays(d) => format!("expire after {d} days"),
        NativeAction::ArchiveBeyondCount(n) => format!("keep newest {n}, archive the rest"),
        NativeAction::ArchiveOlderThanDays(d) => format!("archive after {d} days"),
        NativeAction::ArchiveNotPulledForDays(d) => {
            format!("archive when not pulled for {d} days")
        }
        NativeAction::ExpireArchivedAfterDays(d) => format!("expire after {d} days in archive"),
    };
    match &rule.description {
        Some(d) => format!("{}: {d} ({what})", *rule.name),
        None => format!("{} ({what})", *rule.name),
    }
}

/// The ECR model of the specs.
pub fn to_native(specs: &[NativeRuleSpec]) -> native::LifecyclePolicy {
    native::LifecyclePolicy {
        rules: specs
            .iter()
            .map(|s| {
                let (status, patterns) = match &s.filter {
                    TagFilter::Any => (native::TagStatus::Any, None),
                    TagFilter::Untagged => (native::TagStatus::Untagged, None),
                    TagFilter::Tagged(p) => (native::TagStatus::Tagged, Some(p.clone())),
                    TagFilter::TaggedPrefixes(_) => (native::TagStatus::Tagged, None),
                };
                let prefixes = match &s.filter {
                    TagFilter::TaggedPrefixes(p) => Some(p.clone()),
                    _ => None,
                };
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
                        tag_status: status,
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

/// Why a rule (by index, when one is at fault) cannot be what the policy asks.
pub type RuleProblem = (Option<usize>, String);

/// `evaluation: ecr`: each rule is one native rule, verbatim; ECR does all of it.
fn compile_ecr(policy: &Policy) -> Compiled {
    match ecr_native(policy) {
        Ok((specs, native)) => Compiled {
            rules: policy
                .rules
                .iter()
                .enumerate()
                .map(|(i, r)| RuleReport {
                    rule: i,
                    name: r.name.value.clone(),
                    disposition: Disposition::Native,
                    native_priorities: vec![specs[i].priority],
                    ecr: ecr_sentence(specs[i].action),
                    runtime: String::new(),
                    narrowing: Narrowing::None,
                })
                .collect(),
            specs,
            native: Some(native),
            warnings: Vec::new(),
        },
        // The checker refuses such files, so this is only reached for a policy built by hand.
        Err(problems) => Compiled {
            specs: Vec::new(),
            native: None,
            rules: Vec::new(),
            warnings: problems
                .into_iter()
                .map(|(_, m)| Diagnostic::file_error(m))
                .collect(),
        },
    }
}

/// The native policy of an `evaluation: ecr` policy, rule for rule, or why there is none
/// (with the index of the rule at fault, where one is).
pub fn ecr_native(policy: &Policy) -> Result<(Vec<NativeRuleSpec>, ValidPolicy), Vec<RuleProblem>> {
    let mut problems = Vec::new();
    let mut specs = Vec::new();
    for (i, rule) in policy.rules.iter().enumerate() {
        let filter = match &rule.matcher.value {
            Matcher::Any { filter: None } => Ok(TagFilter::Any),
            Matcher::Untagged { filter: None } => Ok(TagFilter::Untagged),
            Matcher::Tagged(t)
                if t.filter.is_none() && t.regex.is_none() && t.any_of.len() <= 1 =>
            {
                let mut patterns: Vec<String> = t
                    .any_of
                    .iter()
                    .chain(&t.all_of)
                    .map(|g| g.to_string())
                    .collect();
                match (patterns.is_empty(), t.prefixes.is_empty()) {
                    (false, false) => Err(
                        "an ECR rule has either tag patterns or tag prefixes, not both".to_string(),
                    ),
                    (true, false) => Ok(TagFilter::TaggedPrefixes(
                        t.prefixes.iter().map(|p| p.value.clone()).collect(),
                    )),
                    (false, true) => {
                        patterns.dedup();
                        Ok(TagFilter::Tagged(patterns))
                    }
                    (true, true) => Ok(TagFilter::Tagged(vec!["*".into()])),
                }
            }
            _ => Err(
                "ECR cannot express this match (a `where`, a regex, or `tags` with several globs)"
                    .to_string(),
            ),
        };
        let archive = rule.otherwise == Otherwise::Archive;
        let whole = "ECR counts whole days: write the window in days".to_string();
        let action = match &rule.keep.value {
            Keep::Retain(r) if r.alternatives() == 1 => {
                match (&r.newest, &r.within, &r.pulled_within) {
                    (Some(n), _, _) if archive => Ok(NativeAction::ArchiveBeyondCount(n.value)),
                    (Some(n), _, _) => Ok(NativeAction::ExpireBeyondCount(n.value)),
                    (_, Some(d), _) if !d.is_whole_days() => Err(whole),
                    (_, Some(d), _) if archive => {
                        Ok(NativeAction::ArchiveOlderThanDays(d.ceil_days()))
                    }
                    (_, Some(d), _) => Ok(NativeAction::ExpireOlderThanDays(d.ceil_days())),
                    (_, _, Some(_)) if !archive => Err(
                        "ECR can only archive by the time of the last pull: add `otherwise: archive`"
                            .to_string(),
                    ),
                    (_, _, Some(d)) if !d.is_whole_days() => Err(whole),
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
                rule: i,
            }),
            (Err(e), _) | (_, Err(e)) => {
                problems.push((Some(i), format!("rule `{}`: {e}", *rule.name)))
            }
        }
    }
    if let Some(a) = &policy.archive {
        if a.expire_after.is_whole_days() {
            let after = specs.iter().map(|s| s.priority).max().unwrap_or(0) + 1;
            specs.push(NativeRuleSpec {
                priority: a.priority.unwrap_or(after),
                description: a.description.clone(),
                filter: TagFilter::Any,
                action: NativeAction::ExpireArchivedAfterDays(a.expire_after.ceil_days()),
                rule: ARCHIVE_RULE,
            });
        } else {
            problems.push((
                None,
                "`archive`: ECR counts whole days: write `expire_after` in days".to_string(),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    native::validate(to_native(&specs))
        .map(|v| (specs, v))
        .map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    let rule = e.rule.as_ref().map(|r| r.index);
                    (rule, format!("ECR would refuse this policy: {e}"))
                })
                .collect()
        })
}

/// The runner's share of a policy's work on one repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunnerShare {
    /// What the policy expires and ECR's policy does not.
    pub expired: BTreeSet<Digest>,
    /// What the policy archives and ECR's policy does not.
    pub archived: BTreeSet<Digest>,
}

/// What the runner must do: the reference's actions less what ECR's policy does itself.
pub fn runner_share(
    policy: &Policy,
    compiled: &Compiled,
    images: &[Image],
    repository: Option<&str>,
    now: Timestamp,
) -> RunnerShare {
    let evaluation = reference::evaluate(policy, images, repository, now);
    let mut share = RunnerShare {
        expired: evaluation.expired(images),
        archived: evaluation.archived(images),
    };
    if let Some(n) = &compiled.native {
        let ecr = native::simulate(n, images, now);
        share.expired.retain(|d| !ecr.expired.contains(d));
        share.archived.retain(|d| !ecr.transitioned.contains(d));
    }
    share
}

#[cfg(test)]
mod tests;
