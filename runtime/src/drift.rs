//! Drift between the native policies the policy files compile to and those applied.

use jiff::Timestamp;
use serde::Serialize;

use crate::in_use::Consumers;
use crate::normalize::normalize;
use crate::plan::{LoadedPolicy, Unit, desired_text, governing_in};
use crate::snapshot::RepositoryState;
use ecr_lifecycle_compiler::dsl::policy::Account;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryDrift {
    pub repository: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_file: Option<String>,
    pub status: DriftStatus,
    /// Normalised texts, for a diff.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftStatus {
    InSync,
    /// A native policy is wanted and none is applied.
    Missing,
    Differs,
    /// A policy is applied and the governing file wants none.
    Unwanted,
    /// A policy is applied and no policy file governs the repository.
    Ungoverned,
}

impl DriftStatus {
    pub fn is_drift(self) -> bool {
        !matches!(self, DriftStatus::InSync | DriftStatus::Ungoverned)
    }
}

/// Drift for every repository: governed ones, and ungoverned ones that carry a policy.
pub fn drift(
    policies: &[LoadedPolicy],
    states: &[RepositoryState],
    unit: &Unit,
    consumers: &Consumers,
    now: Timestamp,
) -> Vec<RepositoryDrift> {
    let mut out = Vec::new();
    for state in states {
        let applied = state.lifecycle_policy.as_deref().map(normalize);
        let Some(loaded) = governing_in(policies, &state.name, unit) else {
            if applied.is_some() {
                out.push(RepositoryDrift {
                    repository: state.name.clone(),
                    account: unit.account.clone(),
                    region: unit.region.clone(),
                    policy_file: None,
                    status: DriftStatus::Ungoverned,
                    applied,
                    desired: None,
                });
            }
            continue;
        };
        // Images in use can move rules to the runner, and so change the native policy.
        let in_use = consumers.of(loaded, state);
        let desired = desired_text(loaded, state, &in_use, now).map(|t| normalize(&t));
        let status = match (&applied, &desired) {
            (None, None) => DriftStatus::InSync,
            (None, Some(_)) => DriftStatus::Missing,
            (Some(_), None) => DriftStatus::Unwanted,
            (Some(a), Some(d)) if a == d => DriftStatus::InSync,
            (Some(_), Some(_)) => DriftStatus::Differs,
        };
        out.push(RepositoryDrift {
            repository: state.name.clone(),
            account: unit.account.clone(),
            region: unit.region.clone(),
            policy_file: Some(loaded.file.name.clone()),
            status,
            applied,
            desired,
        });
    }
    out
}
