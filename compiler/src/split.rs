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
//! The runner does what the reference semantics ask and ECR does not (`decide` says which).

use std::collections::BTreeSet;

use crate::dsl::Policy;
use crate::dsl::policy::{ArchiveKeep, Keep, Matcher, Order, Otherwise, Rule, RuleId, TagClass};
use crate::native::{self, NativeError, ValidPolicy};
use crate::source::Span;
use crate::translate::{self, filters_for};
pub use crate::translate::{
    CLAIM_DAYS, NativeAction, NativeRuleSpec, RuleProblem, TagFilter, Unselectable, ecr_native,
    to_native,
};

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
    /// What ECR does.
    pub ecr: EcrPart,
    /// What the runner does.
    pub runner: RunnerPart,
    /// What earlier rules leave this rule to govern, where that narrows its match.
    pub narrowing: Narrowing,
}

/// What ECR does for a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EcrPart {
    /// Native rules carry its action.
    Acts(NativeAction),
    /// `keep: all`: claims that never fire shield its images from later rules of its storage
    /// class (`archive`: the archive's rules).
    ShieldsAll { archive: bool },
    /// Its filters stay as claims, so later rules' shares stay right, and ECR acts on none of
    /// its images, for this reason.
    ShieldsOnly(NotNative),
    /// Nothing, for this reason.
    Nothing(NotNative),
    /// Nothing to do: it keeps every image it governs and shields nothing.
    NothingToDo,
}

/// Why ECR does not carry a rule (or all of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotNative {
    /// ECR cannot select its images: the translation says why.
    CannotSelect(Unselectable),
    /// It keeps every image it governs.
    KeepsAll,
    /// Several alternatives in `keep`, where an ECR rule has one condition.
    Alternatives,
    /// `pulled_within` with `otherwise: expire`: ECR only archives by pull time.
    PullTimeOnlyArchives,
    /// An anchored window.
    NoAnchors,
    /// `newest` ranked by version or counted per group: ECR counts by push time over one
    /// filter.
    RanksOtherwise { by: Order, per: bool },
    /// Its native rule would act on an image in use in this repository.
    InUse,
    /// An earlier rule (or archive rule) ECR cannot see could select the same images.
    BlockedBy { rule: String, archive: bool },
    /// ECR's count would include images this earlier rule governs.
    CountIncludes { rule: String },
    /// A count over several tag patterns: ECR counts each separately.
    CountsEachPattern,
    /// The native policy reached ECR's limits before this rule.
    Limits,
    /// `otherwise: untag`: ECR's lifecycle policies delete images, not tags.
    RemovesTags,
    /// The registry has no lifecycle policies (ECR Public).
    NoLifecyclePolicies,
}

/// What the runner does for a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunnerPart {
    Nothing,
    /// Deletes (or archives) every image the rule governs.
    Every(Otherwise),
    /// Deletes (or archives) the images the rule governs and does not keep.
    NotKept(Otherwise),
    /// Deletes (or archives) the images pushed in the last day (`keep: none` with ECR's 1 day).
    LastDay(Otherwise),
    /// Deletes (or archives) the images past a window that is not whole days, before ECR's
    /// whole days.
    BeforeWholeDays {
        otherwise: Otherwise,
        days: i64,
    },
    /// Deletes the archived images the rule governs once they have been in the archive so long.
    ArchivedAfter(crate::duration::Duration),
    /// Deletes the archived images past a window that is not whole days.
    ArchivedBeforeWholeDays(i64),
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
    pub warnings: Vec<Warning>,
}

/// What `compile` warns of, as data (the CLI words it, at the place the file says it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// About one rule (or archive rule, or `archive.expire_after`).
    Rule {
        rule: RuleId,
        name: String,
        /// The part of the rule the warning is about: its match or its keep.
        span: Span,
        kind: RuleWarning,
    },
    /// The validator refused the native policy the compiler made: a bug, reported rather than
    /// hidden; every rule runs at runtime.
    NativeRefused(NativeError),
    /// An `evaluation: ecr` policy the checker did not see (built in code) is not one native
    /// policy; the checker's own message says why.
    NotVerbatim(String),
}

/// What is said of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleWarning {
    /// ECR cannot select its images: it runs at runtime, and later rules that could select
    /// the same images cannot act natively either.
    Unselectable(Unselectable),
    /// ECR does its part in whole days; the runner does the rest.
    PartlyRuntime {
        ecr: NativeAction,
        runner: RunnerPart,
    },
    /// It runs at runtime.
    Runtime(NotNative),
    /// The native policy is cut at `kept` rules to fit ECR's limits, from this rule on.
    CutForLimits { kept: usize },
}

impl Compiled {
    /// Rules the runner carries out in whole or in part: they act only when it runs.
    pub fn runner_rules(&self) -> usize {
        self.rules
            .iter()
            .filter(|r| r.disposition != Disposition::Native)
            .count()
    }
}

/// The native action a keep would need, and whether ECR's version is exact.
enum Wanted {
    Action { action: NativeAction, exact: bool },
    Nothing(NotNative),
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
    if otherwise == Otherwise::Untag {
        return Wanted::Nothing(NotNative::RemovesTags);
    }
    match keep {
        Keep::All => Wanted::Nothing(NotNative::KeepsAll),
        Keep::None => Wanted::Action {
            action: age(1),
            exact: false,
        },
        Keep::Retain(r) => {
            if r.alternatives() > 1 {
                return Wanted::Nothing(NotNative::Alternatives);
            }
            if let Some(n) = &r.newest {
                if !n.by_push_time_alone() {
                    return Wanted::Nothing(NotNative::RanksOtherwise {
                        by: n.by,
                        per: n.per.is_some(),
                    });
                }
                return Wanted::Action {
                    action: count(n.count.value),
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
                    return Wanted::Nothing(NotNative::PullTimeOnlyArchives);
                }
                return Wanted::Action {
                    action: NativeAction::ArchiveNotPulledForDays(d.ceil_days()),
                    exact: d.is_whole_days(),
                };
            }
            Wanted::Nothing(NotNative::NoAnchors)
        }
    }
}

/// Compiles one policy.
pub fn compile(policy: &Policy) -> Compiled {
    compile_holding(policy, &BTreeSet::new())
}

/// Compiles for a registry with no lifecycle policies (ECR Public): no native policy, every
/// rule the runner's, and no warning per rule (the file is told once, by the caller).
pub fn compile_runtime_only(policy: &Policy) -> Compiled {
    let rules = policy
        .rules
        .iter()
        .enumerate()
        .map(|(i, rule)| RuleReport {
            rule: RuleId::Rule(i),
            name: rule.name.to_string(),
            disposition: Disposition::Runtime,
            native_priorities: Vec::new(),
            ecr: EcrPart::Nothing(NotNative::NoLifecyclePolicies),
            runner: runner_part(rule),
            narrowing: Narrowing::None,
        })
        .collect();
    Compiled {
        specs: Vec::new(),
        native: None,
        rules,
        warnings: Vec::new(),
    }
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
    let mut unshielded: Vec<(usize, TagClass, Unselectable)> = Vec::new();

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
                let runner = runner_part(rule);
                warnings.push(Warning::Rule {
                    rule: RuleId::Rule(i),
                    name: name.clone(),
                    span: rule.matcher.span,
                    kind: RuleWarning::Unselectable(why.clone()),
                });
                reports.push(RuleReport {
                    rule: RuleId::Rule(i),
                    name,
                    disposition: Disposition::Runtime,
                    native_priorities: Vec::new(),
                    ecr: EcrPart::Nothing(NotNative::CannotSelect(why)),
                    runner,
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
            (_, _) if held.contains(&RuleId::Rule(i)) => Err(NotNative::InUse),
            (_, Some((j, _, _))) => Err(NotNative::BlockedBy {
                rule: policy.rules[*j].name.value.clone(),
                archive: false,
            }),
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
                (_, Some(earlier)) => Err(NotNative::CountIncludes {
                    rule: earlier.name.value.clone(),
                }),
                _ => Err(NotNative::CountsEachPattern),
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
                let (disposition, runner) = if *exact {
                    (Disposition::Native, RunnerPart::Nothing)
                } else {
                    let otherwise = rule.otherwise;
                    let runner = match (&rule.keep.value, a) {
                        (Keep::None, _) => RunnerPart::LastDay(otherwise),
                        (
                            _,
                            NativeAction::ExpireOlderThanDays(days)
                            | NativeAction::ArchiveOlderThanDays(days)
                            | NativeAction::ArchiveNotPulledForDays(days),
                        ) => RunnerPart::BeforeWholeDays {
                            otherwise,
                            days: *days,
                        },
                        _ => RunnerPart::Nothing,
                    };
                    warnings.push(Warning::Rule {
                        rule: RuleId::Rule(i),
                        name: name.clone(),
                        span: rule.keep.span,
                        kind: RuleWarning::PartlyRuntime { ecr: *a, runner },
                    });
                    (Disposition::NativeAndRuntime, runner)
                };
                RuleReport {
                    rule: RuleId::Rule(i),
                    name,
                    disposition,
                    native_priorities: priorities,
                    ecr: EcrPart::Acts(*a),
                    runner,
                    narrowing,
                }
            }
            Err(why) => {
                if !matches!(rule.keep.value, Keep::All) {
                    warnings.push(Warning::Rule {
                        rule: RuleId::Rule(i),
                        name: name.clone(),
                        span: rule.keep.span,
                        kind: RuleWarning::Runtime(why.clone()),
                    });
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
                        EcrPart::ShieldsAll { archive: false }
                    } else {
                        EcrPart::ShieldsOnly(why.clone())
                    },
                    runner: runner_part(rule),
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
                warnings.extend(errors.into_iter().map(Warning::NativeRefused));
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
    warnings: &mut Vec<Warning>,
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
        let class = matcher.class();
        let filters = match filters_for(matcher) {
            Ok(f) => f,
            Err(why) => {
                unshielded.push((class, name));
                warnings.push(Warning::Rule {
                    rule: id,
                    name: name.to_string(),
                    span: matcher.span,
                    kind: RuleWarning::Unselectable(why.clone()),
                });
                reports.push(RuleReport {
                    rule: id,
                    name: name.to_string(),
                    disposition: Disposition::Runtime,
                    native_priorities: Vec::new(),
                    ecr: EcrPart::Nothing(NotNative::CannotSelect(why)),
                    runner: archive_runner_part(keep.value),
                    narrowing: Narrowing::None,
                });
                continue;
            }
        };
        let blocker = unshielded.iter().find(|(c, _)| c.overlaps(class));
        let action = match (keep.value, blocker) {
            (ArchiveKeep::All, _) => Err(None),
            (_, _) if held.contains(&id) => Err(Some(NotNative::InUse)),
            (_, Some((_, earlier))) => Err(Some(NotNative::BlockedBy {
                rule: earlier.to_string(),
                archive: true,
            })),
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
                let runner = if exact {
                    RunnerPart::Nothing
                } else {
                    let days = match a {
                        NativeAction::ExpireArchivedAfterDays(d) => d,
                        _ => 0,
                    };
                    let runner = RunnerPart::ArchivedBeforeWholeDays(days);
                    warnings.push(Warning::Rule {
                        rule: id,
                        name: name.to_string(),
                        span: keep.span,
                        kind: RuleWarning::PartlyRuntime { ecr: a, runner },
                    });
                    runner
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
                    ecr: EcrPart::Acts(a),
                    runner,
                    narrowing: Narrowing::None,
                }
            }
            // `keep: all`: a claim, which is all there is to do.
            Err(None) => RuleReport {
                rule: id,
                name: name.to_string(),
                disposition: Disposition::Native,
                native_priorities: priorities,
                ecr: EcrPart::ShieldsAll { archive: true },
                runner: RunnerPart::Nothing,
                narrowing: Narrowing::None,
            },
            Err(Some(why)) => {
                warnings.push(Warning::Rule {
                    rule: id,
                    name: name.to_string(),
                    span: keep.span,
                    kind: RuleWarning::Runtime(why.clone()),
                });
                RuleReport {
                    rule: id,
                    name: name.to_string(),
                    disposition: Disposition::Runtime,
                    native_priorities: priorities,
                    ecr: EcrPart::ShieldsOnly(why),
                    runner: archive_runner_part(keep.value),
                    narrowing: Narrowing::None,
                }
            }
        };
        reports.push(report);
    }
}

/// What the runner does for an archive rule that ECR does not carry.
fn archive_runner_part(keep: ArchiveKeep) -> RunnerPart {
    match keep {
        ArchiveKeep::All => RunnerPart::Nothing,
        ArchiveKeep::ExpireAfter(d) => RunnerPart::ArchivedAfter(d),
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
                        && translate::class(&later.filter)
                            .overlaps(translate::class(&specs[p].filter))
                })
        })
        .collect();
    retain_specs(specs, reports, &keep);
    for r in reports
        .iter_mut()
        .filter(|r| r.native_priorities.is_empty())
    {
        r.ecr = match &r.ecr {
            // A `keep: all` rule whose claim was pruned: nothing to do anywhere.
            EcrPart::ShieldsAll { .. } => EcrPart::NothingToDo,
            EcrPart::ShieldsOnly(why) => EcrPart::Nothing(why.clone()),
            other => other.clone(),
        };
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
    warnings: &mut Vec<Warning>,
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
                r.ecr = EcrPart::Nothing(NotNative::Limits);
                r.runner = match r.rule {
                    RuleId::Rule(i) => policy.rules.get(i).map(runner_part),
                    RuleId::Archive(i) => policy
                        .archive_rules()
                        .get(i)
                        .map(|a| archive_runner_part(a.keep.value)),
                    RuleId::ArchiveDefault => policy
                        .archive
                        .as_ref()
                        .and_then(|a| a.expire_after.as_ref())
                        .map(|d| archive_runner_part(ArchiveKeep::ExpireAfter(d.value))),
                }
                .unwrap_or(RunnerPart::Nothing);
            }
        }
        let (name, span) = policy.rule_name(first_cut).unwrap_or_default();
        warnings.push(Warning::Rule {
            rule: first_cut,
            name: name.to_string(),
            span,
            kind: RuleWarning::CutForLimits {
                kept: keep_standard + keep_archived,
            },
        });
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

fn runner_part(rule: &Rule) -> RunnerPart {
    match &rule.keep.value {
        Keep::All => RunnerPart::Nothing,
        Keep::None => RunnerPart::Every(rule.otherwise),
        Keep::Retain(_) => RunnerPart::NotKept(rule.otherwise),
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
                    ecr: EcrPart::Acts(s.action),
                    runner: RunnerPart::Nothing,
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
                .map(|(_, m)| Warning::NotVerbatim(m))
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests;
