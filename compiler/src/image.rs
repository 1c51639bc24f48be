//! Images as ECR's DescribeImages reports them, in a compact form.
//!
//! The input format is exactly what `aws ecr describe-images --output json` prints, plus two
//! optional members ECR does not return from DescribeImages but the runtime learns elsewhere:
//! `childManifestDigests` (the manifests an image index lists) and, where absent,
//! `subjectManifestDigest` (the image a referrer such as a signature points at).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use jiff::Timestamp;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

/// A manifest digest. ECR only produces `sha256:` digests, so that is all this accepts.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    /// A digest from raw bytes (tests and generators).
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Digest(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Why a digest string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestError(String);

impl fmt::Display for DigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not an image digest: expected `sha256:` followed by 64 hex digits",
            self.0
        )
    }
}

impl std::error::Error for DigestError {}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Digest::parse_bytes(s.as_bytes()).ok_or_else(|| DigestError(s.chars().take(80).collect()))
    }
}

impl Digest {
    /// `sha256:` and 64 hex digits (either case), from bytes; a million of these are read at
    /// once, so a table does the digits.
    pub fn parse_bytes(s: &[u8]) -> Option<Digest> {
        let hex = s.strip_prefix(b"sha256:")?;
        if hex.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        let mut bad = 0u8;
        for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
            let hi = HEX_VALUE[usize::from(pair[0])];
            let lo = HEX_VALUE[usize::from(pair[1])];
            bad |= hi | lo;
            *o = hi << 4 | lo;
        }
        (bad & INVALID == 0).then_some(Digest(out))
    }
}

/// Marks a byte that is no hex digit in [`HEX_VALUE`].
const INVALID: u8 = 0x10;

/// The value of each hex digit, [`INVALID`] for any other byte.
const HEX_VALUE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = match c as u8 {
            b @ b'0'..=b'9' => b - b'0',
            b @ b'a'..=b'f' => b - b'a' + 10,
            b @ b'A'..=b'F' => b - b'A' + 10,
            _ => INVALID,
        };
        c += 1;
    }
    t
};

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sha256:")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

/// Whether an image is in standard storage or in ECR's archive storage class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ImageStatus {
    #[default]
    Active,
    Archived,
    /// Being restored from the archive; treated like an archived image until it is active.
    Activating,
}

impl ImageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageStatus::Active => "ACTIVE",
            ImageStatus::Archived => "ARCHIVED",
            ImageStatus::Activating => "ACTIVATING",
        }
    }
}

/// Media types of manifests that list other manifests.
pub const INDEX_MEDIA_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// One image of a repository, with what lifecycle decisions need.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub digest: Digest,
    pub tags: Box<[Box<str>]>,
    pub pushed_at: Timestamp,
    pub last_pulled_at: Option<Timestamp>,
    pub size_bytes: Option<u64>,
    pub manifest_media_type: Option<Arc<str>>,
    pub artifact_media_type: Option<Arc<str>>,
    pub status: ImageStatus,
    /// When the image last moved to the archive (`lastArchivedAt`).
    pub archived_at: Option<Timestamp>,
    /// When the image was last restored from the archive (`lastActivatedAt`).
    pub activated_at: Option<Timestamp>,
    /// For an image index: the digests of the manifests it lists.
    pub children: Box<[Digest]>,
    /// For a referrer (signature, SBOM, attestation): the digest of its subject.
    pub subject: Option<Digest>,
    /// Every other member of the `imageDetail` object, as raw JSON, for `where` expressions.
    pub extra: Option<Box<str>>,
}

impl Image {
    /// A minimal active image (tests, generators, fixtures).
    pub fn new(digest: Digest, tags: &[&str], pushed_at: Timestamp) -> Image {
        Image {
            digest,
            tags: tags.iter().map(|t| Box::from(*t)).collect(),
            pushed_at,
            last_pulled_at: None,
            size_bytes: None,
            manifest_media_type: None,
            artifact_media_type: None,
            status: ImageStatus::Active,
            archived_at: None,
            activated_at: None,
            children: Box::new([]),
            subject: None,
            extra: None,
        }
    }

    pub fn is_tagged(&self) -> bool {
        !self.tags.is_empty()
    }

    /// Whether the image is an image index (a multi-architecture image).
    pub fn is_index(&self) -> bool {
        self.manifest_media_type
            .as_deref()
            .is_some_and(|m| INDEX_MEDIA_TYPES.contains(&m))
    }

    pub fn is_active(&self) -> bool {
        self.status == ImageStatus::Active
    }

    /// The time ECR ranks the image by in `imageCountMoreThan`: the restore time for a
    /// restored image, otherwise the push time.
    pub fn count_time(&self) -> Timestamp {
        self.activated_at.unwrap_or(self.pushed_at)
    }

    /// The last pull, or the push when the image was never pulled (ECR's rule for sinceImagePulled).
    pub fn pulled_or_pushed_at(&self) -> Timestamp {
        self.last_pulled_at.unwrap_or(self.pushed_at)
    }

    /// The image as a DescribeImages `imageDetail` object, with timestamps as the AWS CLI
    /// prints them (ISO 8601). This is the document `where` expressions see.
    pub fn to_detail_json(&self, repository: Option<&str>) -> serde_json::Value {
        use serde_json::{Map, Value};
        let mut m: Map<String, Value> = match &self.extra {
            Some(raw) => serde_json::from_str(raw).unwrap_or_default(),
            None => Map::new(),
        };
        if let Some(r) = repository {
            m.insert("repositoryName".into(), r.into());
        }
        m.insert("imageDigest".into(), self.digest.to_string().into());
        if !self.tags.is_empty() {
            let tags = self.tags.iter().map(|t| Value::from(&**t)).collect();
            m.insert("imageTags".into(), Value::Array(tags));
        }
        m.insert("imagePushedAt".into(), iso(self.pushed_at).into());
        if let Some(t) = self.last_pulled_at {
            m.insert("lastRecordedPullTime".into(), iso(t).into());
        }
        if let Some(s) = self.size_bytes {
            m.insert("imageSizeInBytes".into(), s.into());
        }
        if let Some(t) = &self.manifest_media_type {
            m.insert("imageManifestMediaType".into(), (&**t).into());
        }
        if let Some(t) = &self.artifact_media_type {
            m.insert("artifactMediaType".into(), (&**t).into());
        }
        m.insert("imageStatus".into(), self.status.as_str().into());
        if let Some(t) = self.archived_at {
            m.insert("lastArchivedAt".into(), iso(t).into());
        }
        if let Some(t) = self.activated_at {
            m.insert("lastActivatedAt".into(), iso(t).into());
        }
        if let Some(s) = self.subject {
            m.insert("subjectManifestDigest".into(), s.to_string().into());
        }
        if !self.children.is_empty() {
            let c = self.children.iter().map(|d| d.to_string().into()).collect();
            m.insert("childManifestDigests".into(), Value::Array(c));
        }
        Value::Object(m)
    }
}

/// A timestamp as the AWS CLI prints it.
pub fn iso(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.f%:z").to_string()
}

/// The images of one repository.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RepositoryImages {
    /// `None` when the file's image details carry no `repositoryName`.
    pub repository: Option<String>,
    pub images: Vec<Image>,
}

/// Why an images file was refused: a message and, where known, the 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagesError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for ImagesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.line, self.column, self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for ImagesError {}

impl ImagesError {
    /// A JSON error with its position kept apart from the message.
    pub fn from_json(e: serde_json::Error) -> ImagesError {
        let text = e.to_string();
        ImagesError {
            message: text.split(" at line ").next().unwrap_or("").to_string(),
            line: e.line(),
            column: e.column(),
        }
    }
}

/// Parses the output of `aws ecr describe-images --output json` (one page or several merged),
/// grouping the images by `repositoryName` in file order. Duplicate digests within a
/// repository are an error: ECR never reports one manifest twice.
pub fn parse_images_json(text: &str) -> Result<Vec<RepositoryImages>, ImagesError> {
    let file: ImagesFile = serde_json::from_str(text).map_err(ImagesError::from_json)?;
    check_groups(file.0)
}

/// Groups parsed details by repository, refusing a digest listed twice in one repository.
pub fn group_by_repository(
    details: Vec<(Option<String>, Image)>,
) -> Result<Vec<RepositoryImages>, ImagesError> {
    let mut grouper = Grouper::default();
    for (repo, image) in details {
        grouper.push(repo, image);
    }
    check_groups(grouper.groups)
}

/// Images into per-repository groups as they are read, so a million images are held once.
#[derive(Default)]
struct Grouper {
    groups: Vec<RepositoryImages>,
    index: BTreeMap<Option<String>, usize>,
}

impl Grouper {
    fn push(&mut self, repo: Option<String>, image: Image) {
        // Describe-images output lists a repository's images together: try the last group first.
        if let Some(last) = self.groups.last_mut()
            && last.repository == repo
        {
            last.images.push(image);
            return;
        }
        let groups = &mut self.groups;
        let i = *self.index.entry(repo.clone()).or_insert_with(|| {
            groups.push(RepositoryImages {
                repository: repo,
                images: Vec::new(),
            });
            groups.len() - 1
        });
        self.groups[i].images.push(image);
    }
}

fn check_groups(mut order: Vec<RepositoryImages>) -> Result<Vec<RepositoryImages>, ImagesError> {
    for group in &mut order {
        // Pushed one by one, each vector may hold up to twice its images: give that back.
        group.images.shrink_to_fit();
        let mut seen: Vec<Digest> = group.images.iter().map(|i| i.digest).collect();
        seen.sort_unstable();
        if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
            return Err(ImagesError {
                message: match group.repository.as_deref() {
                    Some(r) => format!("image `{}` is listed twice in repository `{r}`", w[0]),
                    None => format!(
                        "image `{}` is listed twice among the images that name no repository",
                        w[0]
                    ),
                },
                line: 0,
                column: 0,
            });
        }
    }
    Ok(order)
}

/// The images of a describe-images document, grouped as they are read.
struct ImagesFile(Vec<RepositoryImages>);

/// The `imageDetails` array, grouped as it is read.
struct Grouped(Vec<RepositoryImages>);

impl<'de> Deserialize<'de> for Grouped {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(GroupedVisitor)
    }
}

struct GroupedVisitor;

impl<'de> Visitor<'de> for GroupedVisitor {
    type Value = Grouped;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of image details")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Grouped, A::Error> {
        let mut grouper = Grouper::default();
        while let Some(d) = seq.next_element::<Detail>()? {
            grouper.push(d.repository, d.image);
        }
        Ok(Grouped(grouper.groups))
    }
}

impl<'de> Deserialize<'de> for ImagesFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ImagesFile;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"an object like {"imageDetails": [...]} (the output of `aws ecr describe-images`)"#)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ImagesFile, A::Error> {
                let mut details = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "imageDetails" {
                        details = Some(map.next_value::<Grouped>()?);
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                let details = details.ok_or_else(|| de::Error::missing_field("imageDetails"))?;
                Ok(ImagesFile(details.0))
            }
            // A bare array of image details is accepted too (`--query imageDetails`).
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ImagesFile, A::Error> {
                GroupedVisitor.visit_seq(seq).map(|g| ImagesFile(g.0))
            }
        }
        d.deserialize_any(V)
    }
}

/// One `imageDetail`, read member by member so unknown members are kept without a detour
/// through a generic map (this is the hot path for a million images).
pub struct Detail {
    pub repository: Option<String>,
    pub image: Image,
}

impl<'de> Deserialize<'de> for Detail {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(DetailVisitor)
    }
}

struct DetailVisitor;

impl<'de> Visitor<'de> for DetailVisitor {
    type Value = Detail;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an image detail object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Detail, A::Error> {
        let mut repository = None;
        let mut digest = None;
        let mut tags: Vec<Box<str>> = Vec::new();
        let mut pushed_at = None;
        let mut last_pulled_at = None;
        let mut size_bytes = None;
        let mut manifest_media_type = None;
        let mut artifact_media_type = None;
        let mut status = ImageStatus::Active;
        let mut archived_at = None;
        let mut activated_at = None;
        let mut children: Vec<Digest> = Vec::new();
        let mut subject = None;
        let mut extra: Vec<(String, Box<RawValue>)> = Vec::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match &*key {
                "repositoryName" => repository = map.next_value::<Option<String>>()?,
                "imageDigest" => digest = Some(map.next_value::<Digest>()?),
                "imageTags" => {
                    tags = map
                        .next_value::<Option<Vec<Box<str>>>>()?
                        .unwrap_or_default()
                }
                "imagePushedAt" => pushed_at = map.next_value::<Option<Time>>()?.map(|t| t.0),
                "lastRecordedPullTime" => {
                    last_pulled_at = map.next_value::<Option<Time>>()?.map(|t| t.0)
                }
                "imageSizeInBytes" => size_bytes = map.next_value::<Option<u64>>()?,
                "imageManifestMediaType" => {
                    manifest_media_type = map.next_value::<Option<String>>()?.map(intern)
                }
                "artifactMediaType" => {
                    artifact_media_type = map.next_value::<Option<String>>()?.map(intern)
                }
                "imageStatus" => {
                    let s = map.next_value::<Option<String>>()?;
                    status = match s.as_deref() {
                        None | Some("ACTIVE") => ImageStatus::Active,
                        Some("ARCHIVED") => ImageStatus::Archived,
                        Some("ACTIVATING") => ImageStatus::Activating,
                        Some(other) => {
                            return Err(de::Error::custom(format!(
                                "unknown imageStatus `{other}`: expected ACTIVE, ARCHIVED or ACTIVATING"
                            )));
                        }
                    }
                }
                "lastArchivedAt" => archived_at = map.next_value::<Option<Time>>()?.map(|t| t.0),
                "lastActivatedAt" => activated_at = map.next_value::<Option<Time>>()?.map(|t| t.0),
                "childManifestDigests" => {
                    children = map.next_value::<Option<Vec<Digest>>>()?.unwrap_or_default()
                }
                "subjectManifestDigest" => subject = map.next_value::<Option<Digest>>()?,
                _ => extra.push((key.into_owned(), map.next_value::<Box<RawValue>>()?)),
            }
        }
        let digest = digest.ok_or_else(|| de::Error::missing_field("imageDigest"))?;
        let pushed_at = pushed_at
            .ok_or_else(|| de::Error::custom(format!("image `{digest}` has no `imagePushedAt`")))?;
        let extra = (!extra.is_empty()).then(|| {
            let mut s = String::from("{");
            for (i, (k, v)) in extra.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                s.push_str(&serde_json::to_string(k).unwrap_or_default());
                s.push(':');
                s.push_str(v.get());
            }
            s.push('}');
            s.into_boxed_str()
        });
        Ok(Detail {
            repository,
            image: Image {
                digest,
                tags: tags.into_boxed_slice(),
                pushed_at,
                last_pulled_at,
                size_bytes,
                manifest_media_type,
                artifact_media_type,
                status,
                archived_at,
                activated_at,
                children: children.into_boxed_slice(),
                subject,
                extra,
            },
        })
    }
}

/// Media types repeat across every image: share one allocation per distinct value.
fn intern(s: String) -> Arc<str> {
    use std::cell::RefCell;
    thread_local! {
        static TABLE: RefCell<Vec<Arc<str>>> = const { RefCell::new(Vec::new()) };
    }
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        if let Some(found) = t.iter().find(|a| ***a == *s) {
            return found.clone();
        }
        let a: Arc<str> = Arc::from(s);
        if t.len() < 64 {
            t.push(a.clone());
        }
        a
    })
}

/// A timestamp as the AWS CLI and SDKs write it: an ISO 8601 string with an offset, or epoch
/// seconds as a JSON number (fractions kept exactly, never rounded through a float).
pub struct Time(pub Timestamp);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?;
        parse_time_text(raw.get())
            .map(Time)
            .map_err(de::Error::custom)
    }
}

/// Parses a JSON value's text as a timestamp: `"2024-05-01T12:00:00+00:00"` or `1714564800.5`.
pub fn parse_time_text(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return parse_timestamp(inner);
    }
    parse_epoch(text)
}

/// Parses an RFC 3339 / ISO 8601 timestamp with an offset (`Z` or `+00:00`).
pub fn parse_timestamp(s: &str) -> Result<Timestamp, String> {
    s.parse::<Timestamp>().map_err(|e| {
        format!("`{s}` is not a timestamp: {e} (expected RFC 3339, like 2024-05-01T12:00:00Z)")
    })
}

/// Parses decimal epoch seconds (`1714564800`, `1714564800.123456`) without floating point.
pub fn parse_epoch(s: &str) -> Result<Timestamp, String> {
    let bad = || format!("`{s}` is not a timestamp: expected epoch seconds or an ISO 8601 string");
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let secs: i64 = int.parse().map_err(|_| bad())?;
    let mut nanos: i32 = 0;
    for (i, b) in frac.bytes().take(9).enumerate() {
        nanos += i32::from(b - b'0') * 10i32.pow(8 - i as u32);
    }
    let (secs, nanos) = if neg { (-secs, -nanos) } else { (secs, nanos) };
    Timestamp::new(secs, nanos).map_err(|e| format!("`{s}` is out of range: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000001";

    #[test]
    fn digest_round_trips_and_rejects_other_forms() {
        let d: Digest = D1.parse().unwrap();
        assert_eq!(d.to_string(), D1);
        assert!("sha256:abc".parse::<Digest>().is_err());
        assert!("md5:0000".parse::<Digest>().is_err());
        assert!(D1.replace('1', "g").parse::<Digest>().is_err());
    }

    #[test]
    fn reads_both_timestamp_forms_exactly() {
        let a = parse_time_text("\"2024-05-01T12:00:00.25+00:00\"").unwrap();
        let b = parse_time_text("1714564800.25").unwrap();
        assert_eq!(a, b);
        // 17 significant digits would not survive an f64.
        let c = parse_time_text("1714564800.123456789").unwrap();
        assert_eq!(c.subsec_nanosecond(), 123_456_789);
        assert!(parse_time_text("12e3").is_err());
        assert!(parse_time_text("\"2024-05-01\"").is_err());
    }

    #[test]
    fn parses_describe_images_output() {
        let text = format!(
            r#"{{"imageDetails":[{{"registryId":"123456789012","repositoryName":"web","imageDigest":"{D1}",
            "imageTags":["v1","latest"],"imagePushedAt":"2024-05-01T12:00:00+00:00","imageSizeInBytes":42,
            "imageScanStatus":{{"status":"COMPLETE"}},"lastRecordedPullTime":1714564900}}]}}"#
        );
        let repos = parse_images_json(&text).unwrap();
        assert_eq!(repos.len(), 1);
        assert_eq!(repos[0].repository.as_deref(), Some("web"));
        let img = &repos[0].images[0];
        assert_eq!(&*img.tags, &[Box::from("v1"), Box::from("latest")]);
        assert_eq!(img.size_bytes, Some(42));
        let json = img.to_detail_json(Some("web"));
        assert_eq!(json["imageScanStatus"]["status"], "COMPLETE");
        assert_eq!(json["registryId"], "123456789012");
        assert_eq!(json["imagePushedAt"], "2024-05-01T12:00:00+00:00");
    }

    #[test]
    fn reports_position_of_bad_input() {
        let err =
            parse_images_json("{\"imageDetails\": [\n {\"imageDigest\": \"nope\"}]}").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("not an image digest"), "{err}");
        let dup = format!(
            r#"{{"imageDetails":[{{"imageDigest":"{D1}","imagePushedAt":1}},{{"imageDigest":"{D1}","imagePushedAt":2}}]}}"#
        );
        assert_eq!(
            parse_images_json(&dup).unwrap_err().message,
            format!("image `{D1}` is listed twice among the images that name no repository")
        );
        let named = dup.replace(
            "{\"imageDigest\"",
            "{\"repositoryName\":\"web\",\"imageDigest\"",
        );
        assert_eq!(
            parse_images_json(&named).unwrap_err().message,
            format!("image `{D1}` is listed twice in repository `web`")
        );
    }
}
