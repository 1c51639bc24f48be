//! Amazon ECR Public through the AWS SDK (`aws-sdk-ecrpublic`), DESIGN.md §5.1.
//!
//! ECR Public has no lifecycle policies, no archive class and no pull times: a repository is
//! read with DescribeImages alone (pages of 1000) and every image is ACTIVE with no pull time.
//! Its API is served in us-east-1 only, so the client uses that region whatever else is
//! configured. Deletes are BatchDeleteImage by digest, at most 100 ids a call, with every
//! `failures[]` entry reported; throttling and 5xx are retried as for ECR.

use aws_sdk_ecrpublic::Client;
use aws_sdk_ecrpublic::types::ImageIdentifier;
use ecr_lifecycle_compiler::dsl::public::REGION;
use ecr_lifecycle_compiler::image::{Digest, Image};
use jiff::Timestamp;

use std::sync::Arc;

use crate::pace::Pace;
use crate::registry::ecr::{EcrOptions, load_config, sdk_error, throttle_tolerant_partition};
use crate::registry::throttles::ThrottleWatch;
use crate::registry::{
    ArchiveOutcome, DeleteOutcome, ErrorKind, ImageFailure, Registry, RegistryError, TagId,
    UntagOutcome,
};
use crate::snapshot::RepositoryState;
use crate::stats::Stats;

pub struct EcrPublicRegistry {
    client: Client,
    pub stats: Arc<Stats>,
    /// How many repositories are read at once, lowered by throttling.
    pace: Arc<Pace>,
    endpoint: Option<String>,
    /// The account and the registry's alias (`public.ecr.aws/ALIAS/…`), learnt from the
    /// repositories listed or read.
    seen: std::sync::Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    account: Option<String>,
    alias: Option<String>,
}

impl EcrPublicRegistry {
    /// Connects with the credentials `options` describe, in us-east-1 whatever their region.
    pub async fn connect(options: &EcrOptions) -> EcrPublicRegistry {
        let options = EcrOptions {
            region: Some(REGION.to_string()),
            ..options.clone()
        };
        let config = load_config(&options).await;
        let endpoint = options
            .endpoint_url
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_ECR_PUBLIC").ok())
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
        let account = options
            .role_arn
            .as_deref()
            .and_then(|r| r.split(':').nth(4))
            .map(str::to_string);
        let stats = Arc::new(Stats::default());
        let public_config = aws_sdk_ecrpublic::config::Builder::from(&config)
            .interceptor(ThrottleWatch::new(options.pace.clone(), stats.clone()))
            .retry_partition(throttle_tolerant_partition())
            .build();
        EcrPublicRegistry {
            client: Client::from_conf(public_config),
            stats,
            pace: options.pace.clone(),
            endpoint,
            seen: std::sync::Mutex::new(Seen {
                account,
                alias: None,
            }),
        }
    }

    /// The pace reads go at, which this client's throttled attempts lower.
    pub fn pace(&self) -> Arc<Pace> {
        self.pace.clone()
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `ecr-public:ACCOUNT[@ENDPOINT]` (the account is `?` until a repository was listed).
    pub fn identity(&self) -> crate::plan::RegistryId {
        crate::plan::RegistryId::EcrPublic {
            account: self.seen().account.clone(),
            endpoint: self.endpoint.clone(),
        }
    }

    /// The registry as image references name it: `public.ecr.aws/ALIAS`.
    pub fn public_host(&self) -> crate::in_use::RegistryHost {
        crate::in_use::RegistryHost::public(self.seen().alias.clone())
    }

    fn learn(&self, repository: &aws_sdk_ecrpublic::types::Repository) {
        let mut seen = self.seen();
        if seen.account.is_none() {
            seen.account = repository.registry_id().map(str::to_string);
        }
        if seen.alias.is_none()
            && let (Some(uri), Some(name)) =
                (repository.repository_uri(), repository.repository_name())
        {
            seen.alias = alias_of(uri, name);
        }
    }

    /// Learns the account and alias from one repository (one DescribeRepositories call).
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
        if let Some(r) = out.repositories().first() {
            self.learn(r);
        }
        Ok(())
    }
}

/// The alias in a repository URI `public.ecr.aws/ALIAS/NAME`.
fn alias_of(uri: &str, name: &str) -> Option<String> {
    let path = uri
        .strip_prefix(crate::in_use::PUBLIC_HOST)?
        .strip_prefix('/')?;
    let alias = path.strip_suffix(name)?.strip_suffix('/')?;
    (!alias.is_empty() && !alias.contains('/')).then(|| alias.to_string())
}

fn time(t: &aws_smithy_types::DateTime) -> Option<Timestamp> {
    Timestamp::new(t.secs(), t.subsec_nanos() as i32).ok()
}

/// ECR Public's image detail on the image model: no pull time, no status (always active), no
/// subject.
fn convert(d: &aws_sdk_ecrpublic::types::ImageDetail) -> Option<Image> {
    let digest: Digest = d.image_digest()?.parse().ok()?;
    let pushed = time(d.image_pushed_at()?)?;
    let tags: Vec<&str> = d.image_tags().iter().map(String::as_str).collect();
    let mut img = Image::new(digest, &tags, pushed);
    img.size_bytes = d.image_size_in_bytes().and_then(|s| u64::try_from(s).ok());
    img.manifest_media_type = d.image_manifest_media_type().map(Into::into);
    img.artifact_media_type = d.artifact_media_type().map(Into::into);
    if let Some(r) = d.registry_id() {
        img.extra = Some(
            serde_json::json!({ "registryId": r })
                .to_string()
                .into_boxed_str(),
        );
    }
    Some(img)
}

fn no_policies(operation: &'static str, repository: &str) -> RegistryError {
    RegistryError::new(
        operation,
        Some(repository),
        ErrorKind::Invalid,
        "ECR Public has no lifecycle policies",
    )
}

impl Registry for EcrPublicRegistry {
    fn host(&self) -> crate::in_use::RegistryHost {
        self.public_host()
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
            for r in page.repositories() {
                self.learn(r);
                names.extend(r.repository_name().map(str::to_string));
            }
        }
        names.sort();
        Ok(names)
    }

    async fn read_repository(&self, name: &str) -> Result<RepositoryState, RegistryError> {
        let mut pages = self
            .client
            .describe_images()
            .repository_name(name)
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
        Ok(RepositoryState {
            name: name.to_string(),
            lifecycle_policy: None,
            images,
        })
    }

    async fn put_lifecycle_policy(
        &self,
        repository: &str,
        _text: &str,
    ) -> Result<(), RegistryError> {
        Err(no_policies("PutLifecyclePolicy", repository))
    }

    async fn delete_lifecycle_policy(&self, repository: &str) -> Result<(), RegistryError> {
        Err(no_policies("DeleteLifecyclePolicy", repository))
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

    /// Never asked: a policy for ECR Public that removes tags is refused when it is read.
    async fn batch_untag(
        &self,
        repository: &str,
        _ids: &[TagId],
    ) -> Result<UntagOutcome, RegistryError> {
        Err(RegistryError::new(
            "BatchDeleteImage",
            Some(repository),
            ErrorKind::Invalid,
            "tags are not removed on ECR Public",
        ))
    }

    /// Never asked: a policy for ECR Public that archives is refused when it is read.
    async fn archive_images(
        &self,
        _repository: &str,
        digests: &[Digest],
        _now: Timestamp,
    ) -> ArchiveOutcome {
        ArchiveOutcome {
            archived: Vec::new(),
            failures: digests
                .iter()
                .map(|&digest| ImageFailure {
                    digest,
                    code: "UnsupportedOperation".into(),
                    reason: "ECR Public has no archive storage class".into(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alias_is_read_from_a_repository_uri() {
        assert_eq!(
            alias_of("public.ecr.aws/acme/team/web", "team/web").as_deref(),
            Some("acme")
        );
        assert_eq!(
            alias_of("public.ecr.aws/acme/web", "web").as_deref(),
            Some("acme")
        );
        assert_eq!(alias_of("public.ecr.aws/web", "web"), None);
        assert_eq!(alias_of("example.com/acme/web", "web"), None);
        assert_eq!(alias_of("public.ecr.aws/acme/web", "api"), None);
    }
}
