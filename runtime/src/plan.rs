//! Plans: what would change in a registry, as data. Text, Markdown and JSON are renderings of
//! one [`Plan`]; a saved plan is that JSON, with the format version and what it saw.

use std::collections::BTreeSet;

use ecr_lifecycle_compiler::dsl::Policy;
use ecr_lifecycle_compiler::image::{Digest, Image, iso};
use ecr_lifecycle_compiler::native::{self, ValidPolicy};
use ecr_lifecycle_compiler::reference::{self, Evaluation};
use ecr_lifecycle_compiler::source::SourceFile;
use ecr_lifecycle_compiler::split::{self, Compiled};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::normalize::{normalize, same_policy};
use crate::snapshot::RepositoryState;

/// The plan file format; `apply` refuses any other.
pub const FORMAT_VERSION: u32 = 1;

/// Storage price per GB-month (GiB, as AWS bills storage), in US dollars.
pub const STANDARD_PRICE_PER_GB_MONTH: f64 = 0.10;

/// A policy file with what was compiled from it.
#[derive(Debug)]
pub struct LoadedPolicy {
    pub file: SourceFile,
    pub policy: Policy,
    pub compiled: Compiled,
}

impl LoadedPolicy {
    pub fn new(file: SourceFile, policy: Policy) -> LoadedPolicy {
        let compiled = split::compile(&policy);
        LoadedPolicy {
            file,
            policy,
            compiled,
        }
    }

    pub fn sha256(&self) -> String {
        sha256_hex(self.file.text.as_bytes())
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Plan {
    pub format_version: u32,
    pub tool_version: String,
    /// The time the plan was evaluated at (RFC 3339).
    pub created_at: String,
    /// Where it was made: `ecr` (with region/endpoint) or `file:PATH`.
    pub registry: String,
    /// `I/N` when the plan covers one shard of the repositories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub policy_files: Vec<PolicyFileRef>,
    pub repositories: Vec<RepositoryPlan>,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyFileRef {
    pub path: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RepositoryPlan {
    pub name: String,
    /// The AWS region, when the policy file names regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub policy_file: String,
    pub lifecycle_policy: PolicyChange,
    /// Images the runner deletes.
    pub deletions: Vec<ImageAction>,
    /// Images the desired native policy makes ECR expire (ECR acts within a day).
    pub ecr_expirations: Vec<ImageAction>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
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
    pub digest: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    pub pushed_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    pub rule: String,
    pub reason: String,
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
}

impl RepositoryPlan {
    /// Whether a rendering has anything to say about this repository.
    pub fn has_news(&self) -> bool {
        self.lifecycle_policy.is_change() || !self.deletions.is_empty() || !self.warnings.is_empty()
    }
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.summary.policies_to_put
            + self.summary.policies_to_replace
            + self.summary.policies_to_delete
            + self.summary.images_to_delete
            > 0
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
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
pub fn summarize(repos: &[RepositoryPlan]) -> Summary {
    let mut s = Summary::default();
    for r in repos {
        match r.lifecycle_policy {
            PolicyChange::Unchanged => {}
            PolicyChange::Put { .. } => s.policies_to_put += 1,
            PolicyChange::Replace { .. } => s.policies_to_replace += 1,
            PolicyChange::Delete { .. } => s.policies_to_delete += 1,
        }
        s.images_to_delete += r.deletions.len();
        s.bytes_to_delete += r.deletions.iter().filter_map(|d| d.size_bytes).sum::<u64>();
        s.ecr_expirations += r.ecr_expirations.len();
        s.ecr_bytes += r
            .ecr_expirations
            .iter()
            .filter_map(|d| d.size_bytes)
            .sum::<u64>();
    }
    s.monthly_saving_usd = monthly_cost(s.bytes_to_delete);
    s
}

/// Dollars per month to store this many bytes in standard storage.
pub fn monthly_cost(bytes: u64) -> f64 {
    let gib = bytes as f64 / (1u64 << 30) as f64;
    (gib * STANDARD_PRICE_PER_GB_MONTH * 100.0).round() / 100.0
}

/// The native policy a repository should carry, and why it differs from the compiled one.
pub struct Desired<'a> {
    pub native: Option<&'a ValidPolicy>,
    pub warnings: Vec<String>,
}

/// Decides the native policy for one repository: the compiled one, unless ECR would then
/// expire an image the policy keeps (a referrer of a kept image, say), in which case the
/// repository runs entirely at runtime and the plan says which image and why.
pub fn desired_policy<'a>(
    loaded: &'a LoadedPolicy,
    state: &RepositoryState,
    evaluation: &Evaluation,
    now: Timestamp,
) -> Desired<'a> {
    let Some(native) = loaded.compiled.native.as_ref() else {
        return Desired {
            native: None,
            warnings: Vec::new(),
        };
    };
    let kept: BTreeSet<Digest> = state
        .images
        .iter()
        .zip(&evaluation.decisions)
        .filter(|(_, d)| !d.expire)
        .map(|(i, _)| i.digest)
        .collect();
    let outcome = native::simulate(native, &state.images, now);
    let mut harmed: Vec<Digest> = outcome.expired.intersection(&kept).copied().collect();
    // ECR ranks a restored image by its restore time: restoring an old archived image could
    // make a native count expire a newer image the policy keeps. Check that world too.
    if harmed.is_empty() && state.images.iter().any(|i| !i.is_active()) {
        let restored: Vec<Image> = state
            .images
            .iter()
            .map(|i| {
                let mut i = i.clone();
                if !i.is_active() {
                    i.status = ecr_lifecycle_compiler::image::ImageStatus::Active;
                    i.activated_at = Some(now);
                }
                i
            })
            .collect();
        let ev = reference::evaluate(&loaded.policy, &restored, Some(&state.name), now);
        let kept_then: BTreeSet<Digest> = restored
            .iter()
            .zip(&ev.decisions)
            .filter(|(_, d)| !d.expire)
            .map(|(i, _)| i.digest)
            .collect();
        let out = native::simulate(native, &restored, now);
        harmed = out.expired.intersection(&kept_then).copied().collect();
    }
    if harmed.is_empty() {
        let mut warnings = Vec::new();
        let untagged_native = native.rules.iter().any(|r| {
            matches!(
                r.selection.tag_status,
                native::TagStatus::Untagged | native::TagStatus::Any
            )
        });
        if untagged_native && state.images.iter().any(|i| i.subject.is_some()) {
            warnings.push(
                "the repository holds referrers (signatures, SBOMs); the native policy could expire a referrer of a kept image once it ages, so review such images".into(),
            );
        }
        return Desired {
            native: Some(native),
            warnings,
        };
    }
    let examples: Vec<String> = harmed.iter().take(3).map(|d| d.to_string()).collect();
    Desired {
        native: None,
        warnings: vec![format!(
            "the native policy is withheld here: ECR would expire {} image(s) the policy keeps (for example {}), so every rule runs at runtime for this repository",
            harmed.len(),
            examples.join(", ")
        )],
    }
}

/// The native policy text a repository should carry now, if any (see [`desired_policy`]).
pub fn desired_text(
    loaded: &LoadedPolicy,
    state: &RepositoryState,
    now: Timestamp,
) -> Option<String> {
    let evaluation = reference::evaluate(&loaded.policy, &state.images, Some(&state.name), now);
    desired_policy(loaded, state, &evaluation, now)
        .native
        .map(|n| n.to_json_pretty())
}

/// Plans one repository under the policy that governs it (pure: no I/O, time passed in).
pub fn plan_repository(
    loaded: &LoadedPolicy,
    state: &RepositoryState,
    now: Timestamp,
) -> RepositoryPlan {
    plan_repository_with(loaded, state, now, true)
}

/// Like [`plan_repository`]; with `manage_policies` false the native policy is left to another
/// tool (Terraform): no change is planned for it, and the runner's share assumes the compiled
/// policy is in place.
pub fn plan_repository_with(
    loaded: &LoadedPolicy,
    state: &RepositoryState,
    now: Timestamp,
    manage_policies: bool,
) -> RepositoryPlan {
    let evaluation = reference::evaluate(&loaded.policy, &state.images, Some(&state.name), now);
    let desired = desired_policy(loaded, state, &evaluation, now);
    let desired_text = desired.native.map(|n| n.to_json_pretty());
    let lifecycle_policy = match (&state.lifecycle_policy, desired_text) {
        _ if !manage_policies => PolicyChange::Unchanged,
        (None, None) => PolicyChange::Unchanged,
        (None, Some(text)) => PolicyChange::Put { text },
        (Some(current), None) => PolicyChange::Delete {
            current: normalize(current),
        },
        (Some(current), Some(text)) if same_policy(current, &text) => PolicyChange::Unchanged,
        (Some(current), Some(text)) => PolicyChange::Replace {
            current: normalize(current),
            text,
        },
    };
    let ecr = desired
        .native
        .map(|n| native::simulate(n, &state.images, now))
        .map(|o| o.expired)
        .unwrap_or_default();
    let mut deletions = Vec::new();
    let mut ecr_expirations = Vec::new();
    for (image, decision) in state.images.iter().zip(&evaluation.decisions) {
        if !decision.expire {
            continue;
        }
        let action = image_action(image, decision, &loaded.policy, now);
        if ecr.contains(&image.digest) {
            ecr_expirations.push(action);
        } else {
            deletions.push(action);
        }
    }
    let order = |a: &ImageAction, b: &ImageAction| {
        a.pushed_at.cmp(&b.pushed_at).then(a.digest.cmp(&b.digest))
    };
    deletions.sort_by(order);
    ecr_expirations.sort_by(order);
    RepositoryPlan {
        name: state.name.clone(),
        region: None,
        policy_file: loaded.file.name.clone(),
        lifecycle_policy,
        deletions,
        ecr_expirations,
        warnings: desired.warnings,
        images_seen: state.images.len(),
        bytes_seen: state.images.iter().filter_map(|i| i.size_bytes).sum(),
    }
}

fn image_action(
    image: &Image,
    decision: &reference::Decision,
    policy: &Policy,
    now: Timestamp,
) -> ImageAction {
    ImageAction {
        digest: image.digest.to_string(),
        tags: image.tags.iter().map(|t| t.to_string()).collect(),
        pushed_at: iso(image.pushed_at),
        size_bytes: image.size_bytes,
        rule: decision
            .rule
            .and_then(|r| policy.rules.get(r))
            .map(|r| r.name.value.clone())
            .unwrap_or_default(),
        reason: reference::describe(&decision.reason, now),
    }
}

/// The policy file that governs a repository of the default region, if any.
pub fn governing<'a>(policies: &'a [LoadedPolicy], repository: &str) -> Option<&'a LoadedPolicy> {
    governing_in(policies, repository, None)
}

/// The policy file that governs a repository in `region` (`None`: the run-time default).
pub fn governing_in<'a>(
    policies: &'a [LoadedPolicy],
    repository: &str,
    region: Option<&str>,
) -> Option<&'a LoadedPolicy> {
    policies
        .iter()
        .find(|p| p.policy.covers_region(region) && p.policy.repositories.selects(repository))
}

/// The units of work the policies name: each region once, `None` for the run-time default.
pub fn regions(policies: &[LoadedPolicy]) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = Vec::new();
    for p in policies {
        match &p.policy.regions {
            None => out.push(None),
            Some(list) => out.extend(list.iter().cloned().map(Some)),
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Assembles a plan from planned repositories.
pub fn assemble(
    policies: &[LoadedPolicy],
    registry: String,
    now: Timestamp,
    mut repositories: Vec<RepositoryPlan>,
) -> Plan {
    repositories.sort_by(|a, b| (&a.region, &a.name).cmp(&(&b.region, &b.name)));
    let summary = summarize(&repositories);
    Plan {
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: iso(now),
        registry,
        shard: None,
        policy_files: policies
            .iter()
            .map(|p| PolicyFileRef {
                path: p.file.name.clone(),
                sha256: p.sha256(),
            })
            .collect(),
        repositories,
        summary,
    }
}

#[cfg(test)]
mod tests;
