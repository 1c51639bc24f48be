//! The snapshot file: a registry's state as JSON, for offline plans, reviews, demos and tests.
//!
//! ```json
//! {"repositories": [{"repositoryName": "web", "lifecyclePolicy": {"rules": [...]} | null,
//!                    "imageDetails": [ ...as `aws ecr describe-images` prints them... ]}]}
//! ```

use std::collections::HashSet;
use std::fmt;

use ecr_lifecycle_compiler::image::{Detail, Image};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// One repository as the registry holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryState {
    pub name: String,
    /// The applied lifecycle policy text, as ECR returns it.
    pub lifecycle_policy: Option<String>,
    pub images: Vec<Image>,
}

/// A whole snapshot, repositories sorted by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    pub repositories: Vec<RepositoryState>,
}

/// Why a file is not a snapshot: the message, its position (line 0: none), and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError {
    pub message: String,
    pub line: usize,
    pub column: usize,
    pub hint: String,
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: ", self.line, self.column)?;
        }
        f.write_str(&self.message)
    }
}

/// What to do about a file that is not a snapshot, when nothing more particular applies.
pub const SNAPSHOT_HINT: &str = "a snapshot is the JSON file that `ecr-lifecycle snapshot -o FILE` writes: {\"repositories\": [{\"repositoryName\": …, \"lifecyclePolicy\": … or null, \"imageDetails\": [ …as `aws ecr describe-images` prints them… ]}]}";

impl SnapshotError {
    fn at(e: &serde_json::Error, message: String, hint: impl Into<String>) -> SnapshotError {
        SnapshotError {
            message,
            line: e.line(),
            column: e.column(),
            hint: hint.into(),
        }
    }

    /// A file that does not read as a snapshot: said as what it is, where that can be told.
    fn of(e: serde_json::Error, text: &str) -> SnapshotError {
        let text_of = e.to_string();
        let message = text_of.split(" at line ").next().unwrap_or("").to_string();
        if e.is_syntax() || e.is_eof() {
            let head = text.trim_start();
            let hint = if head.starts_with("version:")
                || head.starts_with('#')
                || head.contains("\nrules:")
            {
                "this looks like a policy file: give policy files as arguments, and a snapshot as `--registry file:PATH`".to_string()
            } else {
                SNAPSHOT_HINT.to_string()
            };
            return SnapshotError::at(&e, format!("not JSON: {message}"), hint);
        }
        if serde_json::from_str::<DescribeImagesOutput>(text).is_ok() {
            return SnapshotError {
                message: "this is the output of `aws ecr describe-images`, not a snapshot".into(),
                line: 0,
                column: 0,
                hint: "a snapshot names each repository with its images and lifecycle policy: wrap the output as {\"repositories\": [{\"repositoryName\": \"NAME\", \"lifecyclePolicy\": null, \"imageDetails\": [ …its imageDetails… ]}]}, or write one from the registry with `ecr-lifecycle snapshot -o FILE`; `evaluate` and `simulate` read describe-images output as it is (`--images FILE`)".into(),
            };
        }
        if serde_json::from_str::<DescribeRepositoriesOutput>(text).is_ok() {
            return SnapshotError {
                message: "this is the output of `aws ecr describe-repositories`, not a snapshot: it has no images".into(),
                line: 0,
                column: 0,
                hint: "write a snapshot from the registry with `ecr-lifecycle snapshot -o FILE`".into(),
            };
        }
        if message.contains(" is listed twice in ") {
            return SnapshotError::at(
                &e,
                message,
                "ECR lists each image of a repository once: remove one of the two entries",
            );
        }
        SnapshotError::at(&e, message, SNAPSHOT_HINT)
    }
}

/// `aws ecr describe-images` output: `{"imageDetails": [...]}` or the bare array.
#[derive(Deserialize)]
#[serde(untagged)]
enum DescribeImagesOutput {
    Document {
        #[serde(rename = "imageDetails")]
        _image_details: Vec<IgnoredAny>,
    },
    Details(
        #[allow(dead_code, reason = "read only to recognise the shape")] Vec<DescribeImagesDetail>,
    ),
}

#[derive(Deserialize)]
struct DescribeImagesDetail {
    #[serde(rename = "imageDigest")]
    _image_digest: IgnoredAny,
}

/// `aws ecr describe-repositories` output: repositories with an ARN and no images.
#[derive(Deserialize)]
struct DescribeRepositoriesOutput {
    #[serde(rename = "repositories")]
    _repositories: Vec<DescribedRepository>,
}

#[derive(Deserialize)]
struct DescribedRepository {
    #[serde(rename = "repositoryArn")]
    _repository_arn: IgnoredAny,
}

impl Snapshot {
    /// Reads a snapshot file's text; errors carry the line and column where there is one.
    pub fn parse(text: &str) -> Result<Snapshot, SnapshotError> {
        let file: SnapshotFile =
            serde_json::from_str(text).map_err(|e| SnapshotError::of(e, text))?;
        let mut repositories = Vec::new();
        for r in file.repositories {
            let name = r.repository_name;
            let grouped = ecr_lifecycle_compiler::image::group_by_repository(
                r.image_details
                    .into_iter()
                    .map(|d| (Some(name.clone()), d.image))
                    .collect(),
            )
            .map_err(|e| SnapshotError {
                message: e.message,
                line: e.line,
                column: e.column,
                hint: SNAPSHOT_HINT.into(),
            })?;
            let policy = match r.lifecycle_policy {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s),
                Some(v) => Some(serde_json::to_string(&v).unwrap_or_default()),
            };
            repositories.push(RepositoryState {
                name,
                lifecycle_policy: policy,
                images: grouped
                    .into_iter()
                    .next()
                    .map(|g| g.images)
                    .unwrap_or_default(),
            });
        }
        repositories.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(w) = repositories.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(SnapshotError {
                message: format!("repository `{}` is listed twice", w[0].name),
                line: 0,
                column: 0,
                hint: "list each repository once, with all its images".into(),
            });
        }
        Ok(Snapshot { repositories })
    }

    /// The snapshot as stable, pretty JSON (images newest first, then by digest).
    pub fn to_json(&self) -> String {
        let repos: Vec<Value> = self
            .repositories
            .iter()
            .map(|r| {
                let mut images: Vec<&Image> = r.images.iter().collect();
                images.sort_by(|a, b| b.pushed_at.cmp(&a.pushed_at).then(a.digest.cmp(&b.digest)));
                let policy = r
                    .lifecycle_policy
                    .as_deref()
                    .map(|t| serde_json::from_str::<Value>(t).unwrap_or_else(|_| Value::String(t.to_string())))
                    .unwrap_or(Value::Null);
                serde_json::json!({
                    "repositoryName": r.name,
                    "lifecyclePolicy": policy,
                    "imageDetails": images.iter().map(|i| i.to_detail_json(None)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut s = serde_json::to_string_pretty(&serde_json::json!({ "repositories": repos }))
            .unwrap_or_default();
        s.push('\n');
        s
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotFile {
    repositories: Vec<RepoEntry>,
}

/// One repository of the file. Read member by member so that an image listed twice is refused
/// where it stands, naming the repository when `repositoryName` came first (as `snapshot`
/// writes it).
struct RepoEntry {
    repository_name: String,
    lifecycle_policy: Option<Value>,
    image_details: Vec<Detail>,
}

const REPO_FIELDS: &[&str] = &["repositoryName", "lifecyclePolicy", "imageDetails"];

impl<'de> Deserialize<'de> for RepoEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RepoEntryVisitor)
    }
}

struct RepoEntryVisitor;

impl<'de> Visitor<'de> for RepoEntryVisitor {
    type Value = RepoEntry;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a repository object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RepoEntry, A::Error> {
        let mut name: Option<String> = None;
        // `lifecyclePolicy` may be present and null; a second one is refused either way.
        let (mut policy_seen, mut policy): (bool, Option<Value>) = (false, None);
        let mut details: Option<Vec<Detail>> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "repositoryName" if name.is_some() => {
                    return Err(de::Error::duplicate_field("repositoryName"));
                }
                "repositoryName" => name = Some(map.next_value()?),
                "lifecyclePolicy" if policy_seen => {
                    return Err(de::Error::duplicate_field("lifecyclePolicy"));
                }
                "lifecyclePolicy" => {
                    policy_seen = true;
                    policy = map.next_value()?;
                }
                "imageDetails" if details.is_some() => {
                    return Err(de::Error::duplicate_field("imageDetails"));
                }
                "imageDetails" => {
                    details = Some(map.next_value_seed(DetailsSeed {
                        repository: name.as_deref(),
                    })?)
                }
                other => return Err(de::Error::unknown_field(other, REPO_FIELDS)),
            }
        }
        Ok(RepoEntry {
            repository_name: name.ok_or_else(|| de::Error::missing_field("repositoryName"))?,
            lifecycle_policy: policy,
            image_details: details.unwrap_or_default(),
        })
    }
}

/// A repository's `imageDetails`, refusing a digest listed twice (ECR never lists one
/// manifest twice) at the place it is listed again.
struct DetailsSeed<'a> {
    repository: Option<&'a str>,
}

impl<'de> DeserializeSeed<'de> for DetailsSeed<'_> {
    type Value = Vec<Detail>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Detail>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for DetailsSeed<'_> {
    type Value = Vec<Detail>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of image details")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Detail>, A::Error> {
        let mut details = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        let mut seen = HashSet::new();
        while let Some(detail) = seq.next_element_seed(UniqueDetail {
            repository: self.repository,
            seen: &mut seen,
        })? {
            details.push(detail);
        }
        Ok(details)
    }
}

/// One image detail whose digest has not been listed before in the repository. The check runs
/// inside the detail's own object, so the error's position is where the repeated image ends.
struct UniqueDetail<'a, 'b> {
    repository: Option<&'a str>,
    seen: &'b mut HashSet<ecr_lifecycle_compiler::image::Digest>,
}

impl<'de> DeserializeSeed<'de> for UniqueDetail<'_, '_> {
    type Value = Detail;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Detail, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for UniqueDetail<'_, '_> {
    type Value = Detail;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an image detail object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Detail, A::Error> {
        let detail = Detail::deserialize(de::value::MapAccessDeserializer::new(map))?;
        if !self.seen.insert(detail.image.digest) {
            let place = match self.repository {
                Some(r) => format!("repository `{r}`"),
                None => "this repository".into(),
            };
            return Err(de::Error::custom(format!(
                "image `{}` is listed twice in {place}",
                detail.image.digest
            )));
        }
        Ok(detail)
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_member_given_twice_is_refused_even_when_null() {
        let doc = |policy: &str| {
            format!(
                r#"{{"repositories": [{{"repositoryName": "web", {policy}, "imageDetails": []}}]}}"#
            )
        };
        for twice in [
            r#""lifecyclePolicy": null, "lifecyclePolicy": null"#,
            r#""lifecyclePolicy": null, "lifecyclePolicy": "{}""#,
        ] {
            let err = Snapshot::parse(&doc(twice)).err().map(|e| e.message);
            assert!(
                err.as_deref()
                    .is_some_and(|m| m.contains("duplicate field `lifecyclePolicy`")),
                "{twice}: {err:?}"
            );
        }
        let once = Snapshot::parse(&doc(r#""lifecyclePolicy": null"#));
        assert!(once.is_ok(), "{:?}", once.err().map(|e| e.message));
    }
}
