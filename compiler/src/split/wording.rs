//! The English of a rule's account: what ECR does, what the runner does, and why a rule is not
//! native. Decided as data by the compiler; worded here once, for `compile`'s report and for
//! the compiler's warnings alike.

use super::{EcrPart, NativeAction, NotNative, RunnerPart};
use crate::dsl::policy::{Order, Otherwise};

/// What ECR does for a rule, as `compile` reports it.
pub fn ecr(part: &EcrPart) -> String {
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
pub fn action(a: NativeAction) -> String {
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
pub fn not_native(why: &NotNative) -> String {
    match why {
        NotNative::CannotSelect(reason) => reason.clone(),
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
pub fn runner(part: RunnerPart) -> String {
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
