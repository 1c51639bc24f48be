//! The English of a rule's account: what ECR does, what the runner does, why a rule is not
//! native, and `compile`'s warnings. Decided as data by the compiler (`split`); worded here
//! once, for `compile`'s report and its warnings alike.

use ecr_lifecycle_compiler::diagnostic::Diagnostic;
use ecr_lifecycle_compiler::dsl::policy::{Order, Otherwise, RuleId};
use ecr_lifecycle_compiler::glob::Inexpressible;
use ecr_lifecycle_compiler::split::{
    EcrPart, NativeAction, NotNative, RuleWarning, RunnerPart, Unselectable, Warning,
};

/// What ECR does for a rule, as `compile` reports it.
pub(crate) fn ecr(part: &EcrPart) -> String {
    match part {
        EcrPart::Acts(a) => action(*a),
        EcrPart::ShieldsAll { archive: false } => {
            "shields its images from later rules (a claim that never expires anything)".into()
        }
        EcrPart::ShieldsAll { archive: true } => {
            "shields its images from later archive rules (a claim that never expires anything)"
                .into()
        }
        EcrPart::ShieldsOnly(why) => format!(
            "shields its images from later rules, and expires nothing: {}",
            not_native(why)
        ),
        EcrPart::Nothing(why) => format!("nothing: {}", not_native(why)),
        EcrPart::NothingToDo => "nothing to do: it keeps every image it governs".into(),
    }
}

/// A native action, as a verb phrase.
pub(crate) fn action(a: NativeAction) -> String {
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

/// Why ECR does not carry a rule.
pub(crate) fn not_native(why: &NotNative) -> String {
    match why {
        NotNative::CannotSelect(why) => unselectable(why),
        NotNative::KeepsAll => "it keeps every image it governs".into(),
        NotNative::Alternatives => "it keeps an image when any of several conditions holds, and an ECR rule has one condition".into(),
        NotNative::PullTimeOnlyArchives => {
            "ECR can only archive, not expire, by the time of the last pull".into()
        }
        NotNative::NoAnchors => "ECR has no anchored windows".into(),
        NotNative::RanksOtherwise { by, per } => {
            let what = match (by, per) {
                (Order::Version, false) => "ranks by version",
                (Order::Version, true) => "ranks by version within groups",
                (Order::Push, _) => "counts within groups",
            };
            format!("it {what}, and ECR counts by push time over one tag filter")
        }
        NotNative::InUse => "ECR would act on an image in use in this repository".into(),
        NotNative::BlockedBy { rule, archive } => format!(
            "{}rule `{rule}` before it could select the same images and ECR cannot see which",
            if *archive { "archive " } else { "" }
        ),
        NotNative::CountIncludes { rule } => {
            format!("ECR's count would include images that rule `{rule}` governs")
        }
        NotNative::CountsEachPattern => {
            "ECR counts each tag pattern separately, not their union".into()
        }
        NotNative::RemovesTags => {
            "it removes tags, and ECR's lifecycle policies only delete or archive images".into()
        }
        NotNative::Limits => "the native policy reached ECR's limit of 50 rules or 30,720 characters before this rule".into(),
        NotNative::NoLifecyclePolicies => "ECR Public has no lifecycle policies".into(),
    }
}

/// What the runner does for a rule; empty when nothing.
pub(crate) fn runner(part: RunnerPart) -> String {
    let verb = |o: Otherwise| match o {
        Otherwise::Expire => "deletes",
        Otherwise::Archive => "archives",
        Otherwise::Untag => {
            "removes the tags its match names (deleting an image left with none) from"
        }
    };
    match part {
        RunnerPart::Nothing => String::new(),
        RunnerPart::Every(o) => format!("{} every image it governs", verb(o)),
        RunnerPart::NotKept(o) => format!("{} the images it governs and does not keep", verb(o)),
        RunnerPart::LastDay(o) => format!("{} the images pushed in the last day", verb(o)),
        RunnerPart::BeforeWholeDays { otherwise, days } => format!(
            "{} the images past the window but not yet {days} days old",
            verb(otherwise)
        ),
        RunnerPart::ArchivedAfter(d) => {
            format!("deletes the archived images it governs once they have been in the archive {d}")
        }
        RunnerPart::ArchivedBeforeWholeDays(days) => format!(
            "deletes the archived images past the window but not yet {days} days in the archive"
        ),
    }
}

/// Why ECR cannot select the images a match selects.
pub(crate) fn unselectable(why: &Unselectable) -> String {
    match why {
        Unselectable::Where => "its `where` expression cannot be evaluated by ECR".into(),
        Unselectable::Regex => "ECR tag patterns have no regular expressions".into(),
        Unselectable::Glob {
            glob,
            why: Inexpressible::QuestionMark,
        } => format!("`{glob}` uses `?`, which ECR patterns lack"),
        Unselectable::Glob {
            glob,
            why: Inexpressible::TooManyWildcards { stars, max },
        } => format!("`{glob}` has {stars} `*`, and ECR allows at most {max}"),
    }
}

/// A warning of `compile`, as a diagnostic at the place the file says what it is about.
pub(crate) fn warning(w: &Warning) -> Diagnostic {
    let (rule, name, span, kind) = match w {
        Warning::Rule {
            rule,
            name,
            span,
            kind,
        } => (*rule, name, *span, kind),
        Warning::NativeRefused(e) => {
            return Diagnostic::file_error(format!(
                "internal: the native policy was refused ({e}); every rule runs at runtime"
            ));
        }
        Warning::NotVerbatim(message) => return Diagnostic::file_error(message.clone()),
    };
    let what = match rule {
        RuleId::Rule(_) => format!("rule `{name}`"),
        RuleId::Archive(_) => format!("archive rule `{name}`"),
        RuleId::ArchiveDefault => "`archive.expire_after`".into(),
    };
    let later = match rule {
        RuleId::Rule(_) => "later rules",
        RuleId::Archive(_) | RuleId::ArchiveDefault => "later archive rules",
    };
    match kind {
        RuleWarning::Unselectable(why) => Diagnostic::warning(
            format!("{what} runs at runtime: ECR cannot select its images"),
            span,
        )
        .with_label(unselectable(why))
        .with_note(format!(
            "{later} that could select the same images cannot delete natively either"
        )),
        RuleWarning::PartlyRuntime { ecr: a, runner: r } => {
            Diagnostic::warning(format!("{what} runs partly at runtime"), span)
                .with_label(format!("ECR {}; the runner {}", action(*a), runner(*r)))
                .with_help(match rule {
                    RuleId::Rule(_) => {
                        "ECR counts whole days: a window in whole days runs entirely in ECR"
                    }
                    RuleId::Archive(_) | RuleId::ArchiveDefault => {
                        "ECR counts whole days: write `expire_after` in days"
                    }
                })
        }
        RuleWarning::Runtime(why) => {
            Diagnostic::warning(format!("{what} runs at runtime"), span).with_label(not_native(why))
        }
        RuleWarning::CutForLimits { kept } => Diagnostic::warning(
            format!(
                "the native policy is cut at {kept} rules to fit ECR's limits; rule `{name}` and later{} run at runtime",
                if matches!(rule, RuleId::Rule(_)) {
                    ""
                } else {
                    " archive rules"
                }
            ),
            span,
        )
        .with_help("ECR accepts at most 50 rules and 30,720 characters per lifecycle policy"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecr_lifecycle_compiler::duration::Duration;
    use ecr_lifecycle_compiler::source::Span;

    const SPAN: Span = Span { start: 3, end: 9 };

    fn rule_warning(rule: RuleId, name: &str, kind: RuleWarning) -> Diagnostic {
        warning(&Warning::Rule {
            rule,
            name: name.into(),
            span: SPAN,
            kind,
        })
    }

    #[test]
    fn a_rule_account_says_what_ecr_and_the_runner_do() {
        let counted = EcrPart::Nothing(NotNative::CountIncludes {
            rule: "prod".into(),
        });
        assert_eq!(
            ecr(&counted),
            "nothing: ECR's count would include images that rule `prod` governs"
        );
        let blocked = EcrPart::Nothing(NotNative::BlockedBy {
            rule: "scanned".into(),
            archive: true,
        });
        assert!(
            ecr(&blocked).contains("archive rule `scanned` before it"),
            "{}",
            ecr(&blocked)
        );
        let after = RunnerPart::ArchivedAfter(Duration::from_days(90));
        assert!(
            runner(after).ends_with("in the archive 90d"),
            "{}",
            runner(after)
        );
        assert_eq!(
            not_native(&NotNative::RanksOtherwise {
                by: Order::Version,
                per: true
            }),
            "it ranks by version within groups, and ECR counts by push time over one tag filter"
        );
        assert_eq!(
            ecr(&EcrPart::ShieldsOnly(NotNative::RemovesTags)),
            "shields its images from later rules, and expires nothing: it removes tags, and ECR's lifecycle policies only delete or archive images"
        );
        assert_eq!(
            runner(RunnerPart::NotKept(Otherwise::Untag)),
            "removes the tags its match names (deleting an image left with none) from the images it governs and does not keep"
        );
        assert_eq!(runner(RunnerPart::Nothing), "");
    }

    #[test]
    fn a_match_ecr_cannot_select_says_which_part() {
        let glob = |why| Unselectable::Glob {
            glob: "v?*".into(),
            why,
        };
        assert_eq!(
            unselectable(&glob(Inexpressible::QuestionMark)),
            "`v?*` uses `?`, which ECR patterns lack"
        );
        assert_eq!(
            unselectable(&glob(Inexpressible::TooManyWildcards { stars: 5, max: 4 })),
            "`v?*` has 5 `*`, and ECR allows at most 4"
        );
        assert_eq!(
            not_native(&NotNative::CannotSelect(Unselectable::Where)),
            "its `where` expression cannot be evaluated by ECR"
        );
    }

    #[test]
    fn a_warning_names_a_rule_an_archive_rule_or_expire_after_at_its_place() {
        let d = rule_warning(
            RuleId::Archive(0),
            "scanned",
            RuleWarning::Unselectable(Unselectable::Regex),
        );
        assert_eq!(
            d.message,
            "archive rule `scanned` runs at runtime: ECR cannot select its images"
        );
        assert_eq!(
            d.label.as_deref(),
            Some("ECR tag patterns have no regular expressions")
        );
        assert_eq!(
            d.notes,
            ["later archive rules that could select the same images cannot delete natively either"]
        );
        assert_eq!(d.span, Some(SPAN));

        let d = rule_warning(
            RuleId::ArchiveDefault,
            "archive",
            RuleWarning::Runtime(NotNative::NoAnchors),
        );
        assert_eq!(d.message, "`archive.expire_after` runs at runtime");
        assert_eq!(d.label.as_deref(), Some("ECR has no anchored windows"));

        let d = rule_warning(
            RuleId::Rule(0),
            "r",
            RuleWarning::PartlyRuntime {
                ecr: NativeAction::ExpireOlderThanDays(2),
                runner: RunnerPart::BeforeWholeDays {
                    otherwise: Otherwise::Expire,
                    days: 2,
                },
            },
        );
        assert_eq!(d.message, "rule `r` runs partly at runtime");
        assert_eq!(
            d.label.as_deref(),
            Some(
                "ECR expires images pushed more than 2 days ago; the runner deletes the images past the window but not yet 2 days old"
            )
        );
        assert_eq!(
            d.help.as_deref(),
            Some("ECR counts whole days: a window in whole days runs entirely in ECR")
        );

        let d = rule_warning(
            RuleId::Rule(46),
            "r46",
            RuleWarning::CutForLimits { kept: 50 },
        );
        assert_eq!(
            d.message,
            "the native policy is cut at 50 rules to fit ECR's limits; rule `r46` and later run at runtime"
        );
        let d = rule_warning(
            RuleId::Archive(3),
            "a3",
            RuleWarning::CutForLimits { kept: 50 },
        );
        assert!(
            d.message
                .ends_with("rule `a3` and later archive rules run at runtime")
        );
    }
}
