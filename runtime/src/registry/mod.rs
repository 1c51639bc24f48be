//! Where repositories, images and lifecycle policies live: Amazon ECR (or any ECR-compatible
//! endpoint) through the AWS SDK, or a snapshot file.

pub mod ecr;
pub mod ecr_public;
pub mod file;
mod throttles;

use std::fmt;

use ecr_lifecycle_compiler::image::Digest;

use crate::snapshot::RepositoryState;

/// What one BatchDeleteImage round achieved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOutcome {
    pub deleted: Vec<Digest>,
    pub failures: Vec<ImageFailure>,
}

/// One tag of one image, as BatchDeleteImage names it with both `imageDigest` and `imageTag`:
/// ECR removes the tag only while it still names that image.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct TagId {
    pub digest: Digest,
    pub tag: String,
}

/// What one BatchDeleteImage round of tag removals achieved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UntagOutcome {
    /// Tags removed (an image that lost its last one is gone).
    pub removed: Vec<TagId>,
    pub failures: Vec<TagFailure>,
}

/// A tag removal ECR refused: a `failures[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TagFailure {
    pub id: TagId,
    pub code: String,
    pub reason: String,
}

impl TagFailure {
    /// The tag names another image now (moved since the plan): not removed, and not an error.
    pub fn moved(&self) -> bool {
        self.code == "ImageTagDoesNotMatchDigest"
    }
}

impl DeleteOutcome {
    /// A BatchDeleteImage answer, as ECR's or ECR Public's SDK reads it: the digests of the
    /// ids it lists as deleted (each once: an image may be listed by digest and by tag), and
    /// each failure that names a digest, as `(digest, code, reason)`.
    pub(crate) fn from_answer<'a>(
        deleted: impl IntoIterator<Item = Option<&'a str>>,
        failures: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>, Option<&'a str>)>,
    ) -> DeleteOutcome {
        let mut outcome = DeleteOutcome::default();
        for d in deleted.into_iter().flatten() {
            if let Ok(d) = d.parse::<Digest>()
                && !outcome.deleted.contains(&d)
            {
                outcome.deleted.push(d);
            }
        }
        for (digest, code, reason) in failures {
            let Some(digest) = digest.and_then(|d| d.parse().ok()) else {
                continue;
            };
            outcome.failures.push(ImageFailure {
                digest,
                code: code.unwrap_or_default().to_string(),
                reason: reason.unwrap_or_default().to_string(),
            });
        }
        outcome
    }
}

/// At most 100 image ids in one BatchDeleteImage call, as ECR allows.
pub(crate) fn check_batch_size(repository: &str, ids: usize) -> Result<(), RegistryError> {
    if ids > 100 {
        return Err(RegistryError::new(
            "BatchDeleteImage",
            Some(repository),
            ErrorKind::Invalid,
            format!("{ids} image ids in one call; ECR allows at most 100"),
        ));
    }
    Ok(())
}

/// What archiving a set of images achieved (UpdateImageStorageClass, one image a call).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveOutcome {
    pub archived: Vec<Digest>,
    pub failures: Vec<ImageFailure>,
}

/// An image a call could not act on: a `failures[]` entry of BatchDeleteImage, or an
/// UpdateImageStorageClass that failed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImageFailure {
    pub digest: Digest,
    pub code: String,
    pub reason: String,
}

impl ImageFailure {
    /// ECR refuses to delete an image a live manifest list references: not an error, the
    /// image stays until its index goes.
    pub fn is_referenced_by_index(&self) -> bool {
        self.code == "ImageReferencedByManifestList"
    }
}

/// A failed registry call, with the operation and repository it concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    pub operation: &'static str,
    pub repository: Option<String>,
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    NotFound,
    AccessDenied,
    Credentials,
    Unreachable,
    Throttled,
    Invalid,
    Other,
}

impl RegistryError {
    pub fn new(
        operation: &'static str,
        repository: Option<&str>,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> Self {
        RegistryError {
            operation,
            repository: repository.map(str::to_string),
            kind,
            message: message.into(),
        }
    }

    /// DescribeImages gave an image this tool cannot read (no digest, or no push time).
    pub(crate) fn unreadable_image(repository: &str, digest: Option<&str>) -> Self {
        RegistryError::new(
            "DescribeImages",
            Some(repository),
            ErrorKind::Other,
            format!(
                "an image came back without a valid digest or push time ({})",
                digest.unwrap_or("no digest")
            ),
        )
    }

    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self.kind {
            ErrorKind::NotFound => {
                "check the repository name and the region (--region or AWS_REGION)"
            }
            ErrorKind::AccessDenied => {
                "the principal needs ECR permissions on this repository; see `ecr-lifecycle iam-policy`"
            }
            ErrorKind::Credentials => {
                "configure AWS credentials (AWS_PROFILE / --profile, environment variables, or SSO: `aws sso login`)"
            }
            ErrorKind::Unreachable => {
                "check the network, the region and AWS_ENDPOINT_URL / --endpoint-url"
            }
            ErrorKind::Throttled => {
                "ECR kept throttling after several retries; run again later or lower --concurrency"
            }
            ErrorKind::Invalid => {
                "the request was refused as invalid; this is likely a bug worth reporting"
            }
            ErrorKind::Other => "run again; if it persists, check the AWS Health Dashboard",
        }
    }
}

/// In JSON reports: the failed call, what kind of failure, and what to do.
impl serde::Serialize for RegistryError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct View<'a> {
            operation: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            repository: Option<&'a str>,
            kind: ErrorKind,
            message: &'a str,
            hint: &'a str,
        }
        View {
            operation: self.operation,
            repository: self.repository.as_deref(),
            kind: self.kind,
            message: &self.message,
            hint: self.hint(),
        }
        .serialize(s)
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repository {
            Some(r) => write!(
                f,
                "{} on repository `{r}` failed: {}",
                self.operation, self.message
            ),
            None => write!(f, "{} failed: {}", self.operation, self.message),
        }
    }
}

impl std::error::Error for RegistryError {}

/// The operations plan and apply need.
pub trait Registry: Send + Sync {
    /// Repository names, sorted.
    fn list_repositories(&self) -> impl Future<Output = Result<Vec<String>, RegistryError>> + Send;

    /// One repository's images (every status, index children known) and lifecycle policy.
    fn read_repository(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<RepositoryState, RegistryError>> + Send;

    fn put_lifecycle_policy(
        &self,
        repository: &str,
        text: &str,
    ) -> impl Future<Output = Result<(), RegistryError>> + Send;

    fn delete_lifecycle_policy(
        &self,
        repository: &str,
    ) -> impl Future<Output = Result<(), RegistryError>> + Send;

    /// Deletes up to 100 images by digest in one call.
    fn batch_delete(
        &self,
        repository: &str,
        digests: &[Digest],
    ) -> impl Future<Output = Result<DeleteOutcome, RegistryError>> + Send;

    /// Removes up to 100 tags in one call, each from the image it names (BatchDeleteImage with
    /// `imageDigest` and `imageTag`): a tag that names another image now stays.
    fn batch_untag(
        &self,
        repository: &str,
        ids: &[TagId],
    ) -> impl Future<Output = Result<UntagOutcome, RegistryError>> + Send;

    /// The registry as image references name it (see [`crate::in_use::RegistryHost`]).
    fn host(&self) -> crate::in_use::RegistryHost {
        crate::in_use::RegistryHost::default()
    }

    /// Moves images to the archive storage class. Each image is its own call, so a failure is
    /// reported per image; `now` is the archive time a snapshot file records.
    fn archive_images(
        &self,
        repository: &str,
        digests: &[Digest],
        now: jiff::Timestamp,
    ) -> impl Future<Output = ArchiveOutcome> + Send;
}

/// Either backend, chosen on the command line.
pub enum AnyRegistry {
    Ecr(ecr::EcrRegistry),
    EcrPublic(ecr_public::EcrPublicRegistry),
    File(file::FileRegistry),
}

impl AnyRegistry {
    /// What a plan records about where it was made, and apply checks:
    /// Where this registry is, as a plan records it: `ecr:ACCOUNT:REGION[@ENDPOINT]`, or
    /// `file:PATH` with the path as given.
    pub fn identity(&self) -> crate::plan::RegistryId {
        match self {
            AnyRegistry::Ecr(r) => r.identity(),
            AnyRegistry::EcrPublic(r) => r.identity(),
            AnyRegistry::File(f) => crate::plan::RegistryId::File(f.path().display().to_string()),
        }
    }

    /// The pace of reads: ECR's adapts to throttling; a snapshot file never throttles.
    pub fn pace(&self) -> std::sync::Arc<crate::pace::Pace> {
        match self {
            AnyRegistry::Ecr(r) => r.pace(),
            AnyRegistry::EcrPublic(r) => r.pace(),
            AnyRegistry::File(_) => std::sync::Arc::default(),
        }
    }
}

impl Registry for AnyRegistry {
    /// A snapshot file does not say which account and region it was taken from, so any
    /// private ECR host is taken for it.
    fn host(&self) -> crate::in_use::RegistryHost {
        match self {
            AnyRegistry::Ecr(r) => r.ecr_host(),
            AnyRegistry::EcrPublic(r) => r.public_host(),
            AnyRegistry::File(_) => crate::in_use::RegistryHost::default(),
        }
    }

    async fn list_repositories(&self) -> Result<Vec<String>, RegistryError> {
        match self {
            AnyRegistry::Ecr(r) => r.list_repositories().await,
            AnyRegistry::EcrPublic(r) => r.list_repositories().await,
            AnyRegistry::File(r) => r.list_repositories().await,
        }
    }

    async fn read_repository(&self, name: &str) -> Result<RepositoryState, RegistryError> {
        match self {
            AnyRegistry::Ecr(r) => r.read_repository(name).await,
            AnyRegistry::EcrPublic(r) => r.read_repository(name).await,
            AnyRegistry::File(r) => r.read_repository(name).await,
        }
    }

    async fn put_lifecycle_policy(
        &self,
        repository: &str,
        text: &str,
    ) -> Result<(), RegistryError> {
        match self {
            AnyRegistry::Ecr(r) => r.put_lifecycle_policy(repository, text).await,
            AnyRegistry::EcrPublic(r) => r.put_lifecycle_policy(repository, text).await,
            AnyRegistry::File(r) => r.put_lifecycle_policy(repository, text).await,
        }
    }

    async fn delete_lifecycle_policy(&self, repository: &str) -> Result<(), RegistryError> {
        match self {
            AnyRegistry::Ecr(r) => r.delete_lifecycle_policy(repository).await,
            AnyRegistry::EcrPublic(r) => r.delete_lifecycle_policy(repository).await,
            AnyRegistry::File(r) => r.delete_lifecycle_policy(repository).await,
        }
    }

    async fn batch_delete(
        &self,
        repository: &str,
        digests: &[Digest],
    ) -> Result<DeleteOutcome, RegistryError> {
        match self {
            AnyRegistry::Ecr(r) => r.batch_delete(repository, digests).await,
            AnyRegistry::EcrPublic(r) => r.batch_delete(repository, digests).await,
            AnyRegistry::File(r) => r.batch_delete(repository, digests).await,
        }
    }

    async fn batch_untag(
        &self,
        repository: &str,
        ids: &[TagId],
    ) -> Result<UntagOutcome, RegistryError> {
        match self {
            AnyRegistry::Ecr(r) => r.batch_untag(repository, ids).await,
            AnyRegistry::EcrPublic(r) => r.batch_untag(repository, ids).await,
            AnyRegistry::File(r) => r.batch_untag(repository, ids).await,
        }
    }

    async fn archive_images(
        &self,
        repository: &str,
        digests: &[Digest],
        now: jiff::Timestamp,
    ) -> ArchiveOutcome {
        match self {
            AnyRegistry::Ecr(r) => r.archive_images(repository, digests, now).await,
            AnyRegistry::EcrPublic(r) => r.archive_images(repository, digests, now).await,
            AnyRegistry::File(r) => r.archive_images(repository, digests, now).await,
        }
    }
}
