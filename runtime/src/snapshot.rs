//! The snapshot file: a registry's state as JSON, for offline plans, reviews, demos and tests.
//!
//! ```json
//! {"repositories": [{"repositoryName": "web", "lifecyclePolicy": {"rules": [...]} | null,
//!                    "imageDetails": [ ...as `aws ecr describe-images` prints them... ]}]}
//! ```

use std::fmt;

use ecr_lifecycle_compiler::image::{Detail, Image, ImagesError};
use serde::Deserialize;
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

impl Snapshot {
    /// Reads a snapshot file's text; errors carry the line and column.
    pub fn parse(text: &str) -> Result<Snapshot, ImagesError> {
        let file: SnapshotFile = serde_json::from_str(text).map_err(ImagesError::from_json)?;
        let mut repositories = Vec::new();
        for r in file.repositories {
            let mut images = Vec::with_capacity(r.image_details.len());
            for d in r.image_details {
                images.push(d.image);
            }
            let grouped = ecr_lifecycle_compiler::image::group_by_repository(
                images.into_iter().map(|i| (None, i)).collect(),
            )
            .map_err(|e| ImagesError {
                message: format!("repository `{}`: {}", r.repository_name, e.message),
                ..e
            })?;
            let policy = match r.lifecycle_policy {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s),
                Some(v) => Some(serde_json::to_string(&v).unwrap_or_default()),
            };
            repositories.push(RepositoryState {
                name: r.repository_name,
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
            return Err(ImagesError {
                message: format!("repository `{}` is listed twice", w[0].name),
                line: 0,
                column: 0,
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RepoEntry {
    repository_name: String,
    #[serde(default)]
    lifecycle_policy: Option<Value>,
    #[serde(default)]
    image_details: Vec<Detail>,
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}
