use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::dsl::parse;
use crate::image::{Image, ImageStatus};
use crate::in_use::InUse;
use crate::source::SourceFile;

const DAY: i64 = 86_400;

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn policy(rules: &str) -> Policy {
    let text = format!("version: 1\nrules:\n{rules}");
    parse(&SourceFile::new("p.yaml", text)).unwrap_or_else(|e| panic!("{e:#?}"))
}

fn digest(n: u8) -> Digest {
    let mut b = [0u8; 32];
    b[31] = n;
    Digest::from_bytes(b)
}

/// Image `n` pushed `age_days` before `now`.
fn img(n: u8, tags: &[&str], age_days: i64) -> Image {
    Image::new(
        digest(n),
        tags,
        now() - SignedDuration::from_secs(age_days * DAY),
    )
}

fn expired(p: &Policy, images: &[Image]) -> Vec<u8> {
    evaluate(p, images, Some("repo"), now())
        .expired(images)
        .iter()
        .map(|d| d.as_bytes()[31])
        .collect()
}

#[test]
fn earlier_rules_govern_and_never_count_for_later_ones() {
    // The trap of native policies: with first-match semantics the prod images do not take
    // places among the newest 2 of `rest`.
    let p = policy(
        "  - {name: prod, match: {tags: [prod*]}, keep: all}\n  - {name: rest, match: any, keep: {newest: 2}}\n",
    );
    let images = [
        img(1, &["prod-1"], 1),
        img(2, &["prod-2"], 2),
        img(3, &["dev-3"], 3),
        img(4, &[], 4),
        img(5, &["dev-5"], 5),
        img(6, &["prod-6"], 90),
    ];
    assert_eq!(expired(&p, &images), vec![5]);
}

#[test]
fn newest_breaks_push_time_ties_by_digest() {
    let p = policy("  - {name: r, match: any, keep: {newest: 1}}\n");
    let images = [img(9, &[], 1), img(3, &[], 1), img(5, &[], 1)];
    assert_eq!(expired(&p, &images), vec![5, 9]);
}

#[test]
fn within_keeps_strictly_younger_images() {
    let p = policy("  - {name: r, match: any, keep: {within: 14d}}\n");
    let mut at_boundary = img(2, &[], 14);
    let mut just_inside = img(3, &[], 14);
    just_inside.pushed_at += SignedDuration::from_nanos(1);
    at_boundary.pushed_at = now() - SignedDuration::from_secs(14 * DAY);
    let images = [img(1, &[], 13), at_boundary, just_inside, img(4, &[], 15)];
    assert_eq!(expired(&p, &images), vec![2, 4]);
}

#[test]
fn pulled_within_counts_never_pulled_images_from_their_push() {
    let p = policy("  - {name: r, match: any, keep: {pulled_within: 30d}}\n");
    let mut pulled_recently = img(1, &["a"], 100);
    pulled_recently.last_pulled_at = Some(now() - SignedDuration::from_secs(DAY));
    let mut pulled_long_ago = img(2, &["b"], 100);
    pulled_long_ago.last_pulled_at = Some(now() - SignedDuration::from_secs(60 * DAY));
    let never_pulled_new = img(3, &["c"], 5);
    let never_pulled_old = img(4, &["d"], 50);
    let images = [
        pulled_recently,
        pulled_long_ago,
        never_pulled_new,
        never_pulled_old,
    ];
    assert_eq!(expired(&p, &images), vec![2, 4]);
}

#[test]
fn alternatives_keep_what_any_of_them_keeps() {
    let p = policy("  - {name: r, match: any, keep: {newest: 1, within: 10d}}\n");
    let images = [img(1, &[], 20), img(2, &[], 30), img(3, &[], 5)];
    // 3 is the newest and young; 1 and 2 are neither.
    assert_eq!(expired(&p, &images), vec![1, 2]);
    let p = policy("  - {name: r, match: any, keep: {newest: 2, within: 10d}}\n");
    assert_eq!(expired(&p, &images), vec![2]);
}

#[test]
fn anchored_window_keeps_the_window_and_at_least_before_the_anchor() {
    let p = policy(
        "  - name: w\n    match: any\n    keep: {within: 10d, anchor: {oldest_tagged: [prod, rc]}, at_least: 2}\n",
    );
    let images = [
        img(1, &["latest"], 1),
        img(2, &["prod"], 30), // anchor: the oldest image tagged prod or rc
        img(3, &["rc"], 20),
        img(4, &[], 35), // inside the 10 days before the anchor
        img(5, &[], 40), // exactly at anchor − 10d: kept (at or after)
        img(6, &[], 41), // before the window: among the 2 just before the anchor? no, 4 and 5 are
        img(7, &[], 60),
    ];
    assert_eq!(expired(&p, &images), vec![6, 7]);
    // With a larger at_least the images just before the anchor survive, newest first.
    let p3 = policy(
        "  - name: w\n    match: any\n    keep: {within: 10d, anchor: {oldest_tagged: [prod]}, at_least: 3}\n",
    );
    assert_eq!(expired(&p3, &images), vec![7]);
}

#[test]
fn anchored_window_without_an_anchor_keeps_everything() {
    let p = policy(
        "  - name: w\n    match: any\n    keep: {within: 1d, anchor: {oldest_tagged: [prod]}, at_least: 0}\n",
    );
    let images = [img(1, &[], 500), img(2, &["dev"], 900)];
    assert_eq!(expired(&p, &images), Vec::<u8>::new());
    let e = evaluate(&p, &images, None, now());
    assert_eq!(
        e.decisions[0].reason,
        Reason::Anchor(AnchorReason::NoAnchor)
    );
}

#[test]
fn anchor_star_means_any_tag() {
    let p = policy(
        "  - name: w\n    match: any\n    keep: {within: 1d, anchor: {oldest_tagged: ['*']}}\n",
    );
    let images = [img(1, &["x"], 10), img(2, &[], 10), img(3, &[], 12)];
    assert_eq!(expired(&p, &images), vec![3]);
}

#[test]
fn kept_index_keeps_its_children_and_expired_one_does_not() {
    let p = policy(
        "  - {name: tagged, match: {untagged: false}, keep: {newest: 1}}\n  - {name: untagged, match: {untagged: true}, keep: none}\n",
    );
    let mut index_kept = img(1, &["v2"], 1);
    index_kept.children = Box::new([digest(11), digest(12)]);
    let mut index_old = img(2, &["v1"], 50);
    index_old.children = Box::new([digest(21)]);
    let images = [
        index_kept,
        index_old,
        img(11, &[], 1),
        img(12, &[], 1),
        img(21, &[], 50),
        img(30, &[], 1),
    ];
    assert_eq!(expired(&p, &images), vec![2, 21, 30]);
    let e = evaluate(&p, &images, None, now());
    assert_eq!(
        e.decisions[2].reason,
        Reason::ChildOfKeptIndex { index: digest(1) }
    );
}

#[test]
fn referrers_follow_their_subject_both_ways() {
    let p = policy(
        "  - {name: tagged, match: {untagged: false}, keep: {newest: 1}}\n  - {name: untagged, match: {untagged: true}, keep: all}\n",
    );
    let mut sig_of_kept = img(10, &[], 1);
    sig_of_kept.subject = Some(digest(1));
    let mut sig_of_expired = img(20, &[], 1);
    sig_of_expired.subject = Some(digest(2));
    // A signature of a signature follows the chain.
    let mut sig_of_sig = img(21, &[], 1);
    sig_of_sig.subject = Some(digest(20));
    // A referrer whose subject is gone follows its own rule.
    let mut orphan = img(30, &[], 1);
    orphan.subject = Some(digest(99));
    let images = [
        img(1, &["new"], 1),
        img(2, &["old"], 9),
        sig_of_kept,
        sig_of_expired,
        sig_of_sig,
        orphan,
    ];
    assert_eq!(expired(&p, &images), vec![2, 20, 21]);
}

#[test]
fn archived_images_are_not_governed() {
    let p = policy("  - {name: r, match: any, keep: none}\n");
    let mut archived = img(1, &[], 400);
    archived.status = ImageStatus::Archived;
    let images = [archived, img(2, &[], 1)];
    assert_eq!(expired(&p, &images), vec![2]);
}

#[test]
fn where_selects_on_the_image_detail_and_failures_keep() {
    let p = policy(
        "  - {name: big, match: {untagged: true, where: \"imageSizeInBytes > `100`\"}, keep: none}\n  - {name: rest, match: any, keep: all}\n",
    );
    let mut big = img(1, &[], 1);
    big.size_bytes = Some(1000);
    let mut small = img(2, &[], 1);
    small.size_bytes = Some(10);
    let images = [big, small, img(3, &[], 1)];
    assert_eq!(expired(&p, &images), vec![1]);
    let p =
        policy("  - {name: bad, match: {where: \"length(imageSizeInBytes) > `1`\"}, keep: none}\n");
    let mut sized = img(4, &[], 1);
    sized.size_bytes = Some(5);
    let e = evaluate(&p, &[sized.clone()], None, now());
    assert!(
        matches!(e.decisions[0].reason, Reason::WhereFailed { .. }),
        "{e:?}"
    );
    assert_eq!(expired(&p, &[sized]), Vec::<u8>::new());
}

fn fates(p: &Policy, images: &[Image]) -> Vec<(u8, Fate)> {
    let e = evaluate(p, images, Some("repo"), now());
    images
        .iter()
        .zip(&e.decisions)
        .map(|(i, d)| (i.digest.as_bytes()[31], d.fate))
        .collect()
}

#[test]
fn otherwise_archive_archives_what_the_rule_does_not_keep() {
    let p = policy("  - {name: r, match: any, keep: {newest: 1}, otherwise: archive}\n");
    let images = [img(1, &["v1"], 10), img(2, &["v2"], 5)];
    assert_eq!(fates(&p, &images), [(1, Fate::Archive), (2, Fate::Keep)]);
}

#[test]
fn archived_images_expire_only_by_the_archive_section() {
    let text =
        "version: 1\narchive: {expire_after: 90d}\nrules:\n  - {name: r, match: any, keep: none}\n";
    let p = parse(&SourceFile::new("p.yaml", text)).unwrap();
    let archived = |n: u8, days_in_archive: i64| {
        let mut i = img(n, &[], 400);
        i.status = ImageStatus::Archived;
        i.archived_at = Some(now() - SignedDuration::from_secs(days_in_archive * DAY));
        i
    };
    let mut unknown = img(3, &[], 400);
    unknown.status = ImageStatus::Archived;
    let images = [archived(1, 90), archived(2, 89), unknown];
    assert_eq!(
        fates(&p, &images),
        [(1, Fate::Expire), (2, Fate::Keep), (3, Fate::Keep)]
    );
    // Without the section, archived images are kept, whatever the rules say.
    let p = policy("  - {name: r, match: any, keep: none}\n");
    assert!(expired(&p, &images).is_empty());
}

#[test]
fn an_archived_index_keeps_its_children_from_expiring_and_referrers_follow_into_the_archive() {
    let p = policy(
        "  - {name: releases, match: {tags: ['v*']}, keep: {newest: 1}, otherwise: archive}\n  - {name: untagged, match: {untagged: true}, keep: none}\n",
    );
    let child = img(1, &[], 30);
    let mut index = img(2, &["v1"], 30);
    index.children = vec![child.digest].into_boxed_slice();
    let mut signature = img(3, &[], 30);
    signature.subject = Some(index.digest);
    let newest = img(4, &["v2"], 1);
    let stray = img(5, &[], 30);
    let images = [child, index, signature, newest, stray];
    assert_eq!(
        fates(&p, &images),
        [
            (1, Fate::Archive),
            (2, Fate::Archive),
            (3, Fate::Archive),
            (4, Fate::Keep),
            (5, Fate::Expire)
        ]
    );
}

fn in_use(pairs: &[(u8, &str)]) -> InUse {
    let mut u = InUse::new();
    for (n, consumer) in pairs {
        u.insert(digest(*n), *consumer);
    }
    u
}

fn fates_in_use(p: &Policy, images: &[Image], used: &InUse) -> Vec<(u8, Fate)> {
    let e = evaluate_with(p, images, Some("repo"), now(), used);
    images
        .iter()
        .zip(&e.decisions)
        .map(|(i, d)| (i.digest.as_bytes()[31], d.fate))
        .collect()
}

#[test]
fn an_image_in_use_is_kept_whatever_the_rules_say_and_says_by_what() {
    let p = policy("  - {name: r, match: any, keep: {newest: 1}}\n");
    let images = [img(1, &["v3"], 1), img(2, &["v2"], 50), img(3, &["v1"], 90)];
    let used = in_use(&[(3, "lambda function api:7"), (3, "ecs service prod/web")]);
    assert_eq!(
        fates_in_use(&p, &images, &used),
        [(1, Fate::Keep), (2, Fate::Expire), (3, Fate::Keep)]
    );
    let e = evaluate_with(&p, &images, None, now(), &used);
    assert_eq!(
        e.decisions[2].reason,
        Reason::InUse {
            consumer: "ecs service prod/web".into(),
            more: 1
        }
    );
    // The rule still governs it, and still counts it among its images.
    assert_eq!(e.decisions[2].rule, Some(RuleId::Rule(0)));
    // Nothing in use: the same as `evaluate`.
    assert_eq!(
        evaluate_with(&p, &images, None, now(), &InUse::new()),
        evaluate(&p, &images, None, now())
    );
}

#[test]
fn an_index_in_use_keeps_its_children_and_referrers_and_a_referrer_in_use_keeps_its_subject() {
    let p = policy(
        "  - {name: tagged, match: {untagged: false}, keep: {newest: 1}}\n  - {name: untagged, match: {untagged: true}, keep: none}\n",
    );
    let mut index = img(1, &["v1"], 60);
    index.children = Box::new([digest(11)]);
    let mut index_sig = img(12, &[], 60);
    index_sig.subject = Some(digest(1));
    // An attestation someone runs (a scanner pulls it): its subject must stay, or ECR would
    // delete it along with the subject.
    let mut attestation = img(21, &[], 60);
    attestation.subject = Some(digest(2));
    let mut sibling = img(22, &[], 60);
    sibling.subject = Some(digest(2));
    let images = [
        index,
        img(11, &[], 60),
        index_sig,
        img(2, &["v0"], 70),
        attestation,
        sibling,
        img(3, &["v9"], 1),
        img(4, &["v8"], 80),
    ];
    let used = in_use(&[(1, "kubernetes pod default/web"), (21, "file list.json")]);
    assert_eq!(
        fates_in_use(&p, &images, &used),
        [
            (1, Fate::Keep),
            (11, Fate::Keep),
            (12, Fate::Keep),
            (2, Fate::Keep),
            (21, Fate::Keep),
            (22, Fate::Keep),
            (3, Fate::Keep),
            (4, Fate::Expire),
        ]
    );
    let e = evaluate_with(&p, &images, None, now(), &used);
    assert_eq!(
        e.decisions[3].reason,
        Reason::SubjectOfInUse {
            referrer: digest(21)
        }
    );
    assert_eq!(
        e.decisions[1].reason,
        Reason::ChildOfKeptIndex { index: digest(1) }
    );
}

#[test]
fn an_archived_image_in_use_is_not_deleted_by_the_archive_section() {
    let text =
        "version: 1\narchive: {expire_after: 90d}\nrules:\n  - {name: r, match: any, keep: none}\n";
    let p = parse(&SourceFile::new("p.yaml", text)).unwrap();
    let mut archived = img(1, &[], 400);
    archived.status = ImageStatus::Archived;
    archived.archived_at = Some(now() - SignedDuration::from_secs(200 * DAY));
    let images = [archived];
    assert_eq!(
        fates_in_use(&p, &images, &in_use(&[(1, "ecs task definition web:3")])),
        [(1, Fate::Keep)]
    );
    assert_eq!(fates(&p, &images), [(1, Fate::Expire)]);
}

#[test]
fn an_ecr_evaluated_policy_keeps_images_in_use_and_their_children() {
    let text = "version: 1\nevaluation: ecr\nrules:\n  - {name: old, priority: 1, match: any, keep: {within: 30d}}\n";
    let p = parse(&SourceFile::new("p.yaml", text)).unwrap();
    let mut index = img(1, &["v1"], 60);
    index.children = Box::new([digest(11)]);
    let images = [index, img(11, &[], 60), img(2, &["v2"], 60)];
    assert_eq!(
        fates(&p, &images),
        [(1, Fate::Expire), (11, Fate::Expire), (2, Fate::Expire)]
    );
    assert_eq!(
        fates_in_use(&p, &images, &in_use(&[(1, "lambda function api:1")])),
        [(1, Fate::Keep), (11, Fate::Keep), (2, Fate::Expire)]
    );
}

/// An archived image pushed long ago, in the archive for `days_in_archive` days (`None`: the
/// registry does not say since when).
fn in_archive_for(n: u8, tags: &[&str], days_in_archive: Option<i64>) -> Image {
    let mut i = img(n, tags, 1000);
    i.status = ImageStatus::Archived;
    i.archived_at = days_in_archive.map(|d| now() - SignedDuration::from_secs(d * DAY));
    i
}

const ARCHIVE_RULES: &str = "version: 1
archive:
  expire_after: 400d
  rules:
    - { name: builds, match: { tags: ['sha-*'] }, expire_after: 90d }
    - { name: releases, match: { tags: ['v*'] }, keep: all }
    - { name: big, match: { where: 'imageSizeInBytes > `100`' }, expire_after: 200d }
    - { name: also-builds, match: { tags: ['sha-*', 'v*'] }, expire_after: 1000d }
rules:
  - { name: r, match: any, keep: none }
";

#[test]
fn the_first_archive_rule_that_matches_governs_an_archived_image() {
    let p = parse(&SourceFile::new("p.yaml", ARCHIVE_RULES)).unwrap();
    let mut big = in_archive_for(4, &["x"], Some(250));
    big.size_bytes = Some(1000);
    let images = [
        // `builds` governs it, not `releases` nor `also-builds`, which match too.
        in_archive_for(1, &["sha-1", "v1"], Some(91)),
        in_archive_for(2, &["sha-2"], Some(89)),
        // `releases` keeps every image it governs, however long archived.
        in_archive_for(3, &["v2"], Some(5000)),
        big,
        // No archive rule matches: `expire_after` decides.
        in_archive_for(5, &["x"], Some(401)),
        in_archive_for(6, &[], Some(399)),
        in_archive_for(7, &["sha-7"], None),
    ];
    let e = evaluate(&p, &images, Some("repo"), now());
    let got: Vec<(u8, Fate, Option<RuleId>)> = images
        .iter()
        .zip(&e.decisions)
        .map(|(i, d)| (i.digest.as_bytes()[31], d.fate, d.rule))
        .collect();
    assert_eq!(
        got,
        [
            (1, Fate::Expire, Some(RuleId::Archive(0))),
            (2, Fate::Keep, Some(RuleId::Archive(0))),
            (3, Fate::Keep, Some(RuleId::Archive(1))),
            (4, Fate::Expire, Some(RuleId::Archive(2))),
            (5, Fate::Expire, Some(RuleId::ArchiveDefault)),
            (6, Fate::Keep, Some(RuleId::ArchiveDefault)),
            (7, Fate::Keep, Some(RuleId::Archive(0))),
        ]
    );
    assert_eq!(
        e.decisions[0].reason,
        Reason::InArchive {
            seconds: 91 * DAY,
            window: 90 * DAY
        }
    );
    assert_eq!(e.decisions[2].reason, Reason::KeepAll);
    assert_eq!(e.decisions[6].reason, Reason::ArchiveTimeUnknown);
    assert_eq!(
        p.rule_name(RuleId::Archive(1)).map(|(n, _)| n),
        Some("releases")
    );
    assert_eq!(
        p.rule_name(RuleId::ArchiveDefault).map(|(n, _)| n),
        Some("archive")
    );
}

#[test]
fn without_expire_after_archived_images_no_archive_rule_governs_are_kept() {
    let text = "version: 1\narchive:\n  rules:\n    - { name: builds, match: { untagged: true }, expire_after: 90d }\nrules: []\n";
    let p = parse(&SourceFile::new("p.yaml", text)).unwrap();
    let images = [
        in_archive_for(1, &[], Some(100)),
        in_archive_for(2, &["v1"], Some(5000)),
        // Rules govern active images only; archive rules archived ones only.
        img(3, &[], 5000),
    ];
    let e = evaluate(&p, &images, None, now());
    assert_eq!(
        fates(&p, &images),
        [(1, Fate::Expire), (2, Fate::Keep), (3, Fate::Keep)]
    );
    assert_eq!(e.decisions[1].rule, None);
    assert_eq!(e.decisions[1].reason, Reason::NotActive);
    assert_eq!(e.decisions[2].reason, Reason::Ungoverned);
}

#[test]
fn an_archive_rule_whose_where_fails_keeps_the_image() {
    let text = "version: 1\narchive:\n  expire_after: 90d\n  rules:\n    - { name: odd, match: { where: 'abs(imageTags)' }, expire_after: 90d }\nrules: []\n";
    let p = parse(&SourceFile::new("p.yaml", text)).unwrap();
    let images = [in_archive_for(1, &["v1"], Some(500))];
    let e = evaluate(&p, &images, None, now());
    assert_eq!(e.decisions[0].fate, Fate::Keep);
    assert_eq!(e.decisions[0].rule, Some(RuleId::Archive(0)));
    assert!(matches!(e.decisions[0].reason, Reason::WhereFailed { .. }));
}

#[test]
fn an_archived_referrer_follows_its_subject_whatever_its_archive_rule_says() {
    // The 90-day minimum is the planner's business (it holds such deletions): the policy's
    // answer is that the referrer goes with its subject.
    let p = parse(&SourceFile::new("p.yaml", ARCHIVE_RULES)).unwrap();
    let subject = img(1, &["v1"], 3);
    let mut signature = in_archive_for(2, &["v3"], Some(30));
    signature.subject = Some(subject.digest);
    let images = [subject, signature];
    assert_eq!(fates(&p, &images), [(1, Fate::Expire), (2, Fate::Expire)]);
    let e = evaluate(&p, &images, None, now());
    assert_eq!(
        e.decisions[1].reason,
        Reason::FollowsSubject { subject: digest(1) }
    );
}

#[test]
fn windows_as_long_as_ecr_allows_keep_everything_without_overflow() {
    // 2147483647 days reach before the earliest timestamp there is: every image is younger.
    let p = parse(&SourceFile::new(
        "p.yaml",
        "version: 1
archive: { expire_after: 2147483647d }
rules:
  - { name: a, match: { tags: ['a*'] }, keep: { within: 2147483647d } }
  - { name: p, match: { tags: ['p*'] }, keep: { pulled_within: 2147483647d } }
  - { name: w, match: any, keep: { within: 2147483647d, anchor: { oldest_tagged: ['*'] } } }
",
    ))
    .unwrap();
    let mut ancient = Image::new(digest(1), &["a1"], Timestamp::MIN);
    ancient.last_pulled_at = Some(Timestamp::MIN);
    let mut pulled = ancient.clone();
    pulled.digest = digest(2);
    pulled.tags = vec!["p1".into()].into();
    let mut old = ancient.clone();
    old.digest = digest(3);
    old.tags = vec!["w1".into()].into();
    let anchor = img(4, &["w2"], 1);
    let mut archived = ancient.clone();
    archived.digest = digest(5);
    archived.status = ImageStatus::Archived;
    archived.archived_at = Some(Timestamp::MIN);
    let images = [ancient, pulled, old, anchor, archived];
    let e = evaluate(&p, &images, None, Timestamp::MAX);
    assert!(e.decisions.iter().all(|d| d.keeps()), "{e:?}");
    let compiled = crate::split::compile(&p);
    assert_eq!(
        compiled.specs[0].action,
        crate::split::NativeAction::ExpireOlderThanDays(2_147_483_647)
    );
    let native = compiled.native.expect("native");
    assert!(
        crate::native::simulate(&native, &images, Timestamp::MAX)
            .expired
            .is_empty()
    );
}
