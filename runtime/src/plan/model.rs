//! The plan file: what a plan says, as serde data. `plan` writes it, `apply` reads it back, and
//! text, Markdown and JSON are renderings of it.

use ecr_lifecycle_compiler::dsl::policy::{Account, RegistryKind};
use ecr_lifecycle_compiler::image::Digest;
use ecr_lifecycle_compiler::reference::{Fate, Reason};
use serde::{Deserialize, Serialize};

use super::Unit;

/// The plan file format; `apply` refuses any other. 2: registries, the shard, reasons and
/// notes are typed data.
pub const FORMAT_VERSION: u32 = 3;

/// Standard storage price per GB-month (GiB, as AWS bills storage), in US dollars.
pub const STANDARD_PRICE_PER_GB_MONTH: f64 = 0.10;

/// Archive storage price per GB-month, in US dollars. AWS bills the first 150 TB of a month's
/// archive storage at the standard price and $0.07 above that, so archiving saves nothing
/// until then: plan with `--archive-price 0.07` when the archive holds more.
pub const ARCHIVE_PRICE_PER_GB_MONTH: f64 = 0.10;

pub use ecr_lifecycle_compiler::limits::MIN_ARCHIVE_DAYS;

/// The storage prices a plan's figures use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Prices {
    pub standard_per_gb_month: f64,
    pub archive_per_gb_month: f64,
}

impl Default for Prices {
    fn default() -> Prices {
        Prices {
            standard_per_gb_month: STANDARD_PRICE_PER_GB_MONTH,
            archive_per_gb_month: ARCHIVE_PRICE_PER_GB_MONTH,
        }
    }
}

impl Prices {
    fn is_default(&self) -> bool {
        *self == Prices::default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Plan {
    pub format_version: u32,
    pub tool_version: String,
    /// The time the plan was evaluated at (RFC 3339).
    pub created_at: String,
    /// Where it was made: one registry per unit of work (account and region), or a snapshot.
    pub registries: Vec<RegistryId>,
    /// When the plan covers one shard of the repositories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Made with `--allow-early-archive-delete`: apply may delete images archived under 90 days.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_early_archive_delete: bool,
    /// The prices its figures use, when not the defaults.
    #[serde(default, skip_serializing_if = "Prices::is_default")]
    pub prices: Prices,
    pub policy_files: Vec<PolicyFileRef>,
    pub repositories: Vec<RepositoryPlan>,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyFileRef {
    pub path: String,
    /// Of the file's normalised form: edits of comments and layout keep a plan applicable.
    pub normalized_sha256: String,
    /// The registry the file governed (as it says, or as `--registry` said).
    #[serde(default, skip_serializing_if = "is_ecr")]
    pub registry: RegistryKind,
}

fn is_ecr(r: &RegistryKind) -> bool {
    *r == RegistryKind::Ecr
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RepositoryPlan {
    pub name: String,
    /// The AWS account, when the policy file names accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    /// The AWS region, when the policy file names regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The registry: ECR unless it says `ecr-public`.
    #[serde(default, skip_serializing_if = "is_ecr")]
    pub registry: RegistryKind,
    pub policy_file: String,
    /// The policy file is a default file (`default: true`): it governs the repository because
    /// no other file selects it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub default_policy: bool,
    pub lifecycle_policy: PolicyChange,
    /// Images the runner deletes.
    pub deletions: Vec<ImageAction>,
    /// Images the desired native policy makes ECR expire (ECR acts within a day).
    pub ecr_expirations: Vec<ImageAction>,
    /// Tags the runner removes from images that stay (`otherwise: untag`), one entry per
    /// image; an image that would lose its last tag is a deletion instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag_removals: Vec<TagRemoval>,
    /// Images the runner moves to the archive storage class.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub archivals: Vec<ImageAction>,
    /// Images the desired native policy makes ECR archive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ecr_archivals: Vec<ImageAction>,
    /// Archived images the policy deletes but that stay: they have been in the archive for
    /// less than 90 days (see `--allow-early-archive-delete`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<ImageAction>,
    /// Images the rules would delete, archive or untag that stay whole because something runs them (or
    /// an image that hangs on them, or the index that lists them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_in_use: Vec<KeptInUse>,
    /// Images that the native policy applied by another tool (`--native-policies ignore`)
    /// expires, and the policy files keep.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_policy_expirations: Vec<ImageAction>,
    /// What a reviewer should know about the repository.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// What the plan saw: the number of images and their total size.
    pub images_seen: usize,
    pub bytes_seen: u64,
}

/// What happens to a repository's native lifecycle policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase", deny_unknown_fields)]
pub enum PolicyChange {
    /// Already what it should be (or none, and none is wanted).
    Unchanged,
    Put {
        text: String,
    },
    Replace {
        current: String,
        text: String,
    },
    Delete {
        current: String,
    },
}

impl PolicyChange {
    pub fn is_change(&self) -> bool {
        !matches!(self, PolicyChange::Unchanged)
    }
}

/// One image to delete (or that ECR will expire), with the rule and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageAction {
    pub digest: Digest,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(with = "aws_time")]
    pub pushed_at: jiff::Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// For an image in the archive: how long it has been there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<ArchiveAge>,
    /// The rule that governs the image; `None` when none does (a referrer follows its
    /// subject, an index's children follow the index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub reason: Reason,
    /// The rule only removes tags (`otherwise: untag`), and removes every tag the image has:
    /// it goes with its last tag.
    #[serde(default, skip_serializing_if = "is_false")]
    pub last_tags_removed: bool,
}

/// Tags to remove from one image that stays, with the rule and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TagRemoval {
    pub digest: Digest,
    /// The tags removed.
    pub remove: Vec<String>,
    /// The tags the image keeps (never empty).
    pub keep: Vec<String>,
    #[serde(with = "aws_time")]
    pub pushed_at: jiff::Timestamp,
    /// The rule whose `otherwise: untag` removes them.
    pub rule: String,
    /// Why the rule does not keep the image as it is.
    pub reason: Reason,
}

/// How long an image has been in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ArchiveAge {
    /// Whole days.
    Days(i64),
    /// The registry does not say when it was archived.
    Unknown,
}

impl ImageAction {
    /// Days of the 90-day archive minimum still to be billed if the image is deleted now.
    pub fn early_delete_days(&self) -> i64 {
        match self.archived {
            None => 0,
            Some(ArchiveAge::Unknown) => MIN_ARCHIVE_DAYS,
            Some(ArchiveAge::Days(d)) => (MIN_ARCHIVE_DAYS - d).max(0),
        }
    }
}

/// An image the rules would delete, archive or untag, kept whole because something runs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeptInUse {
    /// The image, with the rule and the reason it would go for.
    pub image: ImageAction,
    /// What the rule would do to it.
    pub would: Fate,
    /// The tags the rule would remove from it otherwise (`otherwise: untag`, `would` is keep).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub would_untag: Vec<String>,
    /// Why it stays (in use, or hanging on an image in use).
    pub kept: Reason,
}

/// What a reviewer should know about one repository (decided by `decide`).
pub use ecr_lifecycle_compiler::decide::Note;

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Summary {
    pub policies_to_put: usize,
    pub policies_to_replace: usize,
    pub policies_to_delete: usize,
    pub images_to_delete: usize,
    pub bytes_to_delete: u64,
    pub monthly_saving_usd: f64,
    pub ecr_expirations: usize,
    pub ecr_bytes: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub images_to_archive: usize,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub bytes_to_archive: u64,
    /// What archiving saves a month: the difference between the standard and archive prices.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub archive_monthly_saving_usd: f64,
    /// The rest of the 90-day minimum, billed once for archived images deleted early.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub early_delete_charge_usd: f64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ecr_archivals: usize,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub images_held: usize,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub images_kept_in_use: usize,
    /// Tags the runner removes, and from how many images (which stay).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tags_to_remove: usize,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub images_to_untag: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

fn is_zero_f64(n: &f64) -> bool {
    *n == 0.0
}

impl RepositoryPlan {
    /// The unit of work the repository belongs to.
    pub fn unit(&self) -> Unit {
        Unit {
            registry: self.registry,
            account: self.account.clone(),
            region: self.region.clone(),
        }
    }

    /// Plans are ordered by unit, then name.
    pub fn order(a: &RepositoryPlan, b: &RepositoryPlan) -> std::cmp::Ordering {
        (&a.registry, &a.account, &a.region, &a.name).cmp(&(
            &b.registry,
            &b.account,
            &b.region,
            &b.name,
        ))
    }

    /// Whether a rendering has anything to say about this repository.
    pub fn has_news(&self) -> bool {
        self.lifecycle_policy.is_change()
            || !self.deletions.is_empty()
            || !self.archivals.is_empty()
            || !self.tag_removals.is_empty()
            || !self.held.is_empty()
            || !self.kept_in_use.is_empty()
            || !self.applied_policy_expirations.is_empty()
            || !self.notes.is_empty()
    }
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.summary.policies_to_put
            + self.summary.policies_to_replace
            + self.summary.policies_to_delete
            + self.summary.images_to_delete
            + self.summary.images_to_archive
            + self.summary.tags_to_remove
            > 0
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The same text as [`Plan::to_json`], written as it is made: a plan of a large registry
    /// is never held twice, once as data and once as text.
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        out.write_all(b"\n")
    }

    /// Reads a saved plan, refusing other formats with a message that says what to do.
    pub fn from_json(text: &str) -> Result<Plan, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            format!("not a plan file: {e} (a plan is what `ecr-lifecycle plan -o FILE` writes)")
        })?;
        match v.get("formatVersion").and_then(serde_json::Value::as_u64) {
            Some(n) if n == u64::from(FORMAT_VERSION) => {}
            Some(n) => {
                return Err(format!(
                    "the plan has format version {n}, and this ecr-lifecycle reads version {FORMAT_VERSION}: make a new plan with this version"
                ));
            }
            None => return Err("not a plan file: it has no `formatVersion`".into()),
        }
        serde_json::from_value(v).map_err(|e| format!("the plan file is damaged: {e}"))
    }
}

/// Sums up repository plans.
pub fn summarize(repos: &[RepositoryPlan], prices: &Prices) -> Summary {
    let mut s = Summary::default();
    let size = |list: &[ImageAction]| list.iter().filter_map(|d| d.size_bytes).sum::<u64>();
    let mut early_charge = 0.0;
    // Deleting an archived image saves archive storage, not standard storage.
    let mut archived_bytes = 0u64;
    for r in repos {
        match r.lifecycle_policy {
            PolicyChange::Unchanged => {}
            PolicyChange::Put { .. } => s.policies_to_put += 1,
            PolicyChange::Replace { .. } => s.policies_to_replace += 1,
            PolicyChange::Delete { .. } => s.policies_to_delete += 1,
        }
        s.images_to_delete += r.deletions.len();
        s.bytes_to_delete += size(&r.deletions);
        // What a policy applied by another tool expires counts too: it goes all the same.
        s.ecr_expirations += r.ecr_expirations.len() + r.applied_policy_expirations.len();
        s.ecr_bytes += size(&r.ecr_expirations) + size(&r.applied_policy_expirations);
        s.images_to_archive += r.archivals.len();
        s.bytes_to_archive += size(&r.archivals);
        s.ecr_archivals += r.ecr_archivals.len();
        s.images_held += r.held.len();
        s.images_kept_in_use += r.kept_in_use.len();
        s.images_to_untag += r.tag_removals.len();
        s.tags_to_remove += r.tag_removals.iter().map(|t| t.remove.len()).sum::<usize>();
        for d in r.deletions.iter().filter(|d| d.archived.is_some()) {
            let size = d.size_bytes.unwrap_or(0);
            archived_bytes += size;
            early_charge +=
                gib(size) * prices.archive_per_gb_month * d.early_delete_days() as f64 / 30.0;
        }
    }
    s.monthly_saving_usd = cents(
        gib(s.bytes_to_delete - archived_bytes) * prices.standard_per_gb_month
            + gib(archived_bytes) * prices.archive_per_gb_month,
    );
    s.archive_monthly_saving_usd = cents(
        gib(s.bytes_to_archive) * (prices.standard_per_gb_month - prices.archive_per_gb_month),
    );
    s.early_delete_charge_usd = cents(early_charge);
    s
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

fn cents(usd: f64) -> f64 {
    (usd * 100.0).round() / 100.0
}

/// Dollars per month to store this many bytes in standard storage.
pub fn monthly_cost(bytes: u64, prices: &Prices) -> f64 {
    cents(gib(bytes) * prices.standard_per_gb_month)
}

/// One of `count` shards of a registry's repositories (`I/N`, 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether the repository falls in this shard: FNV-1a of its name, so every machine and
    /// every run agrees.
    pub fn holds(self, repository: &str) -> bool {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in repository.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        (h % u64::from(self.count)) as u32 + 1 == self.index
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}` is not a shard: write I/N with 1 <= I <= N, like 2/8");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) =
            (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Where a plan was made, as `apply` checks it: an ECR registry (account, region and, when one
/// is set, the endpoint) or a snapshot file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegistryId {
    /// `ecr:ACCOUNT:REGION[@ENDPOINT]`; the account is `None` until a call has named it.
    Ecr {
        account: Option<String>,
        region: String,
        endpoint: Option<String>,
    },
    /// `ecr-public:ACCOUNT[@ENDPOINT]`: ECR Public (us-east-1 always); the account is `None`
    /// until a call has named it.
    EcrPublic {
        account: Option<String>,
        endpoint: Option<String>,
    },
    /// `file:PATH`.
    File(String),
}

impl std::str::FromStr for RegistryId {
    type Err = String;
    fn from_str(s: &str) -> Result<RegistryId, String> {
        if let Some(path) = s.strip_prefix("file:") {
            return Ok(RegistryId::File(path.to_string()));
        }
        if let Some(rest) = s.strip_prefix("ecr-public:") {
            let (account, endpoint) = match rest.split_once('@') {
                Some((a, e)) => (a, Some(e.to_string())),
                None => (rest, None),
            };
            return Ok(RegistryId::EcrPublic {
                account: (account != "?").then(|| account.to_string()),
                endpoint,
            });
        }
        let bad = || {
            format!(
                "`{s}` is not a registry: expected `ecr:ACCOUNT:REGION`, `ecr-public:ACCOUNT` or `file:PATH`"
            )
        };
        let rest = s.strip_prefix("ecr:").ok_or_else(bad)?;
        let (account, place) = rest.split_once(':').ok_or_else(bad)?;
        let (region, endpoint) = match place.split_once('@') {
            Some((r, e)) => (r, Some(e.to_string())),
            None => (place, None),
        };
        if region.is_empty() {
            return Err(bad());
        }
        Ok(RegistryId::Ecr {
            account: (account != "?").then(|| account.to_string()),
            region: region.to_string(),
            endpoint,
        })
    }
}

impl std::fmt::Display for RegistryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryId::Ecr {
                account,
                region,
                endpoint,
            } => {
                write!(f, "ecr:{}:{region}", account.as_deref().unwrap_or("?"))?;
                match endpoint {
                    Some(e) => write!(f, "@{e}"),
                    None => Ok(()),
                }
            }
            RegistryId::EcrPublic { account, endpoint } => {
                write!(f, "ecr-public:{}", account.as_deref().unwrap_or("?"))?;
                match endpoint {
                    Some(e) => write!(f, "@{e}"),
                    None => Ok(()),
                }
            }
            RegistryId::File(path) => write!(f, "file:{path}"),
        }
    }
}

/// Both are written in the plan file as their text.
macro_rules! as_text {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
as_text!(Shard);
as_text!(RegistryId);

impl Plan {
    /// The registries, as one line for people.
    pub fn registries_text(&self) -> String {
        self.registries
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_and_registries_read_back_what_they_write() {
        for text in ["1/1", "2/8", "8/8"] {
            assert_eq!(text.parse::<Shard>().unwrap().to_string(), text);
        }
        for bad in ["0/3", "4/3", "1/0", "1", "a/b", "1/2/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        for text in [
            "ecr:123456789012:eu-west-1",
            "ecr:?:us-east-1@http://127.0.0.1:5000",
            "file:demo/registry.json",
            "file:C:/x.json",
        ] {
            assert_eq!(text.parse::<RegistryId>().unwrap().to_string(), text);
        }
        assert_eq!(
            "ecr:?:eu-west-1".parse::<RegistryId>().unwrap(),
            RegistryId::Ecr {
                account: None,
                region: "eu-west-1".into(),
                endpoint: None
            }
        );
        for bad in ["ecr", "ecr:1", "s3:x", "ecr:1:"] {
            assert!(bad.parse::<RegistryId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_repository_falls_in_exactly_one_shard() {
        for name in ["web", "team/api", "a", ""] {
            let holders = (1..=7)
                .filter(|i| {
                    Shard {
                        index: *i,
                        count: 7,
                    }
                    .holds(name)
                })
                .count();
            assert_eq!(holders, 1, "{name}");
        }
    }
}

/// A time in a plan as the AWS CLI prints it (`2026-05-01T12:00:00+00:00`), held as a time.
mod aws_time {
    use ecr_lifecycle_compiler::image::{iso, parse_timestamp};
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&iso(*t))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(d)?;
        parse_timestamp(&text).map_err(serde::de::Error::custom)
    }
}
