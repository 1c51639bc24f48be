//! A million images at once: describe-images JSON read as a stream into compact records
//! (digest as 32 bytes, times as integer nanoseconds, tags in one byte arena per repository),
//! and the fates of the policies whose decisions need nothing else.
//!
//! This is a fast path, never a second meaning: whatever it is not sure to read or decide
//! exactly as [`crate::image::parse_images_json`] and [`crate::reference::evaluate`] do
//! (escapes, archived images, image indexes, referrers, `where`, ranking by version or per
//! group, `evaluation: ecr`, a digest listed twice, any error), it declines, and the caller
//! takes the general path, which also words the errors. `tests/bulk_identity.rs` holds it
//! to the reference on generated images and policies.

mod fates;
mod read;

pub use fates::{Fates, fates, supports};
pub use read::{Decline, read};

use crate::image::Digest;

/// One active image, compact: what the supported rules look at and nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub digest: Digest,
    /// Push time, nanoseconds since the Unix epoch.
    pub pushed: i64,
    /// Last pull, or the push when never pulled (ECR's rule for `pulled_within`), nanoseconds.
    pub pulled_or_pushed: i64,
    /// Where the image's tags start in [`Repository::tag_bytes`].
    tags_at: u32,
    tag_count: u32,
}

/// The images of one repository, in file order.
#[derive(Debug, Default)]
pub struct Repository {
    /// `None` when the image details carry no `repositoryName`.
    pub name: Option<String>,
    pub records: Vec<Record>,
    /// Every image's tags, each as a length byte and its (ASCII) text.
    tag_bytes: Vec<u8>,
}

impl Repository {
    /// The tags of a record, into `out` (cleared first): no allocation once `out` has grown.
    pub fn tags_into<'a>(&'a self, record: &Record, out: &mut Vec<&'a str>) {
        out.clear();
        let mut at = record.tags_at as usize;
        for _ in 0..record.tag_count {
            let len = usize::from(self.tag_bytes.get(at).copied().unwrap_or(0));
            let text = self.tag_bytes.get(at + 1..at + 1 + len).unwrap_or_default();
            // Only ASCII is ever stored.
            out.push(std::str::from_utf8(text).unwrap_or_default());
            at += 1 + len;
        }
    }
}
