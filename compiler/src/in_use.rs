//! Images something runs: an ECS service or task, a Lambda function, a Kubernetes pod. Such an
//! image is kept whatever the rules say, with everything the safety closure hangs on it.
//!
//! Reading the consumers is I/O and lives in the runtime; here is only what was found, already
//! resolved to the digests of one repository.

use std::collections::{BTreeMap, BTreeSet};

use crate::image::Digest;

/// Who runs an image, as a plan names it: `ecs service prod/web`, `lambda function api:3`,
/// `kubernetes pod default/web-7d9f`, `file in-use/extra.json`.
pub type Consumer = String;

/// The images of one repository that are in use, each with its consumers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InUse {
    by: BTreeMap<Digest, BTreeSet<Consumer>>,
}

impl InUse {
    pub fn new() -> InUse {
        InUse::default()
    }

    /// Records that `consumer` uses the image `digest`.
    pub fn insert(&mut self, digest: Digest, consumer: impl Into<Consumer>) {
        self.by.entry(digest).or_default().insert(consumer.into());
    }

    pub fn is_empty(&self) -> bool {
        self.by.is_empty()
    }

    /// How many images are in use.
    pub fn len(&self) -> usize {
        self.by.len()
    }

    pub fn contains(&self, digest: &Digest) -> bool {
        self.by.contains_key(digest)
    }

    /// The consumers of an image, sorted; empty when it is not in use.
    pub fn consumers(&self, digest: &Digest) -> impl Iterator<Item = &Consumer> {
        self.by.get(digest).into_iter().flatten()
    }

    /// The first consumer (sorted) and how many more there are, for one line of a plan.
    pub fn first(&self, digest: &Digest) -> Option<(&Consumer, usize)> {
        let set = self.by.get(digest)?;
        set.iter().next().map(|c| (c, set.len() - 1))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Digest, &BTreeSet<Consumer>)> {
        self.by.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumers_are_sorted_and_counted_once() {
        let d: Digest = format!("sha256:{}", "ab".repeat(32)).parse().unwrap();
        let mut u = InUse::new();
        u.insert(d, "lambda function api:3");
        u.insert(d, "ecs service prod/web");
        u.insert(d, "ecs service prod/web");
        assert_eq!(u.len(), 1);
        assert_eq!(u.first(&d), Some((&"ecs service prod/web".to_string(), 1)));
        assert_eq!(
            u.consumers(&d).cloned().collect::<Vec<_>>(),
            ["ecs service prod/web", "lambda function api:3"]
        );
    }
}
