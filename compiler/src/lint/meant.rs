//! What a native policy does when read the way its rule order suggests, the reading lint
//! compares ECR's evaluation with: rules of a storage class are taken by priority, the first
//! rule that matches an image governs it, a count ranks only the images its rule governs,
//! and a list matches when any entry does. Nothing protects index children here: the point
//! is what the reader expects the rule to do to them.

use jiff::{SignedDuration, Timestamp};

use crate::image::{Image, ImageStatus};
use crate::native::{ActionType, CountType, NativeRule, StorageClass, ValidPolicy};

use super::filter::{Filter, Reading};
use super::{Fate, Treatment};

/// The fate of each image, in the order given.
pub(crate) fn evaluate(policy: &ValidPolicy, images: &[Image], now: Timestamp) -> Vec<Fate> {
    let mut rules: Vec<(&NativeRule, Filter)> = policy
        .filtered_rules()
        .map(|(r, f)| (r, Filter::of(r, f)))
        .collect();
    rules.sort_by_key(|(r, _)| r.rule_priority);

    let governor: Vec<Option<usize>> = images
        .iter()
        .map(|img| {
            let class = class_of(img)?;
            rules
                .iter()
                .position(|(_, f)| f.class == class && f.matches(img, Reading::Meant))
        })
        .collect();

    let mut fates: Vec<Fate> = governor
        .iter()
        .map(|g| Fate {
            treatment: Treatment::Kept,
            rule: g.map(|r| rules[r].0.rule_priority),
        })
        .collect();
    for (r, (rule, _)) in rules.iter().enumerate() {
        let governed: Vec<usize> = (0..images.len())
            .filter(|&i| governor[i] == Some(r))
            .collect();
        let treatment = match rule.action.action_type {
            ActionType::Expire => Treatment::Expired,
            ActionType::Transition => Treatment::Archived,
        };
        for i in marked(rule, &governed, images, now) {
            fates[i].treatment = treatment;
        }
    }
    fates
}

/// The storage class whose rules may select the image; none while it is being restored.
fn class_of(image: &Image) -> Option<StorageClass> {
    match image.status {
        ImageStatus::Active => Some(StorageClass::Standard),
        ImageStatus::Archived => Some(StorageClass::Archive),
        ImageStatus::Activating => None,
    }
}

/// The governed images the rule marks, with ECR's own measures of count and age.
fn marked(rule: &NativeRule, governed: &[usize], images: &[Image], now: Timestamp) -> Vec<usize> {
    let n = rule.selection.count_number;
    let older = |t: Option<Timestamp>| {
        t.is_some_and(|t| {
            n.checked_mul(86_400)
                .is_some_and(|secs| now.duration_since(t) > SignedDuration::from_secs(secs))
        })
    };
    match rule.selection.count_type {
        CountType::ImageCountMoreThan => {
            let mut ranked = governed.to_vec();
            ranked.sort_by(|&a, &b| {
                let (a, b) = (&images[a], &images[b]);
                b.count_time()
                    .cmp(&a.count_time())
                    .then_with(|| a.digest.cmp(&b.digest))
            });
            ranked
                .into_iter()
                .skip(usize::try_from(n).unwrap_or(0))
                .collect()
        }
        CountType::SinceImagePushed => governed
            .iter()
            .copied()
            .filter(|&i| older(Some(images[i].pushed_at)))
            .collect(),
        CountType::SinceImagePulled => governed
            .iter()
            .copied()
            .filter(|&i| {
                let img = &images[i];
                let pulled = img.pulled_or_pushed_at();
                older(Some(img.activated_at.map_or(pulled, |r| r.max(pulled))))
            })
            .collect(),
        CountType::SinceImageTransitioned => governed
            .iter()
            .copied()
            .filter(|&i| older(images[i].archived_at))
            .collect(),
    }
}
