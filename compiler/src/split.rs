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
use crate::dsl::policy::{ArchiveKeep, Keep, Matcher, Otherwise, Rule, RuleId, TagClass};
use crate::image::{Digest, Image};
use crate::native::{self, ValidPolicy};
use crate::reference;

/// How a claim-only rule's part in ECR starts; the reason follows.
const SHIELDS_ONLY: &str = "shields its images from later rules, and expires nothing: ";

/// Why a rule ECR could carry is left to the runner in one repository.
pub const HELD: &str = "ECR would act on an image in use in this repository";

/// Days in a claim's `sinceImagePushed` (or, in the archive, `sinceImageTransitioned`): a
/// century, so the claim never fires.
pub const CLAIM_DAYS: i64 = 36_500;

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

/// The account of one DSL rule (archive rules and `archive.expire_after` included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleReport {
    pub rule: RuleId,
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

/// Compiles one policy with the rules in `held` left to the runner: each keeps its filter as a
/// claim, so the shield and every other rule's share stay exactly as they were. A repository
/// whose in-use images a native rule would expire is compiled this way. `evaluation: ecr`
/// policies are verbatim and hold nothing back.
pub fn compile_holding(policy: &Policy, held: &BTreeSet<RuleId>) -> Compiled {
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
                    rule: RuleId::Rule(i),
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
            (_, _) if held.contains(&RuleId::Rule(i)) => Err(HELD.into()),
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
                rule: RuleId::Rule(i),
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
                    rule: RuleId::Rule(i),
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
                    rule: RuleId::Rule(i),
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

    compile_archive(policy, held, &mut specs, &mut reports, &mut warnings);
    prune_claims(&mut specs, &mut reports);
    fit_ecr_limits(policy, &mut specs, &mut reports, &mut warnings);
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

/// The native rules of the `archive` section (DESIGN.md §2.1), after every other rule: one
/// `storageClass: archive` rule per filter of each archive rule, in order, then
/// `archive.expire_after` as the `any` rule. The archive storage class has rules of its own, and
/// rules govern active images only, so nothing above matters here; and no count is involved,
/// so the shield is the only condition: an archive rule ECR cannot select leaves its images
/// exposed to every later archive rule of its tag class, which then cannot act natively.
fn compile_archive(
    policy: &Policy,
    held: &BTreeSet<RuleId>,
    specs: &mut Vec<NativeRuleSpec>,
    reports: &mut Vec<RuleReport>,
    warnings: &mut Vec<Diagnostic>,
) {
    let Some(archive) = &policy.archive else {
        return;
    };
    // Earlier archive rules ECR cannot see, by tag class and name.
    let mut unshielded: Vec<(TagClass, &str)> = Vec::new();
    let default = archive.expire_after.as_ref().map(|d| {
        let any = crate::source::Sp::new(Matcher::Any { filter: None }, d.span);
        (
            any,
            crate::source::Sp::new(ArchiveKeep::ExpireAfter(d.value), d.span),
        )
    });
    let rules = archive
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let description = r.description.as_deref();
            (
                RuleId::Archive(i),
                r.name.as_str(),
                description,
                &r.matcher,
                &r.keep,
            )
        })
        .chain(default.as_ref().map(|(m, k)| {
            let description = archive.description.as_deref();
            let name = crate::dsl::policy::ARCHIVE_DEFAULT_NAME;
            (RuleId::ArchiveDefault, name, description, m, k)
        }));
    for (id, name, description, matcher, keep) in rules {
        let what = match id {
            RuleId::ArchiveDefault => "`archive.expire_after`".to_string(),
            _ => format!("archive rule `{name}`"),
        };
        let class = matcher.class();
        let filters = match filters_for(matcher) {
            Ok(f) => f,
            Err(why) => {
                unshielded.push((class, name));
                warnings.push(
                    Diagnostic::warning(
                        format!("{what} runs at runtime: ECR cannot select its images"),
                        matcher.span,
                    )
                    .with_label(why.clone())
                    .with_note(
                        "later archive rules that could select the same images cannot delete natively either",
                    ),
                );
                reports.push(RuleReport {
                    rule: id,
                    name: name.to_string(),
                    disposition: Disposition::Runtime,
                    native_priorities: Vec::new(),
                    ecr: format!("nothing: {why}"),
                    runtime: archive_runtime_sentence(keep.value),
                    narrowing: Narrowing::None,
                });
                continue;
            }
        };
        let blocker = unshielded.iter().find(|(c, _)| c.overlaps(class));
        let action = match (keep.value, blocker) {
            (ArchiveKeep::All, _) => Err(None),
            (_, _) if held.contains(&id) => Err(Some(HELD.to_string())),
            (_, Some((_, earlier))) => Err(Some(format!(
                "archive rule `{earlier}` before it could select the same images and ECR cannot see which"
            ))),
            (ArchiveKeep::ExpireAfter(d), None) => Ok((
                NativeAction::ExpireArchivedAfterDays(d.ceil_days()),
                d.is_whole_days(),
            )),
        };
        let act = action
            .as_ref()
            .map_or(NativeAction::ClaimArchived, |(a, _)| *a);
        let mut priorities = Vec::new();
        for f in filters {
            // An identical filter earlier in the archive already shields these images.
            if specs.iter().any(|s| s.filter == f && s.action.in_archive()) {
                continue;
            }
            let priority = specs.len() as u32 + 1;
            specs.push(NativeRuleSpec {
                priority,
                description: Some(describe_named(name, description, act)),
                filter: f,
                action: act,
                rule: id,
            });
            priorities.push(priority);
        }
        let report = match action {
            Ok((a, exact)) => {
                let ecr = ecr_sentence(a);
                let runtime = if exact {
                    String::new()
                } else {
                    let days = match a {
                        NativeAction::ExpireArchivedAfterDays(d) => d,
                        _ => 0,
                    };
                    let runtime =
                        format!("deletes the archived images past the window but not yet {days} days in the archive");
                    warnings.push(
                        Diagnostic::warning(
                            format!("{what} runs partly at runtime"),
                            keep.span,
                        )
                        .with_label(format!("ECR {ecr}; the runner {runtime}"))
                        .with_help("ECR counts whole days: write `expire_after` in days"),
                    );
                    runtime
                };
                RuleReport {
                    rule: id,
                    name: name.to_string(),
                    disposition: if exact {
                        Disposition::Native
                    } else {
                        Disposition::NativeAndRuntime
                    },
                    native_priorities: priorities,
                    ecr,
                    runtime,
                    narrowing: Narrowing::None,
                }
            }
            // `keep: all`: a claim, which is all there is to do.
            Err(None) => RuleReport {
                rule: id,
                name: name.to_string(),
                disposition: Disposition::Native,
                native_priorities: priorities,
                ecr: "shields its images from later archive rules (a claim that never expires anything)".into(),
                runtime: String::new(),
                narrowing: Narrowing::None,
            },
            Err(Some(why)) => {
                warnings.push(
                    Diagnostic::warning(
                        format!("{what} runs at runtime"),
                        keep.span,
                    )
                    .with_label(why.clone()),
                );
                RuleReport {
                    rule: id,
                    name: name.to_string(),
                    disposition: Disposition::Runtime,
                    native_priorities: priorities,
                    ecr: format!("{SHIELDS_ONLY}{why}"),
                    runtime: archive_runtime_sentence(keep.value),
                    narrowing: Narrowing::None,
                }
            }
        };
        reports.push(report);
    }
}

/// What the runner does for an archive rule that ECR does not carry.
fn archive_runtime_sentence(keep: ArchiveKeep) -> String {
    match keep {
        ArchiveKeep::All => String::new(),
        ArchiveKeep::ExpireAfter(d) => {
            format!("deletes the archived images it governs once they have been in the archive {d}")
        }
    }
}

/// Claims matter only before a native rule of their storage class that acts on images of an
/// overlapping tag class; the rest would shield nothing and only make the policy longer.
fn prune_claims(specs: &mut Vec<NativeRuleSpec>, reports: &mut [RuleReport]) {
    let keep: Vec<bool> = (0..specs.len())
        .map(|p| {
            specs[p].action.acts()
                || specs[p + 1..].iter().any(|later| {
                    later.action.acts()
                        && later.action.in_archive() == specs[p].action.in_archive()
                        && later.filter.class().overlaps(specs[p].filter.class())
                })
        })
        .collect();
    retain_specs(specs, reports, &keep);
    for r in reports.iter_mut() {
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

/// Keeps the specs whose flag is set, numbered again from 1, and the reports' priorities with
/// them.
fn retain_specs(specs: &mut Vec<NativeRuleSpec>, reports: &mut [RuleReport], keep: &[bool]) {
    let mut renumber = std::collections::HashMap::new();
    let mut next = 1u32;
    let mut kept = Vec::new();
    for (spec, &k) in specs.drain(..).zip(keep) {
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
    }
}

/// ECR accepts at most 50 rules and 30,720 characters. Keeping a prefix of each storage
/// class's native rules is sound (every kept rule keeps the shields before it); the rules cut
/// off run at runtime. The archive's rules are cut last: they are few, and without them
/// archived images would never be deleted natively.
fn fit_ecr_limits(
    policy: &Policy,
    specs: &mut Vec<NativeRuleSpec>,
    reports: &mut [RuleReport],
    warnings: &mut Vec<Diagnostic>,
) {
    let fits = |kept: &[NativeRuleSpec]| {
        kept.len() <= native::validate::MAX_RULES
            && to_native(kept).to_json_pretty().chars().count()
                <= native::validate::MAX_POLICY_CHARS
    };
    if fits(specs) {
        return;
    }
    // Standard rules come first, then the archive's.
    let standard = specs.iter().take_while(|s| !s.action.in_archive()).count();
    let archived = specs.len() - standard;
    let mut keep_archived = archived.min(native::validate::MAX_RULES);
    let mut keep_standard = standard.min(native::validate::MAX_RULES - keep_archived);
    let kept = |ks: usize, ka: usize| -> Vec<NativeRuleSpec> {
        specs[..ks]
            .iter()
            .chain(&specs[standard..standard + ka])
            .cloned()
            .collect()
    };
    while !fits(&kept(keep_standard, keep_archived)) {
        if keep_standard > 0 {
            keep_standard -= 1;
        } else if keep_archived > 0 {
            keep_archived -= 1;
        } else {
            break;
        }
    }
    // The first DSL rule of each class that loses a native rule, and every rule after it.
    let cuts: Vec<RuleId> = [
        specs
            .get(keep_standard)
            .filter(|_| keep_standard < standard),
        specs.get(standard + keep_archived),
    ]
    .into_iter()
    .flatten()
    .map(|s| s.rule)
    .collect();
    let flags: Vec<bool> = (0..specs.len())
        .map(|i| {
            if i < standard {
                i < keep_standard
            } else {
                i - standard < keep_archived
            }
        })
        .collect();
    let lost: BTreeSet<u32> = specs
        .iter()
        .zip(&flags)
        .filter(|(_, k)| !**k)
        .map(|(s, _)| s.priority)
        .collect();
    for &first_cut in &cuts {
        let same_class =
            |r: RuleId| matches!(r, RuleId::Rule(_)) == matches!(first_cut, RuleId::Rule(_));
        for r in reports
            .iter_mut()
            .filter(|r| r.rule >= first_cut && same_class(r.rule))
        {
            let lost_some = r.native_priorities.iter().any(|p| lost.contains(p));
            if !lost_some && r.rule > first_cut {
                continue;
            }
            if r.disposition != Disposition::Runtime && !keeps_all(policy, r.rule) {
                r.disposition = Disposition::Runtime;
                r.ecr = "nothing: the native policy reached ECR's limit of 50 rules or 30,720 characters before this rule".into();
                r.runtime = match r.rule {
                    RuleId::Rule(i) => policy.rules.get(i).map(runtime_sentence),
                    RuleId::Archive(i) => policy
                        .archive_rules()
                        .get(i)
                        .map(|a| archive_runtime_sentence(a.keep.value)),
                    RuleId::ArchiveDefault => policy
                        .archive
                        .as_ref()
                        .and_then(|a| a.expire_after.as_ref())
                        .map(|d| archive_runtime_sentence(ArchiveKeep::ExpireAfter(d.value))),
                }
                .unwrap_or_default();
            }
        }
        let (name, span) = policy.rule_name(first_cut).unwrap_or_default();
        warnings.push(
            Diagnostic::warning(
                format!(
                    "the native policy is cut at {} rules to fit ECR's limits; rule `{name}` and later{} run at runtime",
                    keep_standard + keep_archived,
                    if matches!(first_cut, RuleId::Rule(_)) { "" } else { " archive rules" }
                ),
                span,
            )
            .with_help("ECR accepts at most 50 rules and 30,720 characters per lifecycle policy"),
        );
    }
    retain_specs(specs, reports, &flags);
    // Claims at the end now shield nothing.
    prune_claims(specs, reports);
}

/// Whether the rule keeps every image it governs (so a claim is all it ever needs).
fn keeps_all(policy: &Policy, id: RuleId) -> bool {
    match id {
        RuleId::Rule(i) => policy
            .rules
            .get(i)
            .is_some_and(|r| matches!(r.keep.value, Keep::All)),
        RuleId::Archive(i) => policy
            .archive_rules()
            .get(i)
            .is_some_and(|r| r.keep.value == ArchiveKeep::All),
        RuleId::ArchiveDefault => false,
    }
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
        NativeAction::Claim | NativeAction::ClaimArchived => {
            "shields its images from later rules".into()
        }
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
    describe_named(&rule.name, rule.description.as_deref(), action)
}

/// A native rule's description: the DSL rule's name and description, and what it does.
fn describe_named(name: &str, description: Option<&str>, action: NativeAction) -> String {
    let what = match action {
        NativeAction::Claim | NativeAction::ClaimArchived => "claim, never expires".to_string(),
        NativeAction::ExpireBeyondCount(n) => format!("keep newest {n}"),
        NativeAction::ExpireOlderThanDays(d) => format!("expire after {d} days"),
        NativeAction::ArchiveBeyondCount(n) => format!("keep newest {n}, archive the rest"),
        NativeAction::ArchiveOlderThanDays(d) => format!("archive after {d} days"),
        NativeAction::ArchiveNotPulledForDays(d) => {
            format!("archive when not pulled for {d} days")
        }
        NativeAction::ExpireArchivedAfterDays(d) => format!("expire after {d} days in archive"),
    };
    match description {
        Some(d) => format!("{name}: {d} ({what})"),
        None => format!("{name} ({what})"),
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

/// Why a rule (when one is at fault) cannot be what the policy asks.
pub type RuleProblem = (Option<RuleId>, String);

/// `evaluation: ecr`: each rule is one native rule, verbatim; ECR does all of it.
fn compile_ecr(policy: &Policy) -> Compiled {
    match ecr_native(policy) {
        Ok((specs, native)) => Compiled {
            rules: specs
                .iter()
                .map(|s| RuleReport {
                    rule: s.rule,
                    name: policy
                        .rule_name(s.rule)
                        .map(|(n, _)| n.to_string())
                        .unwrap_or_default(),
                    disposition: Disposition::Native,
                    native_priorities: vec![s.priority],
                    ecr: ecr_sentence(s.action),
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
                    (Some(n), _, _) if archive => Ok(NativeAction::ArchiveBeyondCount(n.value)),
                    (Some(n), _, _) => Ok(NativeAction::ExpireBeyondCount(n.value)),
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
