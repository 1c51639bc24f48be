//! A registry kept in a snapshot file. Changes rewrite the file atomically (write a sibling,
//! then rename), so a crash never leaves half a snapshot.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ecr_lifecycle_compiler::image::{Digest, ImageStatus};

use crate::registry::{
    ArchiveOutcome, DeleteOutcome, ErrorKind, ImageFailure, Registry, RegistryError, TagFailure,
    TagId, UntagOutcome, check_batch_size,
};
use crate::snapshot::{RepositoryState, SNAPSHOT_HINT, Snapshot};

pub struct FileRegistry {
    path: PathBuf,
    state: Mutex<Snapshot>,
}

impl FileRegistry {
    /// The snapshot file, as it was named.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn open(path: &Path) -> Result<FileRegistry, String> {
        if path.as_os_str().is_empty() {
            return Err(
                "`file:` names no snapshot file\n  hint: write `--registry file:PATH`, where PATH is a file `ecr-lifecycle snapshot -o PATH` wrote".into(),
            );
        }
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "{}: no such snapshot file\n  hint: write one with `ecr-lifecycle snapshot -o {}`",
                path.display(),
                path.display()
            ),
            std::io::ErrorKind::InvalidData => format!(
                "{}: not UTF-8 text, so not a snapshot\n  hint: {SNAPSHOT_HINT}",
                path.display()
            ),
            _ => format!("{}: cannot read: {e}", path.display()),
        })?;
        let snapshot = Snapshot::parse(&text).map_err(|e| {
            let at = if e.line > 0 {
                format!(":{}:{}", e.line, e.column)
            } else {
                String::new()
            };
            format!("{}{at}: {}\n  hint: {}", path.display(), e.message, e.hint)
        })?;
        Ok(FileRegistry {
            path: path.to_path_buf(),
            state: Mutex::new(snapshot),
        })
    }

    fn with_repo<T>(
        &self,
        operation: &'static str,
        name: &str,
        f: impl FnOnce(&mut RepositoryState) -> T,
    ) -> Result<T, RegistryError> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let repo = state
            .repositories
            .iter_mut()
            .find(|r| r.name == name)
            .ok_or_else(|| not_found(operation, name))?;
        Ok(f(repo))
    }

    fn save(&self, operation: &'static str, repository: &str) -> Result<(), RegistryError> {
        let text = self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .to_json();
        write_atomically(&self.path, &text).map_err(|e| {
            RegistryError::new(
                operation,
                Some(repository),
                ErrorKind::Other,
                format!("cannot write {}: {e}", self.path.display()),
            )
        })
    }
}

fn not_found(operation: &'static str, name: &str) -> RegistryError {
    RegistryError::new(
        operation,
        Some(name),
        ErrorKind::NotFound,
        "the repository does not exist in the snapshot",
    )
}

/// Writes `text` to a temporary sibling and renames it over `path`.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    write_atomically_with(path, |out| out.write_all(text.as_bytes()))
}

/// [`write_atomically`], with the content written by `write` into a buffered file.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|file| {
        let mut out = std::io::BufWriter::new(file);
        write(&mut out)?;
        out.into_inner()
            .map_err(std::io::IntoInnerError::into_error)?
            .sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

impl Registry for FileRegistry {
    async fn list_repositories(&self) -> Result<Vec<String>, RegistryError> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        Ok(state.repositories.iter().map(|r| r.name.clone()).collect())
    }

    async fn read_repository(&self, name: &str) -> Result<RepositoryState, RegistryError> {
        self.with_repo("DescribeImages", name, |r| r.clone())
    }

    async fn put_lifecycle_policy(
        &self,
        repository: &str,
        text: &str,
    ) -> Result<(), RegistryError> {
        self.with_repo("PutLifecyclePolicy", repository, |r| {
            r.lifecycle_policy = Some(text.to_string());
        })?;
        self.save("PutLifecyclePolicy", repository)
    }

    async fn delete_lifecycle_policy(&self, repository: &str) -> Result<(), RegistryError> {
        let existed = self.with_repo("DeleteLifecyclePolicy", repository, |r| {
            r.lifecycle_policy.take().is_some()
        })?;
        if !existed {
            return Err(RegistryError::new(
                "DeleteLifecyclePolicy",
                Some(repository),
                ErrorKind::NotFound,
                "the repository has no lifecycle policy",
            ));
        }
        self.save("DeleteLifecyclePolicy", repository)
    }

    async fn batch_delete(
        &self,
        repository: &str,
        digests: &[Digest],
    ) -> Result<DeleteOutcome, RegistryError> {
        check_batch_size(repository, digests.len())?;
        let outcome = self.with_repo("BatchDeleteImage", repository, |r| {
            let mut out = DeleteOutcome::default();
            for d in digests {
                // As ECR: an image a remaining index lists cannot be deleted.
                let referenced = r
                    .images
                    .iter()
                    .any(|i| !digests.contains(&i.digest) && i.children.contains(d));
                match r.images.iter().position(|i| i.digest == *d) {
                    None => out.failures.push(ImageFailure {
                        digest: *d,
                        code: "ImageNotFound".into(),
                        reason: "Requested image not found".into(),
                    }),
                    Some(_) if referenced => out.failures.push(ImageFailure {
                        digest: *d,
                        code: "ImageReferencedByManifestList".into(),
                        reason: "Requested image is referenced by an image index".into(),
                    }),
                    Some(pos) => {
                        r.images.remove(pos);
                        out.deleted.push(*d);
                    }
                }
            }
            // As ECR: referrers (signatures, SBOMs) go with their subject.
            let mut gone: Vec<Digest> = out.deleted.clone();
            while let Some(subject) = gone.pop() {
                let (referrers, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut r.images)
                    .into_iter()
                    .partition(|i| i.subject == Some(subject));
                r.images = rest;
                gone.extend(referrers.iter().map(|i| i.digest));
            }
            out
        })?;
        if !outcome.deleted.is_empty() {
            self.save("BatchDeleteImage", repository)?;
        }
        Ok(outcome)
    }

    async fn batch_untag(
        &self,
        repository: &str,
        ids: &[TagId],
    ) -> Result<UntagOutcome, RegistryError> {
        check_batch_size(repository, ids.len())?;
        let outcome = self.with_repo("BatchDeleteImage", repository, |r| {
            let mut out = UntagOutcome::default();
            for id in ids {
                let holder = r
                    .images
                    .iter()
                    .position(|i| i.tags.iter().any(|t| **t == *id.tag));
                let fail = |code: &str, reason: &str| TagFailure {
                    id: id.clone(),
                    code: code.into(),
                    reason: reason.into(),
                };
                match holder {
                    None => out
                        .failures
                        .push(fail("ImageNotFound", "Requested image not found")),
                    // As ECR: the tag names another image now.
                    Some(pos) if r.images[pos].digest != id.digest => out.failures.push(fail(
                        "ImageTagDoesNotMatchDigest",
                        "Invalid request parameters: given tag does not map to the given digest",
                    )),
                    Some(pos) => {
                        let image = &mut r.images[pos];
                        image.tags = image
                            .tags
                            .iter()
                            .filter(|t| ***t != *id.tag)
                            .cloned()
                            .collect();
                        // As ECR: an image goes with its last tag.
                        if image.tags.is_empty() {
                            r.images.remove(pos);
                        }
                        out.removed.push(id.clone());
                    }
                }
            }
            out
        })?;
        if !outcome.removed.is_empty() {
            self.save("BatchDeleteImage", repository)?;
        }
        Ok(outcome)
    }

    async fn archive_images(
        &self,
        repository: &str,
        digests: &[Digest],
        now: jiff::Timestamp,
    ) -> ArchiveOutcome {
        let result = self.with_repo("UpdateImageStorageClass", repository, |r| {
            let mut out = ArchiveOutcome::default();
            for d in digests {
                match r.images.iter_mut().find(|i| i.digest == *d) {
                    None => out.failures.push(ImageFailure {
                        digest: *d,
                        code: "ImageNotFound".into(),
                        reason: "Requested image not found".into(),
                    }),
                    Some(i) if i.status != ImageStatus::Active => out.failures.push(ImageFailure {
                        digest: *d,
                        code: "ImageStorageClassUpdateNotSupported".into(),
                        reason: format!("the image is {}, not ACTIVE", i.status.as_str()),
                    }),
                    Some(i) => {
                        i.status = ImageStatus::Archived;
                        i.archived_at = Some(now);
                        out.archived.push(*d);
                    }
                }
            }
            out
        });
        let failed = |e: RegistryError| ArchiveOutcome {
            archived: Vec::new(),
            failures: digests
                .iter()
                .map(|d| ImageFailure {
                    digest: *d,
                    code: format!("{:?}", e.kind),
                    reason: e.to_string(),
                })
                .collect(),
        };
        match result {
            Ok(out) if out.archived.is_empty() => out,
            Ok(out) => match self.save("UpdateImageStorageClass", repository) {
                Ok(()) => out,
                Err(e) => failed(e),
            },
            Err(e) => failed(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As ECR: a tag leaves only the image it names, an image goes with its last tag, and a
    /// tag that names another image now is refused with ImageTagDoesNotMatchDigest.
    #[test]
    fn a_tag_is_removed_only_from_the_image_it_names() {
        let digest = |n: u8| format!("sha256:{n:064x}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.json");
        let snapshot = serde_json::json!({"repositories": [{"repositoryName": "web", "lifecyclePolicy": null, "imageDetails": [
            {"imageDigest": digest(1), "imageTags": ["main", "pr-1"], "imagePushedAt": "2026-01-01T00:00:00Z"},
            {"imageDigest": digest(2), "imageTags": ["pr-2"], "imagePushedAt": "2026-01-01T00:00:00Z"},
        ]}]});
        std::fs::write(&path, snapshot.to_string()).unwrap();
        let registry = FileRegistry::open(&path).unwrap();
        let id = |n: u8, tag: &str| TagId {
            digest: digest(n).parse().unwrap(),
            tag: tag.into(),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let outcome = rt
            .block_on(registry.batch_untag(
                "web",
                &[id(1, "pr-2"), id(1, "pr-9"), id(1, "pr-1"), id(2, "pr-2")],
            ))
            .unwrap();
        assert_eq!(outcome.removed, [id(1, "pr-1"), id(2, "pr-2")]);
        let codes: Vec<(&str, bool)> = outcome
            .failures
            .iter()
            .map(|f| (f.code.as_str(), f.moved()))
            .collect();
        assert_eq!(
            codes,
            [
                ("ImageTagDoesNotMatchDigest", true),
                ("ImageNotFound", false)
            ]
        );
        // Saved: the first image keeps `main`, the second went with its last tag.
        let after = rt
            .block_on(FileRegistry::open(&path).unwrap().read_repository("web"))
            .unwrap();
        let tags: Vec<(String, Vec<String>)> = after
            .images
            .iter()
            .map(|i| {
                (
                    i.digest.to_string(),
                    i.tags.iter().map(|t| t.to_string()).collect(),
                )
            })
            .collect();
        assert_eq!(tags, [(digest(1), vec!["main".to_string()])]);
        let too_many: Vec<TagId> = (0..101).map(|n| id(1, &format!("t{n}"))).collect();
        assert!(rt.block_on(registry.batch_untag("web", &too_many)).is_err());
    }
}
