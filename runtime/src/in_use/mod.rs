//! Images in use: the references that ECS, Lambda and listing files hold, and their resolution
//! to the digests of one repository as the registry was read.
//!
//! A reference names a registry host. Only references to the registry being planned count;
//! the rest (Docker Hub, other accounts or regions) are counted as ignored, never guessed at.

pub mod ecs;
pub mod files;
pub mod lambda;

use std::collections::BTreeMap;
use std::fmt;

use ecr_lifecycle_compiler::dsl::policy::InUseSettings;
use ecr_lifecycle_compiler::image::Digest;
use ecr_lifecycle_compiler::in_use::InUse;

use crate::snapshot::RepositoryState;

/// Where a reference was found; a policy's `in_use` section says which sources count for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    Ecs,
    Lambda,
    /// A listing file, by the path the policy file's glob found.
    File(String),
}

/// One image reference held by a consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub reference: ImageReference,
    /// `ecs service prod/web`, `lambda function api:3`, `kubernetes pod default/web-1`, ...
    pub consumer: String,
    pub source: Source,
}

/// A container image reference: `[HOST/]REPOSITORY[:TAG][@DIGEST]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReference {
    pub host: Option<String>,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

impl ImageReference {
    /// Parses a reference as Docker writes it.
    pub fn parse(text: &str) -> Result<ImageReference, String> {
        let bad = |why: &str| format!("`{text}` is not an image reference: {why}");
        let t = text.trim();
        if t.is_empty() || t.chars().any(char::is_whitespace) {
            return Err(bad("it is empty or contains spaces"));
        }
        let (rest, digest) = match t.split_once('@') {
            Some((r, d)) => (
                r,
                Some(d.parse::<Digest>().map_err(|e| bad(&e.to_string()))?),
            ),
            None => (t, None),
        };
        let (host, path) = match rest.split_once('/') {
            Some((h, p)) if h.contains('.') || h.contains(':') || h == "localhost" => {
                (Some(h.to_ascii_lowercase()), p)
            }
            _ => (None, rest),
        };
        // A colon after the last slash starts the tag.
        let last = path.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match path[last..].find(':') {
            Some(i) => (&path[..last + i], Some(&path[last + i + 1..])),
            None => (path, None),
        };
        if repository.is_empty() || tag == Some("") {
            return Err(bad(
                "write `HOST/REPOSITORY:TAG` or `HOST/REPOSITORY@sha256:…`",
            ));
        }
        Ok(ImageReference {
            host,
            repository: repository.to_string(),
            tag: tag.map(str::to_string),
            digest,
        })
    }
}

impl fmt::Display for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(h) = &self.host {
            write!(f, "{h}/")?;
        }
        write!(f, "{}", self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// The host of ECR Public's registries: references read `public.ecr.aws/ALIAS/NAME`.
pub const PUBLIC_HOST: &str = "public.ecr.aws";

/// The registry being planned, as image references name it. An unknown part matches any
/// value: a snapshot file does not say which account it was taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryHost {
    /// `ACCOUNT.dkr.ecr.REGION.amazonaws.com` (or `.amazonaws.com.cn`, `-fips`, or the
    /// dual-stack `ACCOUNT.dkr-ecr.REGION.on.aws`).
    Private {
        account: Option<String>,
        region: Option<String>,
    },
    /// `public.ecr.aws/ALIAS`: ECR Public, whose references carry the registry's alias.
    Public { alias: Option<String> },
}

impl Default for RegistryHost {
    fn default() -> RegistryHost {
        RegistryHost::Private {
            account: None,
            region: None,
        }
    }
}

impl RegistryHost {
    pub fn private(account: Option<String>, region: Option<String>) -> RegistryHost {
        RegistryHost::Private { account, region }
    }

    pub fn public(alias: Option<String>) -> RegistryHost {
        RegistryHost::Public { alias }
    }

    /// The repository of this registry a reference names, if it names one here.
    pub fn repository_of<'a>(&self, reference: &'a ImageReference) -> Option<&'a str> {
        let host = reference.host.as_deref()?;
        match self {
            RegistryHost::Private { account, region } => {
                let (a, r) = ecr_host(host)?;
                (account.as_deref().is_none_or(|x| x == a)
                    && region.as_deref().is_none_or(|x| x == r))
                .then_some(reference.repository.as_str())
            }
            RegistryHost::Public { alias } => {
                let (a, name) = reference.repository.split_once('/')?;
                (host == PUBLIC_HOST && alias.as_deref().is_none_or(|x| x == a)).then_some(name)
            }
        }
    }
}

/// `(account, region)` of an ECR private registry host.
fn ecr_host(host: &str) -> Option<(&str, &str)> {
    let (account, rest) = host.split_once('.')?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = rest
        .strip_prefix("dkr.ecr.")
        .or_else(|| rest.strip_prefix("dkr.ecr-fips."))
        .or_else(|| rest.strip_prefix("dkr-ecr."))?;
    let (region, domain) = rest.split_once('.')?;
    matches!(domain, "amazonaws.com" | "amazonaws.com.cn" | "on.aws").then_some((account, region))
}

/// Everything read about images in use for one registry.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    pub uses: Vec<Use>,
    /// References that could not be read, with where they were found.
    pub unreadable: Vec<String>,
}

impl Usage {
    pub fn extend(&mut self, other: Usage) {
        self.uses.extend(other.uses);
        self.unreadable.extend(other.unreadable);
    }

    /// Records a reference held by `consumer`, or notes that it cannot be read.
    pub fn add(&mut self, text: &str, consumer: &str, source: &Source) {
        match ImageReference::parse(text) {
            Ok(reference) => self.uses.push(Use {
                reference,
                consumer: consumer.to_string(),
                source: source.clone(),
            }),
            Err(e) => self.unreadable.push(format!("{consumer}: {e}")),
        }
    }

    /// The images of `state` in use, by the sources `settings` names (`files`: the paths its
    /// globs found). A tag counts for the image it names in `state`.
    pub fn resolve(
        &self,
        state: &RepositoryState,
        here: &RegistryHost,
        settings: &InUseSettings,
        files: &[String],
    ) -> InUse {
        let mut out = InUse::new();
        let counts = |s: &Source| match s {
            Source::Ecs => settings.ecs,
            Source::Lambda => settings.lambda,
            Source::File(f) => files.contains(f),
        };
        let mut by_tag: BTreeMap<&str, Digest> = BTreeMap::new();
        for image in &state.images {
            for t in image.tags.iter() {
                by_tag.insert(t, image.digest);
            }
        }
        for u in &self.uses {
            let r = &u.reference;
            if here.repository_of(r) != Some(state.name.as_str()) || !counts(&u.source) {
                continue;
            }
            // A digest names what runs; the tag beside it is only a label.
            let digest = r
                .digest
                .or_else(|| r.tag.as_deref().and_then(|t| by_tag.get(t).copied()))
                .or_else(|| {
                    r.tag
                        .is_none()
                        .then(|| by_tag.get("latest").copied())
                        .flatten()
                });
            if let Some(d) = digest {
                out.insert(d, u.consumer.clone());
            }
        }
        out
    }

    /// References to this registry and to others, per source kind, for a one-line account.
    pub fn tally(&self, here: &RegistryHost) -> Tally {
        let mut t = Tally::default();
        for u in &self.uses {
            let ours = here.repository_of(&u.reference).is_some();
            let slot = match u.source {
                Source::Ecs => &mut t.ecs,
                Source::Lambda => &mut t.lambda,
                Source::File(_) => &mut t.files,
            };
            if ours {
                *slot += 1;
            } else {
                t.elsewhere += 1;
            }
        }
        t.unreadable = self.unreadable.len();
        t
    }
}

/// What a plan needs to know about images in use in one registry: the references read, and
/// which registry they must name to count.
#[derive(Debug, Clone, Default)]
pub struct Consumers {
    pub usage: Usage,
    pub host: RegistryHost,
}

impl Consumers {
    /// The references read, matched against `registry` as it names itself now (call after
    /// a repository has been listed or read, so that the account is known).
    pub fn new(usage: Usage, registry: &impl crate::registry::Registry) -> Consumers {
        Consumers {
            usage,
            host: registry.host(),
        }
    }

    /// The images of `state` in use, as the policy that governs it counts them.
    pub fn of(&self, loaded: &crate::plan::LoadedPolicy, state: &RepositoryState) -> InUse {
        match &loaded.policy.in_use {
            None => InUse::new(),
            Some(settings) => self
                .usage
                .resolve(state, &self.host, settings, &loaded.in_use_files),
        }
    }
}

/// Which services the policies ask to be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wanted {
    pub ecs: bool,
    pub lambda: bool,
}

impl Wanted {
    /// What any of `policies` asks for in a unit of work.
    pub fn by(policies: &[crate::plan::LoadedPolicy], unit: &crate::plan::Unit) -> Wanted {
        let mut w = Wanted::default();
        for p in policies.iter().filter(|p| {
            p.policy
                .covers(unit.account.as_ref(), unit.region.as_deref())
        }) {
            if let Some(s) = &p.policy.in_use {
                w.ecs |= s.ecs;
                w.lambda |= s.lambda;
            }
        }
        w
    }
}

/// Reads ECS and Lambda, as `wanted`, through the ECR registry's own configuration (same
/// credentials, region and endpoint), both at once.
pub async fn read_services(
    registry: &crate::registry::ecr::EcrRegistry,
    wanted: Wanted,
    concurrency: usize,
) -> Result<Usage, crate::registry::RegistryError> {
    let config = registry.sdk_config();
    let ecs = async {
        if !wanted.ecs {
            return Ok(Usage::default());
        }
        let client = aws_sdk_ecs::Client::new(config);
        ecs::read(&client, &registry.stats, concurrency).await
    };
    let lambda = async {
        if !wanted.lambda {
            return Ok(Usage::default());
        }
        let client = aws_sdk_lambda::Client::new(config);
        lambda::read(&client, &registry.stats, concurrency).await
    };
    let (ecs, lambda) = tokio::join!(ecs, lambda);
    let mut usage = ecs?;
    usage.extend(lambda?);
    Ok(usage)
}

/// Reads every page of a paginated call, timing each in `stats`.
pub(crate) async fn all_pages<O, E, R>(
    stats: &crate::stats::Stats,
    operation: &'static str,
    mut pages: aws_smithy_async::future::pagination_stream::PaginationStream<
        Result<O, aws_sdk_ecr::error::SdkError<E, R>>,
    >,
    mut each: impl FnMut(O),
) -> Result<(), crate::registry::RegistryError>
where
    E: aws_sdk_ecr::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    loop {
        let timer = stats.start(operation);
        let Some(page) = pages.next().await else {
            return Ok(());
        };
        timer.done();
        each(page.map_err(|e| crate::registry::ecr::sdk_error(operation, None, e))?);
    }
}

/// How many references were read, per source, and how many point elsewhere.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub ecs: usize,
    pub lambda: usize,
    pub files: usize,
    pub elsewhere: usize,
    pub unreadable: usize,
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "images in use: {} reference(s) from ECS, {} from Lambda, {} from files; {} to other registries ignored",
            self.ecs, self.lambda, self.files, self.elsewhere
        )?;
        if self.unreadable > 0 {
            write!(f, "; {} unreadable", self.unreadable)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
