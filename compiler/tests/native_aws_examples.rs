//! Every worked example of the AWS page "Examples of lifecycle policies in Amazon ECR"
//! (https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html),
//! run through the validator and the simulator. Where the page lists the repository, the images
//! are its images (tags and push order); where it only describes the policy, the repository is
//! a small one that exercises that description. Each assertion is preceded by the page's own
//! statement of the outcome.

#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops at the first surprise"
)]

mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};

use ecr_lifecycle_compiler::image::{Digest, Image, ImageStatus};
use ecr_lifecycle_compiler::native::{ValidPolicy, parse_and_validate, simulate};
use jiff::{SignedDuration, Timestamp};

const NOW: Timestamp = Timestamp::constant(1_750_000_000, 0);

/// A repository of named images ("A", "B", ...), so assertions read like the page.
struct Repo {
    images: Vec<Image>,
    names: BTreeMap<Digest, &'static str>,
}

impl Repo {
    fn new() -> Repo {
        Repo {
            images: Vec::new(),
            names: BTreeMap::new(),
        }
    }

    /// Adds an image pushed `pushed` ago.
    fn push(mut self, name: &'static str, tags: &[&str], pushed: SignedDuration) -> Repo {
        let digest = Digest::from_bytes([self.images.len() as u8 + 1; 32]);
        self.names.insert(digest, name);
        self.images.push(Image::new(digest, tags, NOW - pushed));
        self
    }

    /// Adds an image and then edits it (pull time, archive state).
    fn push_with(
        self,
        name: &'static str,
        tags: &[&str],
        pushed: SignedDuration,
        edit: impl FnOnce(&mut Image),
    ) -> Repo {
        let mut repo = self.push(name, tags, pushed);
        if let Some(last) = repo.images.last_mut() {
            edit(last);
        }
        repo
    }

    fn names(&self, digests: &BTreeSet<Digest>) -> Vec<&'static str> {
        digests
            .iter()
            .map(|d| self.names.get(d).copied().unwrap_or("?"))
            .collect()
    }

    fn expired(&self, policy: &ValidPolicy) -> Vec<&'static str> {
        self.names(&simulate(policy, &self.images, NOW).expired)
    }

    fn transitioned(&self, policy: &ValidPolicy) -> Vec<&'static str> {
        self.names(&simulate(policy, &self.images, NOW).transitioned)
    }
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

#[track_caller]
fn policy(text: &str) -> ValidPolicy {
    match parse_and_validate(text) {
        Ok(p) => p,
        Err(errors) => panic!("the page's policy should be valid: {errors:?}"),
    }
}

fn archived_days_ago(n: i64) -> impl FnOnce(&mut Image) {
    move |img| {
        img.status = ImageStatus::Archived;
        img.archived_at = Some(NOW - days(n));
    }
}

fn last_pulled_days_ago(n: i64) -> impl FnOnce(&mut Image) {
    move |img| img.last_pulled_at = Some(NOW - days(n))
}

#[test]
fn filtering_on_image_age() {
    let repo = Repo::new()
        .push("old prod", &["prod-1"], days(20))
        .push("old production", &["production"], days(15))
        .push("new prod", &["prod-2"], days(10))
        .push("old dev", &["dev-1"], days(20))
        .push("old untagged", &[], days(30));
    // "The following example shows the lifecycle policy syntax for a policy that expires
    // images with a tag starting with prod by using a tagPatternList of prod* that are also
    // older than 14 days."
    assert_eq!(
        repo.expired(&policy(IMAGE_AGE)),
        ["old prod", "old production"]
    );
}

#[test]
fn filtering_on_last_pulled_time() {
    let repo = Repo::new()
        .push_with(
            "pulled long ago",
            &["v1"],
            days(300),
            last_pulled_days_ago(100),
        )
        .push_with(
            "pulled lately",
            &["v2"],
            days(300),
            last_pulled_days_ago(10),
        )
        .push("never pulled, old", &[], days(200))
        .push("never pulled, new", &[], days(30));
    let p = policy(LAST_PULLED);
    // "The following example shows the lifecycle policy syntax for a policy that transitions
    // images to archive storage that haven't been pulled in 90 days."
    assert_eq!(
        repo.transitioned(&p),
        ["pulled long ago", "never pulled, old"]
    );
    assert!(repo.expired(&p).is_empty());
}

#[test]
fn filtering_on_archive_transition_time() {
    let repo = Repo::new()
        .push_with(
            "archived 400 days",
            &["v1"],
            days(800),
            archived_days_ago(400),
        )
        .push_with(
            "archived 100 days",
            &["v2"],
            days(800),
            archived_days_ago(100),
        )
        .push("active, pushed 800 days ago", &["v3"], days(800));
    // "The following example shows the lifecycle policy syntax for a policy that expires
    // archived images that have been in archive storage for more than 365 days."
    assert_eq!(
        repo.expired(&policy(ARCHIVE_TRANSITION_TIME)),
        ["archived 400 days"]
    );
}

#[test]
fn filtering_on_image_count() {
    let repo = Repo::new()
        .push("untagged 1", &[], days(3))
        .push("tagged", &["v1"], days(3))
        .push("untagged 2", &[], days(2))
        .push("untagged 3", &[], days(1));
    // "The following example shows the lifecycle policy syntax for a policy that keeps only
    // one untagged image and expires all others."
    assert_eq!(
        repo.expired(&policy(IMAGE_COUNT)),
        ["untagged 1", "untagged 2"]
    );
}

/// The repository of "Filtering on multiple rules", Examples A and B.
fn multiple_rules_repo() -> Repo {
    Repo::new()
        .push("A", &["beta-1", "prod-1"], days(10))
        .push("B", &["beta-2", "prod-2"], days(9))
        .push("C", &["beta-3"], days(8))
}

#[test]
fn filtering_on_multiple_rules_example_a() {
    let p = policy(&two_count_rules("tagPatternList", "prod*", "beta*"));
    // "Rule 1 identifies images tagged with prefix prod. It should mark images, starting with
    // the oldest, until there is one or fewer images remaining that match. It marks Image A
    // for expiration."
    // "Rule 2 identifies images tagged with prefix beta. [...] It marks both Image A and Image
    // B for expiration. However, Image A has already been seen by Rule 1 and if Image B were
    // expired it would violate Rule 1 and thus is skipped."
    // "Result: Image A is expired."
    assert_eq!(multiple_rules_repo().expired(&p), ["A"]);
}

#[test]
fn filtering_on_multiple_rules_example_a_with_prefix_lists() {
    // Earlier editions of the page wrote Example A with "tagPrefixList": ["prod"] and
    // ["beta"], with the same result: "Result: Image A is expired."
    let p = policy(&two_count_rules("tagPrefixList", "prod", "beta"));
    assert_eq!(multiple_rules_repo().expired(&p), ["A"]);
}

#[test]
fn filtering_on_multiple_rules_example_b() {
    let p = policy(&two_count_rules("tagPatternList", "beta*", "prod*"));
    // "Rule 1 identifies images tagged with prefix beta. [...] It sees all three images and
    // would mark Image A and Image B for expiration."
    // "Rule 2 identifies images tagged with prefix prod. [...] It would see no images because
    // all available images were already seen by Rule 1 and thus would mark no additional
    // images."
    // "Result: Images A and B are expired."
    assert_eq!(multiple_rules_repo().expired(&p), ["A", "B"]);
}

#[test]
fn filtering_on_multiple_rules_example_b_with_prefix_lists() {
    // Earlier editions used "tagPrefixList": ["beta"] and ["prod"]: "Result: Images A and B
    // are expired."
    let p = policy(&two_count_rules("tagPrefixList", "beta", "prod"));
    assert_eq!(multiple_rules_repo().expired(&p), ["A", "B"]);
}

#[test]
fn filtering_on_multiple_tags_in_a_single_rule_example_a() {
    let repo = Repo::new()
        .push("A", &["alpha-1"], days(12))
        .push("B", &["beta-1"], days(11))
        .push("C", &["alpha-2", "beta-2"], days(10))
        .push("D", &["alpha-3"], days(4))
        .push("E", &["beta-3"], days(3))
        .push("F", &["alpha-4", "beta-4"], days(2));
    let p = policy(&alpha_and_beta(
        r#""countType": "sinceImagePushed", "countNumber": 5, "countUnit": "days""#,
    ));
    // "When multiple tag patterns are specified on a single rule, images must match all listed
    // tag patterns."
    // "Rule 1 identifies images tagged with prefix alpha and beta. It sees images C and F. It
    // should mark images that are older than five days, which would be Image C."
    // "Result: Image C is expired."
    assert_eq!(repo.expired(&p), ["C"]);
}

#[test]
fn filtering_on_multiple_tags_in_a_single_rule_example_b() {
    let repo = Repo::new()
        .push("A", &["alpha-1", "beta-1", "gamma-1"], days(10))
        .push("B", &["alpha-2", "beta-2"], days(9))
        .push("C", &["alpha-3", "beta-3", "gamma-2"], days(8));
    let p = policy(&alpha_and_beta(
        r#""countType": "imageCountMoreThan", "countNumber": 1"#,
    ));
    // "The following example illustrates that tags are not exclusive."
    // "Rule 1 identifies images tagged with prefix alpha and beta. It sees all images. It
    // should mark images, starting with the oldest, until there is one or fewer images
    // remaining that match. It marks image A and B for expiration."
    // "Result: Images A and B are expired."
    assert_eq!(repo.expired(&p), ["A", "B"]);
}

#[test]
fn filtering_on_all_images_example_a() {
    let repo = Repo::new()
        .push("A", &["alpha-1"], days(4))
        .push("B", &["beta-1"], days(3))
        .push("C", &[], days(2))
        .push("D", &["alpha-2"], days(1));
    // "Rule 1 identifies all images. It sees images A, B, C, and D. It should expire all
    // images other than the newest one. It marks images A, B, and C for expiration."
    // "Result: Images A, B, and C are expired."
    assert_eq!(repo.expired(&policy(ALL_IMAGES_A)), ["A", "B", "C"]);
}

#[test]
fn filtering_on_all_images_example_b() {
    // D and E were both "Pushed: 1 day ago"; the page lists E after D, so E is pushed a
    // minute later (and so is not yet older than one day for Rule 2).
    let repo = Repo::new()
        .push("A", &["alpha-1", "beta-1"], days(4))
        .push("B", &[], days(3))
        .push("C", &["alpha-2"], days(2))
        .push("D", &["git hash"], days(1))
        .push("E", &[], days(1) - SignedDuration::from_mins(1));
    // "Rule 1 identifies images tagged with prefix alpha. It identifies images A and C. It
    // should keep the newest image and mark the rest for expiration. It marks image A for
    // expiration."
    // "Rule 2 identifies untagged images. It identifies images B and E. It should mark all
    // images older than one day for expiration. It marks image B for expiration."
    // "Rule 3 identifies all images. It identifies images A, B, C, D, and E. It should keep
    // the newest image and mark the rest for expiration. However, it can't mark images A, B,
    // C, or E because they were identified by higher priority rules. It marks image D for
    // expiration."
    // "Result: Images A, B, and D are expired."
    assert_eq!(repo.expired(&policy(ALL_IMAGES_B)), ["A", "B", "D"]);
}

#[test]
fn archiving_images_older_than_a_number_of_days() {
    let p = policy(ARCHIVE_OLDER_THAN);
    let repo = Repo::new()
        .push("old prod", &["prod-1"], days(40))
        .push("new prod", &["prod-2"], days(20))
        .push("old dev", &["dev-1"], days(40));
    // "The following example shows a lifecycle policy that archives images with tags starting
    // with prod that are older than 30 days"
    assert_eq!(repo.transitioned(&p), ["old prod"]);
    assert!(repo.expired(&p).is_empty());
}

#[test]
fn archiving_images_not_pulled_in_a_number_of_days() {
    // The page's "Archive examples" repeat the policy of "Filtering on last pulled time".
    let repo = Repo::new()
        .push_with(
            "pulled 91 days ago",
            &[],
            days(400),
            last_pulled_days_ago(91),
        )
        .push_with(
            "pulled 89 days ago",
            &[],
            days(400),
            last_pulled_days_ago(89),
        );
    // "The following example shows a lifecycle policy that archives images that haven't been
    // pulled in 90 days"
    assert_eq!(
        repo.transitioned(&policy(LAST_PULLED)),
        ["pulled 91 days ago"]
    );
}

#[test]
fn combining_archive_and_expire_rules() {
    let p = policy(ARCHIVE_THEN_EXPIRE);
    let repo = Repo::new()
        .push("active, 40 days", &["v1"], days(40))
        .push("active, 10 days", &["v2"], days(10))
        .push_with(
            "archived 400 days",
            &["v0"],
            days(500),
            archived_days_ago(400),
        )
        .push_with("archived 100 days", &[], days(500), archived_days_ago(100));
    // "The following example shows a lifecycle policy that archives images older than 30 days
    // and then permanently expires images that have been archived for more than 365 days"
    assert_eq!(repo.transitioned(&p), ["active, 40 days"]);
    assert_eq!(repo.expired(&p), ["archived 400 days"]);
}
