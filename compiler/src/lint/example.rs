//! Building example images and finding out, with the real simulator, what ECR does to them.
//!
//! Digests are made up but stable, and tags are unique across an example, since a tag names
//! one image in a repository.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};

use crate::image::ImageStatus;
use crate::image::{Digest, Image};
use crate::native::{NativeRule, StorageClass, ValidPolicy, governing_rule, simulate};

use super::patterns::{Pat, find_tag};
use super::{Fate, Row, Treatment, meant};

/// Most images an example may hold; a count larger than this gives no example.
pub(crate) const MAX_IMAGES: usize = 1000;

/// Images under construction, newest first by the caller's choice of ages.
pub(crate) struct Builder {
    now: Timestamp,
    images: Vec<Image>,
    taken: BTreeSet<String>,
    seed: usize,
}

impl Builder {
    pub(crate) fn new(now: Timestamp) -> Builder {
        Builder {
            now,
            images: Vec::new(),
            taken: BTreeSet::new(),
            seed: 0,
        }
    }

    /// A tag not yet used in the example that every `include` pattern matches and no
    /// `exclude` pattern matches.
    pub(crate) fn tag(&mut self, include: &[&Pat], exclude: &[&Pat]) -> Option<String> {
        self.seed += 1;
        let tag = find_tag(include, exclude, &self.taken, self.seed)?;
        self.taken.insert(tag.clone());
        Some(tag)
    }

    /// Tags for one image so that every entry matches one of them (one tag if one can do),
    /// none of them matched by `exclude`.
    pub(crate) fn tags_for(&mut self, entries: &[&Pat], exclude: &[&Pat]) -> Option<Vec<String>> {
        if entries.is_empty() {
            return Some(Vec::new());
        }
        if let Some(t) = self.tag(entries, exclude) {
            return Some(vec![t]);
        }
        entries.iter().map(|e| self.tag(&[e], exclude)).collect()
    }

    /// Adds an image pushed `age` before now; returns its place.
    pub(crate) fn push(&mut self, tags: &[String], age: SignedDuration) -> usize {
        let n = self.images.len();
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        self.images
            .push(Image::new(digest(n as u64), &tags, before(self.now, age)));
        n
    }

    /// Adds an image that rules of `class` select: for the archive, archived `age` before now
    /// (pushed a year before that).
    pub(crate) fn push_in(
        &mut self,
        class: StorageClass,
        tags: &[String],
        age: SignedDuration,
    ) -> usize {
        match class {
            StorageClass::Standard => self.push(tags, age),
            StorageClass::Archive => {
                let n = self.push(tags, age + SignedDuration::from_hours(365 * 24));
                let archived_at = before(self.now, age);
                if let Some(img) = self.images.get_mut(n) {
                    img.status = ImageStatus::Archived;
                    img.archived_at = Some(archived_at);
                }
                n
            }
        }
    }

    pub(crate) fn image_mut(&mut self, n: usize) -> Option<&mut Image> {
        self.images.get_mut(n)
    }

    pub(crate) fn digest_of(&self, n: usize) -> Option<Digest> {
        self.images.get(n).map(|i| i.digest)
    }

    pub(crate) fn len(&self) -> usize {
        self.images.len()
    }

    pub(crate) fn into_images(self) -> Vec<Image> {
        self.images
    }
}

/// `age` before `now`, or the earliest time there is: a rule's days can reach further back than
/// any timestamp (ECR's largest `countNumber` is millions of years), and then no example image
/// is old enough for it, which the simulator will say.
fn before(now: Timestamp, age: SignedDuration) -> Timestamp {
    now.checked_sub(age).unwrap_or(Timestamp::MIN)
}

pub(crate) fn hours(n: usize) -> SignedDuration {
    SignedDuration::from_hours(i64::try_from(n).unwrap_or(i64::MAX / 3600))
}

/// `days` whole days and `extra_hours` more.
pub(crate) fn days_and_hours(days: i64, extra_hours: usize) -> SignedDuration {
    SignedDuration::from_secs(days.saturating_mul(86_400)).saturating_add(hours(extra_hours))
}

/// What ECR does to each image (the simulator, and the rule allowed to act on it) and what
/// the rule order suggests.
pub(crate) fn rows(policy: &ValidPolicy, images: Vec<Image>, now: Timestamp) -> Vec<Row> {
    let outcome = simulate(policy, &images, now);
    let meant = meant::evaluate(policy, &images, now);
    images
        .into_iter()
        .zip(meant)
        .map(|(image, meant)| {
            let treatment = if outcome.expired.contains(&image.digest) {
                Treatment::Expired
            } else if outcome.transitioned.contains(&image.digest) {
                Treatment::Archived
            } else {
                Treatment::Kept
            };
            let ecr = Fate {
                treatment,
                rule: governing_rule(policy, &image),
            };
            Row { image, ecr, meant }
        })
        .collect()
}

/// A made-up digest that looks like one: the bytes of a fixed mix of `n`.
fn digest(n: u64) -> Digest {
    let mut bytes = [0u8; 32];
    let mut x = n.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5eed;
    for chunk in bytes.chunks_exact_mut(8) {
        // splitmix64
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_be_bytes());
    }
    Digest::from_bytes(bytes)
}

/// How old an image must be for the rule to act on it when it governs the image alone: past
/// its days for an age rule; a count never acts on a lone image, so an hour will do.
pub(crate) fn acting_age(rule: &NativeRule) -> SignedDuration {
    let sel = &rule.selection;
    if sel.count_type.is_age() {
        days_and_hours(sel.count_number, 1)
    } else {
        hours(1)
    }
}
