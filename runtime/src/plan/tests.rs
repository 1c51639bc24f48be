use ecr_lifecycle_compiler::image::{Digest, Image};
use ecr_lifecycle_compiler::reference::Reason;
use ecr_lifecycle_compiler::source::SourceFile;
use jiff::{SignedDuration, Timestamp};

use super::*;

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn loaded(rules: &str) -> LoadedPolicy {
    let file = SourceFile::new("p.yaml", format!("version: 1\nrules:\n{rules}"));
    let policy = ecr_lifecycle_compiler::parse(&file).unwrap();
    LoadedPolicy::new(file, policy)
}

fn img(n: u8, tags: &[&str], days: i64) -> Image {
    let mut i = Image::new(
        Digest::from_bytes([n; 32]),
        tags,
        now() - SignedDuration::from_hours(days * 24),
    );
    i.size_bytes = Some(u64::from(n) * 1000);
    i
}

fn state(images: Vec<Image>, policy: Option<&str>) -> RepositoryState {
    RepositoryState {
        name: "web".into(),
        lifecycle_policy: policy.map(str::to_string),
        images,
    }
}

const UNTAGGED_14D: &str = "  - {name: untagged, match: {untagged: true}, keep: {within: 14d}}\n  - {name: tagged, match: {tag_regex: 'v.*'}, keep: {newest: 1}}\n";

#[test]
fn on_ecr_public_the_runner_does_everything() {
    // The same policy and images as below: ECR Public puts no policy, so the image ECR would
    // expire is the runner's to delete, with the same rule and reason.
    let images = vec![
        img(1, &[], 30),
        img(2, &[], 1),
        img(3, &["v1"], 50),
        img(4, &["v2"], 2),
    ];
    let l = loaded(UNTAGGED_14D).with_default_registry(RegistryKind::EcrPublic);
    let p = plan_repository(&l, &state(images.clone(), None), now());
    assert_eq!(p.lifecycle_policy, PolicyChange::Unchanged);
    assert_eq!(p.registry, RegistryKind::EcrPublic);
    assert!(p.ecr_expirations.is_empty(), "{:?}", p.ecr_expirations);
    let digests = |v: &[ImageAction]| v.iter().map(|a| a.digest.to_string()).collect::<Vec<_>>();
    assert_eq!(
        digests(&p.deletions),
        vec![
            Digest::from_bytes([3; 32]).to_string(),
            Digest::from_bytes([1; 32]).to_string()
        ]
    );
    let private = plan_repository(&loaded(UNTAGGED_14D), &state(images, None), now());
    let rules = |v: &[ImageAction]| {
        let mut r: Vec<_> = v
            .iter()
            .map(|a| (a.digest, a.rule.clone(), format!("{:?}", a.reason)))
            .collect();
        r.sort();
        r
    };
    let mut both = private.deletions.clone();
    both.extend(private.ecr_expirations.clone());
    assert_eq!(rules(&p.deletions), rules(&both));
    // A file that names its registry keeps it.
    let file = SourceFile::new(
        "p.yaml",
        format!("version: 1\nregistry: ecr\nrules:\n{UNTAGGED_14D}"),
    );
    let named = LoadedPolicy::new(file.clone(), ecr_lifecycle_compiler::parse(&file).unwrap())
        .with_default_registry(RegistryKind::EcrPublic);
    assert_eq!(named.registry, RegistryKind::Ecr);
}

#[test]
fn files_govern_only_their_kind_of_registry() {
    let private = loaded("  - {name: a, match: any, keep: {newest: 1}}\n");
    let public = {
        let file = SourceFile::new(
            "public.yaml",
            "version: 1\nregistry: ecr-public\nrules:\n  - {name: a, match: any, keep: {newest: 2}}\n",
        );
        LoadedPolicy::new(file.clone(), ecr_lifecycle_compiler::parse(&file).unwrap())
    };
    let policies = [private, public];
    let public_unit = Unit {
        registry: RegistryKind::EcrPublic,
        ..Unit::default()
    };
    assert_eq!(units(&policies), vec![Unit::default(), public_unit.clone()]);
    let name = |u: &Unit| governing_in(&policies, "web", u).map(|p| p.file.name.clone());
    assert_eq!(name(&Unit::default()).as_deref(), Some("p.yaml"));
    assert_eq!(name(&public_unit).as_deref(), Some("public.yaml"));
}

#[test]
fn splits_deletions_between_ecr_and_the_runner() {
    let l = loaded(UNTAGGED_14D);
    let s = state(
        vec![
            img(1, &[], 30),
            img(2, &[], 1),
            img(3, &["v1"], 50),
            img(4, &["v2"], 2),
        ],
        None,
    );
    let p = plan_repository(&l, &s, now());
    assert!(matches!(p.lifecycle_policy, PolicyChange::Put { .. }));
    let digests = |v: &[ImageAction]| v.iter().map(|a| a.digest.to_string()).collect::<Vec<_>>();
    assert_eq!(
        digests(&p.ecr_expirations),
        vec![Digest::from_bytes([1; 32]).to_string()]
    );
    assert_eq!(
        digests(&p.deletions),
        vec![Digest::from_bytes([3; 32]).to_string()]
    );
    assert_eq!(p.deletions[0].rule.as_deref(), Some("tagged"));
    assert_eq!(p.images_seen, 4);
}

#[test]
fn an_equal_policy_in_another_layout_is_unchanged_and_a_stale_one_is_replaced() {
    let l = loaded(UNTAGGED_14D);
    let text = l.compiled.native.as_ref().unwrap().to_json_compact();
    let p = plan_repository(&l, &state(vec![], Some(&text)), now());
    assert_eq!(p.lifecycle_policy, PolicyChange::Unchanged);
    let p = plan_repository(&l, &state(vec![], Some(&text.replace("14", "15"))), now());
    assert!(matches!(p.lifecycle_policy, PolicyChange::Replace { .. }));
    let none = loaded("  - {name: all, match: {tag_regex: 'x'}, keep: all}\n");
    let p = plan_repository(&none, &state(vec![], Some(&text)), now());
    assert!(matches!(p.lifecycle_policy, PolicyChange::Delete { .. }));
}

#[test]
fn withholds_the_native_policy_where_ecr_would_expire_a_kept_referrer() {
    let l = loaded(UNTAGGED_14D);
    let subject = img(1, &["v1"], 1);
    let mut signature = img(2, &[], 30);
    signature.subject = Some(subject.digest);
    let p = plan_repository(&l, &state(vec![subject, signature], None), now());
    assert_eq!(
        p.lifecycle_policy,
        PolicyChange::Unchanged,
        "no native policy is put"
    );
    assert!(p.deletions.is_empty() && p.ecr_expirations.is_empty());
    assert!(matches!(p.notes[0], Note::Withheld { .. }), "{:?}", p.notes);
}

#[test]
fn summary_counts_and_prices() {
    let l = loaded(UNTAGGED_14D);
    let mut big = img(3, &["v1"], 50);
    big.size_bytes = Some(10 << 30);
    let p = plan_repository(&l, &state(vec![big, img(4, &["v2"], 1)], None), now());
    let s = summarize(&[p], &Prices::default());
    assert_eq!(
        (s.policies_to_put, s.images_to_delete, s.bytes_to_delete),
        (1, 1, 10 << 30)
    );
    assert!((s.monthly_saving_usd - 1.0).abs() < 1e-9);
}

#[test]
fn a_plan_of_another_format_is_refused() {
    // Formats before typed registries and shards, and before policy files were hashed by
    // their meaning: made again, not guessed at.
    let older = Plan::from_json("{\"formatVersion\": 2}").unwrap_err();
    assert!(
        older.contains("format version 2") && older.contains("make a new plan"),
        "{older}"
    );
    assert!(
        Plan::from_json("{\"formatVersion\": 4}")
            .unwrap_err()
            .contains("version 4")
    );
    assert!(Plan::from_json("[]").unwrap_err().contains("formatVersion"));
    assert!(
        Plan::from_json("nope")
            .unwrap_err()
            .starts_with("not a plan file")
    );
}

#[test]
fn withholds_a_native_count_that_a_restore_from_the_archive_would_turn_against_a_kept_image() {
    let l = loaded("  - {name: all, match: any, keep: {newest: 1}}\n");
    let newest = img(1, &["new"], 10);
    let mut archived = img(2, &["old"], 400);
    archived.status = ecr_lifecycle_compiler::image::ImageStatus::Archived;
    let p = plan_repository(&l, &state(vec![newest.clone(), archived], None), now());
    assert_eq!(
        p.lifecycle_policy,
        PolicyChange::Unchanged,
        "no native count is put"
    );
    assert!(matches!(p.notes[0], Note::Withheld { .. }), "{:?}", p.notes);
    // Without archived images the count is native.
    let p = plan_repository(&l, &state(vec![newest, img(3, &["x"], 20)], None), now());
    assert!(matches!(p.lifecycle_policy, PolicyChange::Put { .. }));
}

#[test]
fn archiving_an_index_whose_child_stays_active_is_a_warning_naming_the_rule() {
    // The index is old and archived by its rule; its platform images are untagged, which no
    // rule governs, so they stay (one is also listed by a newer index that the policy keeps).
    let l = loaded(
        "  - {name: old-releases, match: {tag_regex: 'v.*'}, keep: {newest: 1}, otherwise: archive}\n",
    );
    let shared = img(1, &[], 40);
    let other = img(2, &[], 40);
    let mut old_index = img(3, &["v1"], 40);
    old_index.children = vec![shared.digest, other.digest].into_boxed_slice();
    let old = old_index.digest;
    let mut new_index = img(4, &["v2"], 1);
    new_index.children = vec![shared.digest].into_boxed_slice();
    let p = plan_repository(
        &l,
        &state(vec![shared, other, old_index, new_index], None),
        now(),
    );
    let archived: Vec<String> = p.archivals.iter().map(|a| a.digest.to_string()).collect();
    assert_eq!(archived, [old.to_string()], "only the old index");
    assert!(
        p.notes.iter().any(|n| matches!(
            n,
            Note::IndexArchivedChildrenActive { rule, active: 2, .. } if rule == "old-releases"
        )),
        "{:?}",
        p.notes
    );
}

#[test]
fn an_archived_image_under_90_days_is_held_unless_early_deletion_is_allowed() {
    let l = loaded("  - {name: any-size, match: {where: 'imageSizeInBytes > `0`'}, keep: none}\n");
    let subject = img(1, &[], 3);
    let mut sbom = img(2, &[], 3);
    sbom.subject = Some(subject.digest);
    sbom.status = ecr_lifecycle_compiler::image::ImageStatus::Archived;
    sbom.archived_at = Some(now() - SignedDuration::from_hours(30 * 24));
    let s = state(vec![subject, sbom], None);
    let held = plan_repository(&l, &s, now());
    assert_eq!(held.deletions.len(), 1);
    assert_eq!(held.held.len(), 1);
    assert_eq!(held.held[0].archived, Some(ArchiveAge::Days(30)));
    assert_eq!(held.held[0].early_delete_days(), 60);
    let allowed = plan_repository_with(
        &l,
        &s,
        &ecr_lifecycle_compiler::in_use::InUse::new(),
        now(),
        RepositoryOptions {
            allow_early_archive_delete: true,
            ..RepositoryOptions::default()
        },
    );
    assert_eq!(allowed.deletions.len(), 2);
    assert!(allowed.held.is_empty());
    let summary = summarize(&[allowed], &Prices::default());
    // 2,000 bytes for 60 days at $0.10 per GB-month rounds to nothing; it is counted.
    assert_eq!(summary.images_to_delete, 2);
    assert_eq!(summary.early_delete_charge_usd, 0.0);
}

fn file(name: &str, text: &str) -> LoadedPolicy {
    let f = SourceFile::new(name, text);
    let p = ecr_lifecycle_compiler::parse(&f).unwrap();
    LoadedPolicy::new(f, p)
}

#[test]
fn units_are_every_account_in_every_region_once_and_govern_only_their_files() {
    let multi = file(
        "m.yaml",
        "version: 1\nrepositories: [web]\naccounts: [{profile: prod}, {role_arn: 'arn:aws:iam::210987654321:role/r'}]\nregions: [eu-west-1, us-east-1]\nrules: [{name: a, match: any, keep: all}]\n",
    );
    let plain = file(
        "p.yaml",
        "version: 1\nrepositories: [api]\nrules: [{name: a, match: any, keep: all}]\n",
    );
    let policies = [multi, plain];
    let prod = Account::Profile("prod".into());
    let role = Account::RoleArn("arn:aws:iam::210987654321:role/r".into());
    let unit = |a: Option<&Account>, r: Option<&str>| Unit {
        account: a.cloned(),
        region: r.map(str::to_string),
        ..Unit::default()
    };
    assert_eq!(
        units(&policies),
        vec![
            Unit::default(),
            unit(Some(&prod), Some("eu-west-1")),
            unit(Some(&prod), Some("us-east-1")),
            unit(Some(&role), Some("eu-west-1")),
            unit(Some(&role), Some("us-east-1")),
        ]
    );
    let prod_eu = unit(Some(&prod), Some("eu-west-1"));
    assert_eq!(
        governing_in(&policies, "web", &prod_eu).map(|p| p.file.name.as_str()),
        Some("m.yaml")
    );
    assert!(governing_in(&policies, "api", &prod_eu).is_none());
    assert!(governing_in(&policies, "web", &Unit::default()).is_none());
    assert_eq!(prod_eu.to_string(), "profile prod, eu-west-1");
}

fn archived(n: u8, tags: &[&str], days_in_archive: i64) -> Image {
    let mut i = img(n, tags, 1000);
    i.status = ecr_lifecycle_compiler::image::ImageStatus::Archived;
    i.archived_at = Some(now() - SignedDuration::from_hours(days_in_archive * 24));
    i
}

const ARCHIVE_RULES: &str = "version: 1
archive:
  expire_after: 400d
  rules:
    - { name: builds, match: { tags: ['sha-*'] }, expire_after: 90d }
    - { name: releases, match: { tags: ['v*'] }, keep: all }
rules:
  - { name: everything, match: any, keep: all }
";

#[test]
fn archived_images_are_expired_by_their_archive_rule_and_named_after_it() {
    let file = SourceFile::new("p.yaml", ARCHIVE_RULES);
    let l = LoadedPolicy::new(file.clone(), ecr_lifecycle_compiler::parse(&file).unwrap());
    let s = state(
        vec![
            archived(1, &["sha-1"], 100),
            archived(2, &["v1"], 5000),
            archived(3, &[], 500),
            archived(4, &[], 100),
        ],
        None,
    );
    let p = plan_repository(&l, &s, now());
    let PolicyChange::Put { text } = &p.lifecycle_policy else {
        panic!("{:?}", p.lifecycle_policy)
    };
    // ECR does it all: the builds rule, the releases claim, then `expire_after`.
    assert_eq!(
        text.matches("\"storageClass\": \"archive\"").count(),
        3,
        "{text}"
    );
    let named: Vec<(String, &str)> = p
        .ecr_expirations
        .iter()
        .map(|a| (a.digest.to_string(), a.rule.as_deref().unwrap_or_default()))
        .collect();
    let d = |n: u8| Digest::from_bytes([n; 32]).to_string();
    assert_eq!(named, [(d(1), "builds"), (d(3), "archive")]);
    assert!(p.deletions.is_empty() && p.held.is_empty());
}

#[test]
fn an_archive_rule_that_would_expire_an_image_in_use_is_held_back_by_name() {
    let file = SourceFile::new("p.yaml", ARCHIVE_RULES);
    let l = LoadedPolicy::new(file.clone(), ecr_lifecycle_compiler::parse(&file).unwrap());
    let s = state(
        vec![archived(1, &["sha-1"], 100), archived(3, &[], 500)],
        None,
    );
    let mut in_use = ecr_lifecycle_compiler::in_use::InUse::new();
    in_use.insert(Digest::from_bytes([1; 32]), "ecs service prod/web");
    let p = plan_repository_with(&l, &s, &in_use, now(), RepositoryOptions::default());
    assert!(
        matches!(
            &p.notes[0],
            Note::HeldBack { rule, archive: true, .. } if rule == "builds"
        ),
        "{:?}",
        p.notes
    );
    let PolicyChange::Put { text } = &p.lifecycle_policy else {
        panic!("{:?}", p.lifecycle_policy)
    };
    // The builds rule stays as a claim, so `expire_after` still cannot reach its images.
    assert!(text.contains("\"countNumber\": 36500"), "{text}");
    assert_eq!(p.ecr_expirations.len(), 1);
    assert_eq!(p.kept_in_use.len(), 1);
    assert_eq!(p.kept_in_use[0].image.rule.as_deref(), Some("builds"));
}

#[test]
fn an_image_in_use_keeps_its_tags_and_the_plan_says_which_it_would_lose() {
    let l = loaded(
        "  - {name: pull-requests, match: {tags: ['pr-*']}, keep: {within: 30d}, otherwise: untag}\n",
    );
    let s = state(
        vec![
            img(1, &["main", "pr-1"], 40),
            img(2, &["main-2", "pr-2"], 40),
        ],
        None,
    );
    let mut in_use = InUse::new();
    in_use.insert(s.images[0].digest, "ecs service prod/web");
    let plan = plan_repository_with(&l, &s, &in_use, now(), RepositoryOptions::default());
    // Only the image nobody runs loses its tag.
    assert_eq!(plan.tag_removals.len(), 1);
    assert_eq!(plan.tag_removals[0].digest, s.images[1].digest);
    assert_eq!(plan.tag_removals[0].remove, ["pr-2"]);
    assert_eq!(plan.kept_in_use.len(), 1);
    let kept = &plan.kept_in_use[0];
    assert_eq!(kept.image.digest, s.images[0].digest);
    assert_eq!(
        (kept.would, kept.would_untag.as_slice()),
        (Fate::Keep, &["pr-1".to_string()][..])
    );
    // What the CLI words as "in use by ecs service prod/web; rule `pull-requests` would remove
    // its tags pr-1 otherwise (pushed 40 days ago; …)".
    assert_eq!(
        (&kept.kept, kept.image.rule.as_deref()),
        (
            &Reason::InUse {
                consumer: "ecs service prod/web".into(),
                more: 0
            },
            Some("pull-requests")
        )
    );
    assert!(
        matches!(kept.image.reason, Reason::Age { seconds, window }
            if seconds == 40 * 86_400 && window == 30 * 86_400),
        "{:?}",
        kept.image.reason
    );
}
