//! Amazon ECR through the AWS SDK for Rust, or any ECR-compatible endpoint.
//!
//! Reads each repository once: DescribeImages in pages of 1000 with `imageStatus: ANY` (the
//! default hides archived images), GetLifecyclePolicy once, and BatchGetImage (100 ids a call)
//! only for image indexes, to learn their children. Throttling and 5xx answers are retried by
//! the SDK's standard retry strategy (exponential backoff with jitter).

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_ecr::Client;
use aws_sdk_ecr::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ecr::types::{
    DescribeImagesFilter, ImageIdentifier, ImageStatusFilter, TargetStorageClass,
};
use ecr_lifecycle_compiler::image::{Digest, Image, ImageStatus};
use jiff::Timestamp;

use crate::pace::Pace;
use crate::registry::throttles::ThrottleWatch;
use crate::registry::{
    ArchiveOutcome, DeleteOutcome, ErrorKind, ImageFailure, Registry, RegistryError, TagFailure,
    TagId, UntagOutcome,
};
use crate::snapshot::RepositoryState;
use crate::stats::Stats;

pub use ecr_lifecycle_compiler::image::INDEX_MEDIA_TYPES;

/// How to reach ECR; unset fields follow the AWS CLI conventions (environment, profile files).
#[derive(Debug, Clone, Default)]
pub struct EcrOptions {
    pub profile: Option<String>,
    /// A role to assume with the credentials the rest of the options give.
    pub role_arn: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// Attempts per call, including the first (throttling and 5xx are retried).
    pub max_attempts: Option<u32>,
    /// How long one attempt may take before it is abandoned and retried (default 30 s).
    pub attempt_timeout: Option<Duration>,
    /// How many repositories are read at once; told of every throttled attempt.
    pub pace: Arc<Pace>,
}

pub struct EcrRegistry {
    client: Client,
    /// The loaded configuration, for the ECS and Lambda clients that find images in use.
    config: std::sync::Arc<aws_config::SdkConfig>,
    pub stats: Arc<Stats>,
    /// How many repositories are read at once, lowered by throttling.
    pace: Arc<Pace>,
    /// `REGION` (with `@ENDPOINT` when one is set): with the account, what a plan records and
    /// apply checks.
    region: String,
    endpoint: Option<String>,
    /// The registry's account, learnt from the first repository read or listed.
    account: std::sync::Mutex<Option<String>>,
}

/// Retries within each call's attempts, without a shared quota: the SDK's default bucket of
/// retry tokens runs dry when a quarter of a few thousand calls are throttled, and calls then
/// fail at once where a slower pace (which [`Pace`] sets) would pass.
pub(crate) fn throttle_tolerant_partition() -> aws_sdk_ecr::config::retry::RetryPartition {
    use aws_sdk_ecr::config::retry::{RetryPartition, TokenBucket};
    RetryPartition::custom("ecr-lifecycle")
        .token_bucket(TokenBucket::unlimited())
        .build()
}

/// The AWS configuration `options` describe (credentials, region, endpoint, retries and
/// timeouts), shared by the ECR and ECR Public clients and the other services the runner reads
/// (S3 for the Lambda function's policy files).
pub(crate) async fn load_config(options: &EcrOptions) -> aws_config::SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let retry = RetryConfig::standard()
        .with_max_attempts(options.max_attempts.unwrap_or(6))
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_secs(20));
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(options.attempt_timeout.unwrap_or(Duration::from_secs(30)))
        .operation_timeout(Duration::from_secs(180))
        .build();
    let loader = || {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http.clone())
            .retry_config(retry.clone())
            .timeout_config(timeouts.clone());
        if let Some(p) = &options.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &options.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(u) = &options.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        loader
    };
    let mut config = loader().load().await;
    if let Some(role) = &options.role_arn {
        // The role's credentials replace the base ones; STS is reached like ECR.
        let provider = aws_config::sts::AssumeRoleProvider::builder(role.clone())
            .session_name("ecr-lifecycle")
            .configure(&config)
            .build()
            .await;
        config = loader().credentials_provider(provider).load().await;
    }
    config
}

impl EcrRegistry {
    pub async fn connect(options: &EcrOptions) -> EcrRegistry {
        let config = load_config(options).await;
        let region = config
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "(no region)".into());
        let endpoint = options
            .endpoint_url
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_ECR").ok())
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
        let stats = Arc::new(Stats::default());
        let watch = ThrottleWatch::new(options.pace.clone(), stats.clone());
        let ecr_config = aws_sdk_ecr::config::Builder::from(&config)
            .interceptor(watch)
            .retry_partition(throttle_tolerant_partition())
            .build();
        EcrRegistry {
            client: Client::from_conf(ecr_config),
            config: std::sync::Arc::new(config.clone()),
            stats,
            pace: options.pace.clone(),
            region,
            endpoint,
            // A role's account is in its ARN; otherwise the first repository read tells it.
            account: std::sync::Mutex::new(
                options
                    .role_arn
                    .as_deref()
                    .and_then(|r| r.split(':').nth(4))
                    .map(str::to_string),
            ),
        }
    }

    /// Where this registry is: `ecr:ACCOUNT:REGION`, with `@ENDPOINT` when one is set (the
    /// account is `?` until a repository has been listed or read).
    pub fn identity(&self) -> crate::plan::RegistryId {
        let account = self
            .account
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        crate::plan::RegistryId::Ecr {
            account,
            region: self.region.clone(),
            endpoint: self.endpoint.clone(),
        }
    }

    /// The pace reads go at, which this client's throttled attempts lower.
    pub fn pace(&self) -> Arc<Pace> {
        self.pace.clone()
    }

    /// The configuration the ECR client was made from (credentials, region, endpoint).
    pub fn sdk_config(&self) -> &aws_config::SdkConfig {
        &self.config
    }

    /// The registry as image references name it (the account once it is known).
    pub fn ecr_host(&self) -> crate::in_use::RegistryHost {
        crate::in_use::RegistryHost::private(
            self.account
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            self.config.region().map(|r| r.to_string()),
        )
    }

    fn learn_account(&self, registry_id: Option<&str>) {
        if let Some(id) = registry_id {
            let mut a = self.account.lock().unwrap_or_else(|p| p.into_inner());
            if a.is_none() {
                *a = Some(id.to_string());
            }
        }
    }

    /// Learns the account from one repository (one DescribeRepositories call).
    pub async fn learn_account_from(&self, repository: &str) -> Result<(), RegistryError> {
        let timer = self.stats.start("DescribeRepositories");
        let out = self
            .client
            .describe_repositories()
            .repository_names(repository)
            .send()
            .await;
        timer.done();
        let out = out.map_err(|e| sdk_error("DescribeRepositories", Some(repository), e))?;
        self.learn_account(out.repositories().first().and_then(|r| r.registry_id()));
        Ok(())
    }

    async fn describe_images(&self, name: &str) -> Result<Vec<Image>, RegistryError> {
        let mut pages = self
            .client
            .describe_images()
            .repository_name(name)
            .filter(
                DescribeImagesFilter::builder()
                    .image_status(ImageStatusFilter::Any)
                    .build(),
            )
            .max_results(1000)
            .into_paginator()
            .send();
        let mut images = Vec::new();
        loop {
            let timer = self.stats.start("DescribeImages");
            let Some(page) = pages.next().await else {
                break;
            };
            timer.done();
            let page = page.map_err(|e| sdk_error("DescribeImages", Some(name), e))?;
            for d in page.image_details() {
                let img = convert(d)
                    .ok_or_else(|| RegistryError::unreadable_image(name, d.image_digest()))?;
                images.push(img);
            }
        }
        Ok(images)
    }

    /// Fills in the children of image indexes, 100 manifests per BatchGetImage call.
    async fn index_children(&self, name: &str, images: &mut [Image]) -> Result<(), RegistryError> {
        let indexes: Vec<usize> = images
            .iter()
            .enumerate()
            .filter(|(_, i)| {
                i.manifest_media_type
                    .as_deref()
                    .is_some_and(|m| INDEX_MEDIA_TYPES.contains(&m))
            })
            .map(|(n, _)| n)
            .collect();
        for chunk in indexes.chunks(100) {
            let mut req = self.client.batch_get_image().repository_name(name);
            for m in INDEX_MEDIA_TYPES {
                req = req.accepted_media_types(m);
            }
            for &n in chunk {
                req = req.image_ids(
                    ImageIdentifier::builder()
                        .image_digest(images[n].digest.to_string())
                        .build(),
                );
            }
            let timer = self.stats.start("BatchGetImage");
            let out = req.send().await;
            timer.done();
            let out = out.map_err(|e| sdk_error("BatchGetImage", Some(name), e))?;
            // An index whose children are unknown would protect nothing: fail the repository.
            let unreadable = |why: String| {
                RegistryError::new("BatchGetImage", Some(name), ErrorKind::Other, why)
            };
            if let Some(f) = out.failures().first() {
                return Err(unreadable(format!(
                    "could not read image index {}: {} {}",
                    f.image_id().and_then(|i| i.image_digest()).unwrap_or("?"),
                    f.failure_code().map(|c| c.as_str()).unwrap_or(""),
                    f.failure_reason().unwrap_or("")
                )));
            }
            for got in out.images() {
                let Some(digest) = got
                    .image_id()
                    .and_then(|i| i.image_digest())
                    .and_then(|d| d.parse::<Digest>().ok())
                else {
                    return Err(unreadable(
                        "an image index came back without a digest".into(),
                    ));
                };
                let children = got
                    .image_manifest()
                    .ok_or_else(|| format!("index {digest} came back without its manifest"))
                    .and_then(manifest_children)
                    .map_err(unreadable)?;
                if let Some(img) = images.iter_mut().find(|i| i.digest == digest) {
                    img.children = children.into_boxed_slice();
                }
            }
        }
        Ok(())
    }
}

/// The digests an image index lists.
pub fn manifest_children(manifest: &str) -> Result<Vec<Digest>, String> {
    let v = serde_json::from_str::<serde_json::Value>(manifest)
        .map_err(|e| format!("an image index manifest is not JSON: {e}"))?;
    let list = v["manifests"]
        .as_array()
        .ok_or("an image index manifest has no `manifests` list")?;
    list.iter()
        .map(|m| {
            m["digest"]
                .as_str()
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| "an image index lists a manifest without a valid digest".to_string())
        })
        .collect()
}

fn time(t: &aws_smithy_types::DateTime) -> Option<Timestamp> {
    Timestamp::new(t.secs(), t.subsec_nanos() as i32).ok()
}

fn convert(d: &aws_sdk_ecr::types::ImageDetail) -> Option<Image> {
    let digest: Digest = d.image_digest()?.parse().ok()?;
    let pushed = time(d.image_pushed_at()?)?;
    let tags: Vec<&str> = d.image_tags().iter().map(String::as_str).collect();
    let mut img = Image::new(digest, &tags, pushed);
    img.last_pulled_at = d.last_recorded_pull_time().and_then(time);
    img.size_bytes = d.image_size_in_bytes().and_then(|s| u64::try_from(s).ok());
    img.manifest_media_type = d.image_manifest_media_type().map(Into::into);
    img.artifact_media_type = d.artifact_media_type().map(Into::into);
    img.status = match d.image_status().map(|s| s.as_str()) {
        Some("ARCHIVED") => ImageStatus::Archived,
        Some("ACTIVATING") => ImageStatus::Activating,
        Some("ACTIVE") | None => ImageStatus::Active,
        // A status this version does not know: not governed by rules, so kept.
        Some(_) => ImageStatus::Archived,
    };
    img.archived_at = d.last_archived_at().and_then(time);
    img.activated_at = d.last_activated_at().and_then(time);
    img.subject = d.subject_manifest_digest().and_then(|s| s.parse().ok());
    let mut extra = serde_json::Map::new();
    if let Some(r) = d.registry_id() {
        extra.insert("registryId".into(), r.into());
    }
    if let Some(s) = d.image_scan_status().and_then(|s| s.status()) {
        extra.insert(
            "imageScanStatus".into(),
            serde_json::json!({ "status": s.as_str() }),
        );
    }
    if let Some(f) = d.image_scan_findings_summary() {
        let counts: serde_json::Map<String, serde_json::Value> = f
            .finding_severity_counts()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.as_str().to_string(), (*v).into()))
                    .collect()
            })
            .unwrap_or_default();
        extra.insert(
            "imageScanFindingsSummary".into(),
            serde_json::json!({ "findingSeverityCounts": counts }),
        );
    }
    if !extra.is_empty() {
        img.extra = Some(
            serde_json::Value::Object(extra)
                .to_string()
                .into_boxed_str(),
        );
    }
    Some(img)
}

/// Maps an SDK error to what the user can act on. Never includes credentials.
pub(crate) fn sdk_error<E, R>(
    operation: &'static str,
    repository: Option<&str>,
    e: SdkError<E, R>,
) -> RegistryError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = e.code().unwrap_or("").to_string();
    let (kind, message) = match &e {
        SdkError::ServiceError(s) => {
            let m = s.err().message().unwrap_or("").to_string();
            let kind = match code.as_str() {
                "RepositoryNotFoundException"
                | "LifecyclePolicyNotFoundException"
                | "ImageNotFoundException"
                | "NoSuchBucket"
                | "NoSuchKey" => ErrorKind::NotFound,
                "AccessDeniedException" | "AccessDenied" => ErrorKind::AccessDenied,
                "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "ExpiredTokenException"
                | "InvalidClientTokenId" => ErrorKind::Credentials,
                "ThrottlingException" | "TooManyRequestsException" => ErrorKind::Throttled,
                "InvalidParameterException" | "ValidationException" | "LimitExceededException" => {
                    ErrorKind::Invalid
                }
                _ => ErrorKind::Other,
            };
            (
                kind,
                if m.is_empty() {
                    code.clone()
                } else {
                    format!("{code}: {m}")
                },
            )
        }
        SdkError::TimeoutError(_) => (ErrorKind::Unreachable, "timed out".to_string()),
        SdkError::DispatchFailure(d) => {
            let text = format!("{:?}", d);
            if text.contains("credential") || text.contains("Credential") {
                (
                    ErrorKind::Credentials,
                    "no usable AWS credentials were found".to_string(),
                )
            } else if d.is_timeout() {
                (
                    ErrorKind::Unreachable,
                    "the endpoint did not answer in time".to_string(),
                )
            } else {
                (
                    ErrorKind::Unreachable,
                    "could not connect to the ECR endpoint".to_string(),
                )
            }
        }
        SdkError::ConstructionFailure(_) => {
            let text = source_chain(&e);
            if text.to_lowercase().contains("credential") {
                (
                    ErrorKind::Credentials,
                    "no usable AWS credentials were found".to_string(),
                )
            } else if text.to_lowercase().contains("region") {
                (
                    ErrorKind::Unreachable,
                    "no AWS region is set (use --region or AWS_REGION)".to_string(),
                )
            } else {
                (ErrorKind::Other, text)
            }
        }
        SdkError::ResponseError(_) => (
            ErrorKind::Other,
            "the endpoint sent an answer that is not ECR's".to_string(),
        ),
        _ => (ErrorKind::Other, source_chain(&e)),
    };
    RegistryError::new(operation, repository, kind, message)
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    parts.join(": ")
}

impl Registry for EcrRegistry {
    fn host(&self) -> crate::in_use::RegistryHost {
        self.ecr_host()
    }

    async fn list_repositories(&self) -> Result<Vec<String>, RegistryError> {
        let mut pages = self
            .client
            .describe_repositories()
            .max_results(1000)
            .into_paginator()
            .send();
        let mut names = Vec::new();
        loop {
            let timer = self.stats.start("DescribeRepositories");
            let Some(page) = pages.next().await else {
                break;
            };
            timer.done();
            let page = page.map_err(|e| sdk_error("DescribeRepositories", None, e))?;
            self.learn_account(page.repositories().first().and_then(|r| r.registry_id()));
            names.extend(
                page.repositories()
                    .iter()
                    .filter_map(|r| r.repository_name().map(str::to_string)),
            );
        }
        names.sort();
        Ok(names)
    }

    async fn read_repository(&self, name: &str) -> Result<RepositoryState, RegistryError> {
        let mut images = self.describe_images(name).await?;
        self.index_children(name, &mut images).await?;
        let timer = self.stats.start("GetLifecyclePolicy");
        let got = self
            .client
            .get_lifecycle_policy()
            .repository_name(name)
            .send()
            .await;
        timer.done();
        let lifecycle_policy = match got {
            Ok(out) => out.lifecycle_policy_text().map(str::to_string),
            Err(e) if e.code() == Some("LifecyclePolicyNotFoundException") => None,
            Err(e) => return Err(sdk_error("GetLifecyclePolicy", Some(name), e)),
        };
        Ok(RepositoryState {
            name: name.to_string(),
            lifecycle_policy,
            images,
        })
    }

    async fn put_lifecycle_policy(
        &self,
        repository: &str,
        text: &str,
    ) -> Result<(), RegistryError> {
        let timer = self.stats.start("PutLifecyclePolicy");
        let out = self
            .client
            .put_lifecycle_policy()
            .repository_name(repository)
            .lifecycle_policy_text(text)
            .send()
            .await;
        timer.done();
        out.map(|_| ())
            .map_err(|e| sdk_error("PutLifecyclePolicy", Some(repository), e))
    }

    async fn delete_lifecycle_policy(&self, repository: &str) -> Result<(), RegistryError> {
        let timer = self.stats.start("DeleteLifecyclePolicy");
        let out = self
            .client
            .delete_lifecycle_policy()
            .repository_name(repository)
            .send()
            .await;
        timer.done();
        out.map(|_| ())
            .map_err(|e| sdk_error("DeleteLifecyclePolicy", Some(repository), e))
    }

    async fn batch_delete(
        &self,
        repository: &str,
        digests: &[Digest],
    ) -> Result<DeleteOutcome, RegistryError> {
        let mut req = self.client.batch_delete_image().repository_name(repository);
        for d in digests {
            req = req.image_ids(
                ImageIdentifier::builder()
                    .image_digest(d.to_string())
                    .build(),
            );
        }
        let timer = self.stats.start("BatchDeleteImage");
        let out = req.send().await;
        timer.done();
        let out = out.map_err(|e| sdk_error("BatchDeleteImage", Some(repository), e))?;
        Ok(DeleteOutcome::from_answer(
            out.image_ids().iter().map(|id| id.image_digest()),
            out.failures().iter().map(|f| {
                (
                    f.image_id().and_then(|i| i.image_digest()),
                    f.failure_code().map(|c| c.as_str()),
                    f.failure_reason(),
                )
            }),
        ))
    }

    async fn batch_untag(
        &self,
        repository: &str,
        ids: &[TagId],
    ) -> Result<UntagOutcome, RegistryError> {
        let mut req = self.client.batch_delete_image().repository_name(repository);
        for id in ids {
            req = req.image_ids(
                ImageIdentifier::builder()
                    .image_digest(id.digest.to_string())
                    .image_tag(&id.tag)
                    .build(),
            );
        }
        let timer = self.stats.start("BatchDeleteImage");
        let out = req.send().await;
        timer.done();
        let out = out.map_err(|e| sdk_error("BatchDeleteImage", Some(repository), e))?;
        let id_of = |i: &ImageIdentifier| {
            Some(TagId {
                digest: i.image_digest()?.parse().ok()?,
                tag: i.image_tag()?.to_string(),
            })
        };
        let mut outcome = UntagOutcome::default();
        for id in out.image_ids().iter().filter_map(id_of) {
            // Only what was asked: removing a last tag may list the image's other ids.
            if ids.contains(&id) && !outcome.removed.contains(&id) {
                outcome.removed.push(id);
            }
        }
        for f in out.failures() {
            let Some(id) = f.image_id().and_then(id_of) else {
                continue;
            };
            outcome.failures.push(TagFailure {
                id,
                code: f
                    .failure_code()
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default(),
                reason: f.failure_reason().unwrap_or("").to_string(),
            });
        }
        Ok(outcome)
    }

    async fn archive_images(
        &self,
        repository: &str,
        digests: &[Digest],
        _now: Timestamp,
    ) -> ArchiveOutcome {
        use futures_util::stream::{self, StreamExt};
        let results: Vec<(Digest, Result<(), RegistryError>)> =
            stream::iter(digests.iter().copied())
                .map(|d| async move {
                    let timer = self.stats.start("UpdateImageStorageClass");
                    let out = self
                        .client
                        .update_image_storage_class()
                        .repository_name(repository)
                        .image_id(
                            ImageIdentifier::builder()
                                .image_digest(d.to_string())
                                .build(),
                        )
                        .target_storage_class(TargetStorageClass::Archive)
                        .send()
                        .await;
                    timer.done();
                    let out = out
                        .map(|_| ())
                        .map_err(|e| sdk_error("UpdateImageStorageClass", Some(repository), e));
                    (d, out)
                })
                .buffer_unordered(ARCHIVE_CONCURRENCY)
                .collect()
                .await;
        let mut outcome = ArchiveOutcome::default();
        for (digest, result) in results {
            match result {
                Ok(()) => outcome.archived.push(digest),
                Err(e) => outcome.failures.push(ImageFailure {
                    digest,
                    code: match e.kind {
                        ErrorKind::NotFound => "ImageNotFound".into(),
                        kind => format!("{kind:?}"),
                    },
                    reason: e.message,
                }),
            }
        }
        outcome.archived.sort();
        outcome
    }
}

/// UpdateImageStorageClass calls in flight per repository (the API takes one image a call).
const ARCHIVE_CONCURRENCY: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_children_are_read_or_the_read_fails() {
        let d = "sha256:0000000000000000000000000000000000000000000000000000000000000001";
        let ok = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"digest":"{d}","platform":{{"os":"linux"}}}}]}}"#
        );
        assert_eq!(
            manifest_children(&ok).unwrap(),
            vec![d.parse::<Digest>().unwrap()]
        );
        assert!(manifest_children("not json").is_err());
        assert!(manifest_children("{}").is_err());
        assert!(manifest_children(r#"{"manifests":[{"digest":"md5:1"}]}"#).is_err());
    }
}
