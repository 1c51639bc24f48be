//! The English of plan data: reasons and notes are decided as data, and worded here once, for
//! the text and Markdown plans and for explanations alike.

use ecr_lifecycle_compiler::dsl::policy::Order;
use ecr_lifecycle_compiler::reference::{AnchorReason, Fate, Group, Reason};
use ecr_lifecycle_runtime::apply::PolicySkipped;
use ecr_lifecycle_runtime::plan::{ArchiveAge, ImageAction, KeptInUse, Note};
use jiff::Timestamp;

/// A sentence for a decision, for plans and explanations.
pub(crate) fn reason(reason: &Reason) -> String {
    let days = |s: i64| {
        let d = s as f64 / 86_400.0;
        if d >= 2.0 || d <= -2.0 {
            format!("{} days", d.floor())
        } else {
            format!("{} hours", (s as f64 / 3600.0).floor())
        }
    };
    let date = |t: Timestamp| t.strftime("%Y-%m-%d").to_string();
    match reason {
        Reason::NotActive => "archived: rules govern active images only".into(),
        Reason::InArchive { seconds, window } => format!(
            "in the archive for {}; the policy deletes archived images after {}",
            days(*seconds),
            days(*window)
        ),
        Reason::ArchiveTimeUnknown => {
            "archived at a time the registry does not report, so it is kept".into()
        }
        Reason::Ungoverned => "no rule matches it".into(),
        Reason::KeepAll => "the rule keeps every image it governs".into(),
        Reason::KeepNone => "the rule keeps none of its images".into(),
        Reason::Newest { rank, limit } => {
            format!("number {rank} by push time; the rule keeps the newest {limit}")
        }
        Reason::Ranked {
            rank,
            limit,
            by,
            version,
            group,
        } => ranked(*rank, *limit, *by, version.as_deref(), group.as_ref()),
        Reason::Age { seconds, window } => format!(
            "pushed {} ago; the rule keeps images younger than {}",
            days(*seconds),
            days(*window)
        ),
        Reason::PullAge { seconds, window } => format!(
            "last pulled (or pushed) {} ago; the rule keeps images pulled within {}",
            days(*seconds),
            days(*window)
        ),
        Reason::Anchor(a) => match a {
            AnchorReason::NoAnchor => {
                "no image carries an anchor tag, so the window has no anchor and nothing expires"
                    .into()
            }
            AnchorReason::InWindow { anchor } => {
                format!(
                    "inside the window before the anchor (pushed {})",
                    date(*anchor)
                )
            }
            AnchorReason::AmongAtLeast { anchor, rank } => format!(
                "number {rank} among the images pushed before the anchor ({}), which the rule keeps at least of",
                date(*anchor)
            ),
            AnchorReason::BeforeWindow {
                anchor,
                window,
                at_least,
            } => format!(
                "pushed more than {} before the anchor (the oldest image with an anchor tag, pushed {}), and not among the {at_least} kept just before it",
                days(*window),
                date(*anchor)
            ),
        },
        Reason::NoAlternativeKeeps => "none of the rule's alternatives keeps it".into(),
        Reason::ChildOfKeptIndex { index: d } => format!("listed by the kept image index {d}"),
        Reason::ChildOfArchivedIndex { index: d } => {
            format!("listed by the image index {d}, which is archived with it")
        }
        Reason::FollowsSubject { subject: d } => format!("a referrer of {d}, which it follows"),
        Reason::WhereFailed { error: e } => {
            format!("kept: the `where` expression failed on it ({e})")
        }
        Reason::Ecr { priority: Some(p) } => {
            format!("as ECR evaluates the policy, native rule {p} governs it")
        }
        Reason::Ecr { priority: None } => "as ECR evaluates the policy, no rule selects it".into(),
        Reason::InUse { consumer, more: 0 } => format!("in use by {consumer}"),
        Reason::InUse { consumer, more } => format!("in use by {consumer} and {more} more"),
        Reason::SubjectOfInUse { referrer: d } => {
            format!("the subject of {d}, which is in use (ECR deletes a referrer with its subject)")
        }
    }
}

/// `newest` by version or per group: "number 2 by version (`v1.4.7`) in group `1.4`; the rule
/// keeps 3 per group".
fn ranked(
    rank: usize,
    limit: u32,
    by: Order,
    version: Option<&str>,
    group: Option<&Group>,
) -> String {
    let position = match (by, version) {
        (Order::Push, _) => format!("number {rank} by push time"),
        (Order::Version, Some(tag)) => format!("number {rank} by version (`{tag}`)"),
        (Order::Version, None) => {
            format!(
                "number {rank} (no tag is a version, so it ranks after the images with one, by push time)"
            )
        }
    };
    let group = match group {
        None => String::new(),
        Some(Group::Captures(c)) => {
            let names: Vec<&str> = c.iter().map(|c| c.as_deref().unwrap_or("-")).collect();
            match names.as_slice() {
                [one] => format!(" in group `{one}`"),
                many => format!(
                    " in group ({})",
                    many.iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
        Some(Group::Unmatched) => " among the images no tag of which matches `per`".to_string(),
    };
    let keeps = match (by, group.is_empty()) {
        (Order::Version, true) => format!("the rule keeps the {limit} highest versions"),
        (Order::Version, false) => format!("the rule keeps the {limit} highest versions per group"),
        (Order::Push, _) => format!("the rule keeps the newest {limit} per group"),
    };
    format!("{position}{group}; {keeps}")
}

/// What the runner does with an image whose rule removes some of its tags.
pub(crate) fn removes_tags(tags: &[String]) -> String {
    let (noun, them) = if tags.len() == 1 {
        ("tag", "it")
    } else {
        ("tags", "them")
    };
    format!(
        "removes {noun} {} and keeps the image (`plan` lists {them}, `apply` removes {them})",
        tags.join(", ")
    )
}

/// Why an image goes when its rule only removes tags: it would be left with none.
pub(crate) fn last_tags(tags: &[String]) -> String {
    format!(
        "the rule removes every tag it has ({}), and ECR deletes an image with its last tag",
        tags.join(", ")
    )
}

/// Why an archived image the policy deletes stays for now.
pub(crate) fn held(a: &ImageAction) -> String {
    format!(
        "{}; held: {}, and ECR bills 90 days of archive storage whenever it is deleted (plan with --allow-early-archive-delete to delete it now)",
        reason(&a.reason),
        match a.archived {
            Some(ArchiveAge::Days(d)) => format!("it has been in the archive {d} days"),
            _ => "the registry does not say when it was archived".into(),
        }
    )
}

/// Why an image the rules would act on stays: what keeps it, and what the rule would do.
pub(crate) fn kept_in_use(k: &KeptInUse) -> String {
    let rule = match &k.image.rule {
        Some(r) => format!("rule `{r}`"),
        None => "the policy".to_string(),
    };
    let would = if k.would_untag.is_empty() {
        format!("{} it", k.would.as_str())
    } else {
        format!("remove its tags {}", k.would_untag.join(", "))
    };
    format!(
        "{}; {rule} would {would} otherwise ({})",
        reason(&k.kept),
        reason(&k.image.reason)
    )
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A repository's note, in a sentence.
pub(crate) fn note(n: &Note) -> String {
    match n {
        Note::ReferrersPresent => "the repository holds referrers (signatures, SBOMs); the native policy could expire a referrer of a kept image once it ages, so review such images".into(),
        Note::Withheld { images, examples } => format!(
            "the native policy is withheld here: ECR would expire or archive {images} image(s) the policy keeps (or only archives), for example {}; so every rule runs at runtime for this repository",
            examples.join(", ")
        ),
        Note::HeldBack {
            rule,
            archive,
            priority,
            would,
            image,
            tags,
            images,
            kept,
        } => {
            let name = match (archive, rule.as_str()) {
                (false, r) => format!("rule `{r}`"),
                (true, ecr_lifecycle_compiler::dsl::policy::ARCHIVE_DEFAULT_NAME) => {
                    "the archive section".to_string()
                }
                (true, r) => format!("archive rule `{r}`"),
            };
            let what = if *would == Fate::Expire {
                "expire"
            } else {
                "archive"
            };
            let image = if tags.is_empty() {
                image.clone()
            } else {
                format!("{image} ({})", tags.join(", "))
            };
            let images = match images {
                1 => image,
                n => format!("{n} images kept for being in use, such as {image}"),
            };
            format!(
                "{name} runs at runtime in this repository: its native rule (priority {priority}) would {what} {images}, kept: {}",
                reason(kept)
            )
        }
        Note::IndexChildrenUnknown { indexes } => format!(
            "{} here, and the registry does not say which images an index lists (ECR Public has no BatchGetImage): untagged images a kept index lists may be planned for deletion, and the registry refuses to delete them while the index exists (reported as skipped)",
            plural(*indexes, "image index", "image indexes")
        ),
        Note::IndexArchivedChildrenActive {
            rule,
            index,
            active,
            example,
        } => format!(
            "rule `{rule}` archives the image index {index}, but {active} of the images it lists stay active (for example {example}), kept by other rules or indexes: the index cannot be pulled until it is restored"
        ),
        Note::AppliedPolicyDiffers {
            expires,
            kept_by_files,
            waiting,
        } => format!(
            "the applied native policy is not the compiled one, and --native-policies ignore leaves it to another tool: ECR's figures here are the applied policy's (it expires {}{}){}",
            plural(*expires, "image", "images"),
            if *kept_by_files > 0 {
                format!(", {kept_by_files} of which the policy files keep")
            } else {
                String::new()
            },
            if *waiting > 0 {
                format!(
                    "; {} the compiled policy leaves to ECR wait until it is applied",
                    plural(*waiting, "image", "images")
                )
            } else {
                String::new()
            }
        ),
        Note::NoPolicyApplied { waiting } => format!(
            "no native policy is applied here, and --native-policies ignore leaves it to another tool: ECR expires nothing until the compiled one is put{}",
            if *waiting > 0 {
                format!(
                    " ({} the compiled policy leaves to ECR wait until then)",
                    plural(*waiting, "image", "images")
                )
            } else {
                String::new()
            }
        ),
    }
}

/// Why `apply` left a repository's native policy as it was.
pub(crate) fn policy_skipped(why: PolicySkipped) -> &'static str {
    match why {
        PolicySkipped::AppliedChanged => {
            "the applied native policy changed since the plan; make a new plan"
        }
        PolicySkipped::OtherPolicyCalledFor => {
            "the current images call for another native policy than the plan's (ECR could expire an image the policy keeps); make a new plan"
        }
    }
}

/// Once per policy file for ECR Public, for `compile`, `plan` and `diff`: no rule is native there.
pub(crate) fn runs_at_runtime(file: &str) -> String {
    format!(
        "{file}: ECR Public has no lifecycle policies, so ecr-lifecycle runs every rule of this file at runtime (plan and apply)"
    )
}

/// The last line of `compile` and `plan` when the runner has rules to carry out: ECR acts
/// by itself, the runner only when something runs it.
pub(crate) fn runner_rules(n: usize) -> String {
    format!(
        "{} only when the runner runs (`ecr-lifecycle apply`, or the scheduled function: see README.md#scheduled-runs-aws-lambda).",
        if n == 1 {
            "1 rule acts".to_string()
        } else {
            format!("{n} rules act")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecr_lifecycle_compiler::image::Digest;

    #[test]
    fn every_reason_is_worded_even_at_the_ends_of_time() {
        let d = Digest::from_bytes([7; 32]);
        let reasons = [
            Reason::NotActive,
            Reason::InArchive {
                seconds: i64::MAX,
                window: i64::MIN,
            },
            Reason::ArchiveTimeUnknown,
            Reason::Ungoverned,
            Reason::KeepAll,
            Reason::KeepNone,
            Reason::Newest { rank: 2, limit: 1 },
            Reason::Age {
                seconds: 0,
                window: i64::MAX,
            },
            Reason::PullAge {
                seconds: -5,
                window: 1,
            },
            Reason::Anchor(AnchorReason::NoAnchor),
            Reason::Anchor(AnchorReason::InWindow {
                anchor: Timestamp::MAX,
            }),
            Reason::Anchor(AnchorReason::AmongAtLeast {
                anchor: Timestamp::MIN,
                rank: 3,
            }),
            Reason::Anchor(AnchorReason::BeforeWindow {
                anchor: Timestamp::MIN,
                window: i64::MAX,
                at_least: 13,
            }),
            Reason::NoAlternativeKeeps,
            Reason::ChildOfKeptIndex { index: d },
            Reason::ChildOfArchivedIndex { index: d },
            Reason::FollowsSubject { subject: d },
            Reason::WhereFailed {
                error: "boom".into(),
            },
            Reason::Ecr { priority: Some(3) },
            Reason::Ecr { priority: None },
            Reason::InUse {
                consumer: "ecs service a/b".into(),
                more: 2,
            },
            Reason::SubjectOfInUse { referrer: d },
        ];
        for r in &reasons {
            assert!(!reason(r).is_empty(), "{r:?}");
            // What the plan file holds reads back as the same reason.
            let json = serde_json::to_string(r).unwrap();
            assert_eq!(&serde_json::from_str::<Reason>(&json).unwrap(), r, "{json}");
        }
        assert_eq!(
            reason(&Reason::Newest { rank: 2, limit: 1 }),
            "number 2 by push time; the rule keeps the newest 1"
        );
    }

    #[test]
    fn a_rank_by_version_or_per_group_names_the_version_and_the_group() {
        let ranked = |by, version: Option<&str>, group| Reason::Ranked {
            rank: 2,
            limit: 3,
            by,
            version: version.map(String::from),
            group,
        };
        let line = Some(Group::Captures(vec![Some("1.4".into())]));
        let cases = [
            (
                ranked(Order::Version, Some("v1.4.7"), line.clone()),
                "number 2 by version (`v1.4.7`) in group `1.4`; the rule keeps the 3 highest versions per group",
            ),
            (
                ranked(Order::Version, Some("2.1.0"), None),
                "number 2 by version (`2.1.0`); the rule keeps the 3 highest versions",
            ),
            (
                ranked(Order::Version, None, line),
                "number 2 (no tag is a version, so it ranks after the images with one, by push time) in group `1.4`; the rule keeps the 3 highest versions per group",
            ),
            (
                ranked(
                    Order::Push,
                    None,
                    Some(Group::Captures(vec![Some("login".into()), None])),
                ),
                "number 2 by push time in group (`login`, `-`); the rule keeps the newest 3 per group",
            ),
            (
                ranked(Order::Push, None, Some(Group::Unmatched)),
                "number 2 by push time among the images no tag of which matches `per`; the rule keeps the newest 3 per group",
            ),
        ];
        for (r, words) in cases {
            assert_eq!(reason(&r), words);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), r, "{json}");
        }
    }

    #[test]
    fn a_held_back_archive_rule_is_named_as_one() {
        let held = |rule: &str, archive| Note::HeldBack {
            rule: rule.into(),
            archive,
            priority: 2,
            would: Fate::Expire,
            image: "sha256:01".into(),
            tags: vec!["sha-1".into()],
            images: 1,
            kept: Reason::InUse {
                consumer: "ecs service prod/web".into(),
                more: 0,
            },
        };
        let text = note(&held("builds", true));
        assert!(
            text.starts_with("archive rule `builds` runs at runtime in this repository"),
            "{text}"
        );
        assert!(
            text.ends_with("would expire sha256:01 (sha-1), kept: in use by ecs service prod/web"),
            "{text}"
        );
        assert!(note(&held("builds", false)).starts_with("rule `builds` runs at runtime"));
        let section = held(
            ecr_lifecycle_compiler::dsl::policy::ARCHIVE_DEFAULT_NAME,
            true,
        );
        assert!(note(&section).starts_with("the archive section runs at runtime"));
    }

    #[test]
    fn an_image_kept_in_use_says_what_keeps_it_and_what_its_rule_would_do() {
        let days = |n: i64| n * 86_400;
        let mut image = super::super::test_plans::action(
            1,
            "pull-requests",
            Reason::Age {
                seconds: days(40),
                window: days(30),
            },
        );
        let mut kept = KeptInUse {
            image: image.clone(),
            would: Fate::Keep,
            would_untag: vec!["pr-1".into()],
            kept: Reason::InUse {
                consumer: "ecs service prod/web".into(),
                more: 0,
            },
        };
        assert_eq!(
            kept_in_use(&kept),
            "in use by ecs service prod/web; rule `pull-requests` would remove its tags pr-1 otherwise (pushed 40 days ago; the rule keeps images younger than 30 days)"
        );
        image.rule = None;
        kept = KeptInUse {
            image,
            would: Fate::Expire,
            would_untag: Vec::new(),
            ..kept
        };
        assert!(
            kept_in_use(&kept).contains("; the policy would expire it otherwise ("),
            "{}",
            kept_in_use(&kept)
        );
    }

    #[test]
    fn runner_rules_are_counted_in_words() {
        assert!(runner_rules(1).starts_with("1 rule acts only when the runner runs"));
        assert!(runner_rules(3).starts_with("3 rules act only when the runner runs"));
    }
}
