use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};

use crate::image::{Digest, Image, ImageStatus};
use crate::native::TagFilter;
use crate::native::{
    Action, Cause, Count, LifecyclePolicy, NativeRule, Selection, ValidPolicy, simulate, validate,
};

const NOW: Timestamp = Timestamp::constant(1_750_000_000, 0);

fn d(n: u8) -> Digest {
    Digest::from_bytes([n; 32])
}

fn days_ago(days: i64) -> Timestamp {
    NOW - SignedDuration::from_hours(24 * days)
}

fn img(n: u8, tags: &[&str], pushed: Timestamp) -> Image {
    Image::new(d(n), tags, pushed)
}

fn archived(n: u8, archived_days_ago: i64) -> Image {
    Image {
        status: ImageStatus::Archived,
        archived_at: Some(days_ago(archived_days_ago)),
        ..img(n, &[], days_ago(archived_days_ago + 30))
    }
}

fn policy(rules: Vec<NativeRule>) -> ValidPolicy {
    match validate(LifecyclePolicy::new(rules)) {
        Ok(p) => p,
        Err(e) => panic!("test policy is invalid: {e:?}"),
    }
}

fn expire(priority: i64, selection: Selection) -> NativeRule {
    NativeRule::new(priority, selection, Action::expire())
}

fn archive(priority: i64, selection: Selection) -> NativeRule {
    NativeRule::new(priority, selection, Action::transition_to_archive())
}

fn set(ns: &[u8]) -> BTreeSet<Digest> {
    ns.iter().map(|&n| d(n)).collect()
}

#[test]
fn wildcards_match_whole_tags() {
    let pattern_matches = |p: &str, tag: &str| TagFilter::Tagged(vec![p.into()]).matches(&[tag]);
    assert!(pattern_matches("prod*", "prod"));
    assert!(pattern_matches("prod*", "production-team1"));
    assert!(pattern_matches("*prod*", "repo-production"));
    assert!(!pattern_matches("prod", "prod1"));
    assert!(!pattern_matches("*prod", "prod1"));
    assert!(pattern_matches("a*b*c", "aXXbYYc"));
    assert!(!pattern_matches("a*b*c", "aXXbYYcZ"));
    assert!(pattern_matches("*", ""));
    assert!(pattern_matches("v?", "v?"));
    assert!(!pattern_matches("v?", "v1"));
    assert!(pattern_matches("é*ü", "éaü"));
}

#[test]
fn a_list_is_and_and_a_filter_reads_its_status() {
    let prefixes = TagFilter::TaggedPrefixes(vec!["dev".into(), "d*".into()]);
    assert!(prefixes.matches(&["dev-1", "d*x"]));
    assert!(!prefixes.matches(&["dev-1", "dx"]), "a prefix is literal");
    let both = TagFilter::Tagged(vec!["dev*".into(), "*-rc".into()]);
    assert!(both.matches(&["dev-1", "1-rc"]));
    assert!(!both.matches(&["dev-1"]), "every entry must match some tag");
    assert!(!both.matches::<&str>(&[]));
    assert!(TagFilter::Untagged.matches::<&str>(&[]));
    assert!(!TagFilter::Untagged.matches(&["a"]));
    assert!(TagFilter::Any.matches(&["a"]) && TagFilter::Any.matches::<&str>(&[]));
}

#[test]
fn count_ties_are_broken_by_digest() {
    let same = days_ago(1);
    let images = [img(3, &[], same), img(1, &[], same), img(2, &[], same)];
    let p = policy(vec![expire(1, Selection::untagged(Count::MoreThan(1)))]);
    // Newest first, ties by ascending digest: 1 is kept, 2 and 3 are beyond the count.
    assert_eq!(simulate(&p, &images, NOW).expired, set(&[2, 3]));
}

#[test]
fn age_boundary_is_strictly_more_than_n_days() {
    let exactly = days_ago(14);
    let just_over = exactly - SignedDuration::from_nanos(1);
    let images = [img(1, &[], exactly), img(2, &[], just_over)];
    let p = policy(vec![expire(
        1,
        Selection::untagged(Count::PushedDaysAgo(14)),
    )]);
    assert_eq!(simulate(&p, &images, NOW).expired, set(&[2]));
}

#[test]
fn shield_without_action_and_counting_includes_shielded() {
    // Rule 1 claims prod images and never fires; rule 2 counts them anyway.
    let images = [
        img(1, &["prod-3"], days_ago(1)),
        img(2, &["dev-2"], days_ago(2)),
        img(3, &["prod-2"], days_ago(3)),
        img(4, &["dev-1"], days_ago(4)),
        img(5, &["prod-1"], days_ago(5)),
    ];
    let p = policy(vec![
        expire(
            1,
            Selection::tagged_patterns(["prod*"], Count::PushedDaysAgo(36500)),
        ),
        expire(2, Selection::any(Count::MoreThan(2))),
    ]);
    let out = simulate(&p, &images, NOW);
    // Rule 2 keeps 1 and 2 and marks 3, 4, 5; 3 and 5 are shielded by rule 1.
    assert_eq!(out.expired, set(&[4]));
    assert_eq!(out.causes.get(&d(4)), Some(&Cause::Rule { priority: 2 }));
}

#[test]
fn lists_need_every_entry_matched() {
    let images = [
        img(1, &["alpha-1", "beta-1"], days_ago(10)),
        img(2, &["alpha-2"], days_ago(10)),
        img(3, &["beta-3"], days_ago(10)),
    ];
    let p = policy(vec![expire(
        1,
        Selection::tagged_prefixes(["alpha", "beta"], Count::PushedDaysAgo(1)),
    )]);
    assert_eq!(simulate(&p, &images, NOW).expired, set(&[1]));
}

#[test]
fn children_of_a_live_index_are_kept() {
    let child_a = img(1, &[], days_ago(30));
    let child_b = img(2, &[], days_ago(30));
    let index = Image {
        children: Box::new([d(1), d(2)]),
        ..img(3, &["latest"], days_ago(30))
    };
    let orphan = img(4, &[], days_ago(30));
    let p = policy(vec![expire(
        1,
        Selection::untagged(Count::PushedDaysAgo(7)),
    )]);
    let out = simulate(&p, &[child_a, child_b, index, orphan], NOW);
    assert_eq!(out.expired, set(&[4]));
}

#[test]
fn children_of_an_expired_index_can_expire() {
    let child = img(1, &[], days_ago(30));
    let index = Image {
        children: Box::new([d(1)]),
        ..img(2, &[], days_ago(30))
    };
    let p = policy(vec![expire(
        1,
        Selection::untagged(Count::PushedDaysAgo(7)),
    )]);
    assert_eq!(simulate(&p, &[child, index], NOW).expired, set(&[1, 2]));
}

#[test]
fn nested_indexes_protect_all_the_way_down() {
    let leaf = img(1, &[], days_ago(30));
    let inner = Image {
        children: Box::new([d(1)]),
        ..img(2, &[], days_ago(30))
    };
    let top = Image {
        children: Box::new([d(2)]),
        ..img(3, &["v1"], days_ago(30))
    };
    let p = policy(vec![expire(
        1,
        Selection::untagged(Count::PushedDaysAgo(7)),
    )]);
    assert_eq!(simulate(&p, &[leaf, inner, top], NOW).expired, set(&[]));
}

#[test]
fn index_children_are_not_archived_either() {
    // "If an image is referenced by a manifest list, it cannot be expired or archived without
    // the manifest list being deleted or archived first."
    let child = img(1, &[], days_ago(100));
    let index = Image {
        children: Box::new([d(1)]),
        ..img(2, &["keep"], days_ago(1))
    };
    let p = policy(vec![archive(1, Selection::any(Count::PushedDaysAgo(30)))]);
    let out = simulate(&p, &[child, index], NOW);
    assert_eq!(out.transitioned, set(&[]));
    // Once the index itself is archived, the child may follow.
    let index = Image {
        children: Box::new([d(1)]),
        ..img(2, &["keep"], days_ago(100))
    };
    let out = simulate(&p, &[img(1, &[], days_ago(100)), index], NOW);
    assert_eq!(out.transitioned, set(&[1, 2]));
}

#[test]
fn referrers_go_with_their_subject() {
    let subject = img(1, &["old"], days_ago(30));
    let signature = Image {
        subject: Some(d(1)),
        ..img(2, &[], days_ago(1))
    };
    let sbom_of_signature = Image {
        subject: Some(d(2)),
        ..img(3, &[], days_ago(1))
    };
    let p = policy(vec![
        expire(
            1,
            Selection::tagged_patterns(["old"], Count::PushedDaysAgo(7)),
        ),
        // Governs the referrers but does not mark them (they are one day old).
        expire(2, Selection::untagged(Count::PushedDaysAgo(7))),
    ]);
    let out = simulate(&p, &[subject, signature, sbom_of_signature], NOW);
    assert_eq!(out.expired, set(&[1, 2, 3]));
    assert_eq!(out.causes.get(&d(2)), Some(&Cause::Subject(d(1))));
    assert_eq!(out.causes.get(&d(3)), Some(&Cause::Subject(d(2))));
}

#[test]
fn referrers_of_a_kept_subject_can_still_be_expired_by_a_rule() {
    // ECR's untagged rules select referrers like any untagged image.
    let subject = img(1, &["v1"], days_ago(30));
    let signature = Image {
        subject: Some(d(1)),
        ..img(2, &[], days_ago(30))
    };
    let p = policy(vec![expire(
        1,
        Selection::untagged(Count::PushedDaysAgo(7)),
    )]);
    let out = simulate(&p, &[subject, signature], NOW);
    assert_eq!(out.expired, set(&[2]));
    assert_eq!(out.causes.get(&d(2)), Some(&Cause::Rule { priority: 1 }));
}

#[test]
fn referrers_of_a_protected_subject_stay() {
    let child = img(1, &[], days_ago(30));
    let index = Image {
        children: Box::new([d(1)]),
        ..img(2, &["v1"], days_ago(30))
    };
    let attestation = Image {
        subject: Some(d(1)),
        ..img(3, &["att"], days_ago(30))
    };
    let p = policy(vec![expire(
        1,
        Selection::untagged(Count::PushedDaysAgo(7)),
    )]);
    assert_eq!(
        simulate(&p, &[child, index, attestation], NOW).expired,
        set(&[])
    );
}

#[test]
fn referrers_are_archived_with_their_subject() {
    // "Amazon ECR lifecycle policies automatically expire or archive those artifacts within 24
    // hours of the deletion or archival of the subject image."
    let subject = img(1, &["v1"], days_ago(60));
    let signature = Image {
        subject: Some(d(1)),
        ..img(2, &["sig"], days_ago(1))
    };
    let p = policy(vec![
        archive(
            1,
            Selection::tagged_patterns(["v*"], Count::PushedDaysAgo(30)),
        ),
        archive(
            2,
            Selection::tagged_patterns(["sig"], Count::PushedDaysAgo(30)),
        ),
    ]);
    let out = simulate(&p, &[subject, signature], NOW);
    assert_eq!(out.transitioned, set(&[1, 2]));
    assert!(out.expired.is_empty());
}

#[test]
fn storage_classes_are_evaluated_apart() {
    let images = [
        img(1, &[], days_ago(400)),
        archived(2, 400),
        archived(3, 100),
        Image {
            status: ImageStatus::Activating,
            ..archived(4, 400)
        },
        // Archived, but ECR did not report when: never old enough.
        Image {
            archived_at: None,
            ..archived(5, 400)
        },
    ];
    let p = policy(vec![
        // A standard rule shields nothing in the archive, and never sees archived images.
        expire(1, Selection::any(Count::PushedDaysAgo(365))),
        expire(
            2,
            Selection::any(Count::TransitionedDaysAgo(365)).in_archive(),
        ),
    ]);
    let out = simulate(&p, &images, NOW);
    assert_eq!(out.expired, set(&[1, 2]));
}

#[test]
fn restored_images_count_from_their_restore() {
    // Restored 1 day ago: it ranks as the newest although it was pushed first.
    let restored = Image {
        activated_at: Some(days_ago(1)),
        ..img(1, &[], days_ago(500))
    };
    let images = [restored, img(2, &[], days_ago(3)), img(3, &[], days_ago(2))];
    let p = policy(vec![expire(1, Selection::untagged(Count::MoreThan(2)))]);
    assert_eq!(simulate(&p, &images, NOW).expired, set(&[2]));
}

#[test]
fn pull_time_counts_from_restore_when_not_pulled_since() {
    // "If an image was archived and then restored at any point in the past, but never pulled
    // since the image was restored, the image's `last_activated_at` is used instead of the
    // `last_recorded_pulltime`."
    let restored_unpulled = Image {
        last_pulled_at: Some(days_ago(400)),
        activated_at: Some(days_ago(10)),
        ..img(1, &[], days_ago(500))
    };
    let pulled_after_restore = Image {
        last_pulled_at: Some(days_ago(100)),
        activated_at: Some(days_ago(200)),
        ..img(2, &[], days_ago(500))
    };
    let never_pulled = img(3, &[], days_ago(100));
    let pulled_recently = Image {
        last_pulled_at: Some(days_ago(5)),
        ..img(4, &[], days_ago(500))
    };
    let images = [
        restored_unpulled,
        pulled_after_restore,
        never_pulled,
        pulled_recently,
    ];
    let p = policy(vec![archive(1, Selection::any(Count::PulledDaysAgo(90)))]);
    assert_eq!(simulate(&p, &images, NOW).transitioned, set(&[2, 3]));
}

#[test]
fn odd_inputs_do_not_panic() {
    // A digest listed twice, an index that lists itself, a referrer cycle, unknown references.
    let images = [
        Image {
            children: Box::new([d(1), d(9)]),
            subject: Some(d(2)),
            ..img(1, &[], days_ago(30))
        },
        Image {
            subject: Some(d(1)),
            ..img(2, &[], days_ago(30))
        },
        img(2, &[], days_ago(40)),
        Image {
            subject: Some(d(8)),
            ..img(3, &[], days_ago(30))
        },
    ];
    let p = policy(vec![expire(1, Selection::untagged(Count::MoreThan(1)))]);
    let out = simulate(&p, &images, NOW);
    // Image 1 lists itself as a child but is not live once expired: nothing protects it.
    assert!(out.expired.contains(&d(2)));
    assert!(out.expired.contains(&d(3)));
    // The longest age ECR accepts reaches millions of years before any timestamp.
    let p = policy(vec![expire(
        1,
        Selection::untagged(Count::PushedDaysAgo(i64::from(i32::MAX))),
    )]);
    assert!(simulate(&p, &images, NOW).expired.is_empty());
    let ancient = [img(4, &[], jiff::Timestamp::MIN)];
    assert!(simulate(&p, &ancient, NOW).expired.is_empty());
}
