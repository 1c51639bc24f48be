//! One run as JSON: the plan, and what applying it did. `apply --format json` prints it, and
//! the Lambda function answers with it, so a schedule's output reads like a person's apply.

use ecr_lifecycle_compiler::image::Digest;
use ecr_lifecycle_runtime::apply::{ApplyReport, PolicyDone, RepositoryReport, Totals};
use ecr_lifecycle_runtime::plan::Plan;
use ecr_lifecycle_runtime::registry::{ImageFailure, RegistryError, TagFailure, TagId};
use serde::Serialize;

use super::words;

pub(crate) struct RunReport<'a> {
    pub(crate) plan: &'a Plan,
    /// What was done; `None` for a plan-only run.
    pub(crate) apply: Option<&'a ApplyReport>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct View<'a> {
    mode: &'static str,
    plan: &'a Plan,
    #[serde(skip_serializing_if = "Option::is_none")]
    apply: Option<ApplyView<'a>>,
    /// A call failed, ECR refused an image, or a planned policy change was not made.
    failed: bool,
}

impl RunReport<'_> {
    pub(crate) fn failed(&self) -> bool {
        self.apply.is_some_and(ApplyReport::failed)
    }

    fn mode(&self) -> &'static str {
        if self.apply.is_some() {
            "apply"
        } else {
            "plan"
        }
    }

    fn view(&self) -> View<'_> {
        View {
            mode: self.mode(),
            plan: self.plan,
            apply: self.apply.map(|report| ApplyView {
                repositories: report.repositories.iter().map(repository).collect(),
                summary: report.totals(),
            }),
            failed: self.failed(),
        }
    }

    pub(crate) fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.view()).unwrap_or_default();
        text.push('\n');
        text
    }

    #[cfg(feature = "lambda")]
    pub(crate) fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self.view()).unwrap_or_default()
    }

    /// One log line (a JSON object) per repository, then one with the totals: what CloudWatch
    /// Logs Insights queries and metric filters read. Counts, not digest lists: the answer has
    /// those.
    #[cfg(feature = "lambda")]
    pub(crate) fn log_lines(&self) -> Vec<serde_json::Value> {
        use serde_json::json;
        let mut lines: Vec<serde_json::Value> = match self.apply {
            None => self
                .plan
                .repositories
                .iter()
                .map(|r| {
                    let mut line = json!({
                        "repository": r.name,
                        "policyFile": r.policy_file,
                        "lifecyclePolicy": policy_action(&r.lifecycle_policy),
                        "imagesToDelete": r.deletions.len(),
                        "bytesToDelete": r.deletions.iter().filter_map(|a| a.size_bytes).sum::<u64>(),
                        "imagesToArchive": r.archivals.len(),
                        "ecrExpirations": r.ecr_expirations.len(),
                        "imagesKeptInUse": r.kept_in_use.len(),
                    });
                    if let Some(region) = &r.region {
                        line["region"] = json!(region);
                    }
                    if let Some(account) = &r.account {
                        line["account"] = json!(account);
                    }
                    line
                })
                .collect(),
            Some(report) => report
                .repositories
                .iter()
                .map(|r| {
                    let mut line = json!({
                        "repository": r.name,
                        "imagesDeleted": r.deleted.len(),
                        "bytesDeleted": r.bytes_deleted,
                        "imagesArchived": r.archived.len(),
                        "imagesSkipped": r.already_gone.len() + r.no_longer_expire.len()
                            + r.referenced_by_index.len() + r.already_archived.len()
                            + r.no_longer_archive.len(),
                        "ecrWillExpire": r.ecr_will_expire,
                        "failed": r.failed(),
                    });
                    if let Some(p) = r.policy {
                        line["lifecyclePolicy"] = json!(p);
                    }
                    if !r.failures.is_empty() || !r.archive_failures.is_empty() {
                        line["failures"] = json!([&r.failures[..], &r.archive_failures[..]].concat());
                    }
                    if let Some(e) = &r.error {
                        line["error"] = json!(e);
                    }
                    if let Some(why) = &r.policy_skipped {
                        line["policySkipped"] = json!(words::policy_skipped(*why));
                    }
                    line
                })
                .collect(),
        };
        let s = &self.plan.summary;
        let mut summary = json!({
            "mode": self.mode(),
            "repositories": self.plan.repositories.len(),
            "policiesToChange": s.policies_to_put + s.policies_to_replace + s.policies_to_delete,
            "imagesToDelete": s.images_to_delete,
            "bytesToDelete": s.bytes_to_delete,
            "imagesToArchive": s.images_to_archive,
            "ecrExpirations": s.ecr_expirations,
            "failed": self.failed(),
        });
        if let Some(report) = self.apply {
            summary["apply"] = json!(report.totals());
        }
        lines.push(json!({ "summary": summary }));
        lines
    }
}

/// What happens to a native policy, as the plan file names it.
#[cfg(feature = "lambda")]
fn policy_action(change: &ecr_lifecycle_runtime::plan::PolicyChange) -> &'static str {
    use ecr_lifecycle_runtime::plan::PolicyChange;
    match change {
        PolicyChange::Unchanged => "unchanged",
        PolicyChange::Put { .. } => "put",
        PolicyChange::Replace { .. } => "replace",
        PolicyChange::Delete { .. } => "delete",
    }
}

/// What applying the plan did: every repository's outcome, and the totals.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApplyView<'a> {
    repositories: Vec<RepositoryView<'a>>,
    summary: Totals,
}

/// One repository's outcome as data; only why a policy change was skipped is a sentence.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RepositoryView<'a> {
    repository: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<PolicyDone>,
    deleted: &'a [Digest],
    bytes_deleted: u64,
    already_gone: &'a [Digest],
    no_longer_expire: &'a [Digest],
    referenced_by_index: &'a [Digest],
    failures: &'a [ImageFailure],
    archived: &'a [Digest],
    bytes_archived: u64,
    already_archived: &'a [Digest],
    no_longer_archive: &'a [Digest],
    archive_failures: &'a [ImageFailure],
    untagged: &'a [TagId],
    tags_already_gone: &'a [TagId],
    tags_moved: &'a [TagId],
    tags_no_longer_removed: &'a [TagId],
    untag_failures: &'a [TagFailure],
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a RegistryError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_skipped: Option<&'static str>,
    ecr_will_expire: usize,
    ecr_bytes: u64,
}

fn repository(r: &RepositoryReport) -> RepositoryView<'_> {
    // Every field, named: a field added to the report cannot be left out of the JSON unnoticed.
    let RepositoryReport {
        name,
        policy,
        deleted,
        bytes_deleted,
        already_gone,
        no_longer_expire,
        referenced_by_index,
        failures,
        archived,
        bytes_archived,
        already_archived,
        no_longer_archive,
        archive_failures,
        untagged,
        tags_already_gone,
        tags_moved,
        tags_no_longer_removed,
        untag_failures,
        error,
        policy_skipped,
        ecr_will_expire,
        ecr_bytes,
    } = r;
    RepositoryView {
        repository: name,
        policy: *policy,
        deleted,
        bytes_deleted: *bytes_deleted,
        already_gone,
        no_longer_expire,
        referenced_by_index,
        failures,
        archived,
        bytes_archived: *bytes_archived,
        already_archived,
        no_longer_archive,
        archive_failures,
        untagged,
        tags_already_gone,
        tags_moved,
        tags_no_longer_removed,
        untag_failures,
        error: error.as_ref(),
        policy_skipped: policy_skipped.map(words::policy_skipped),
        ecr_will_expire: *ecr_will_expire,
        ecr_bytes: *ecr_bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecr_lifecycle_runtime::apply::PolicySkipped;

    #[test]
    fn a_repository_outcome_keeps_its_fields_and_words_only_why_a_policy_was_skipped() {
        let d = Digest::from_bytes([1; 32]);
        let report = RepositoryReport {
            name: "web".into(),
            deleted: vec![d],
            bytes_deleted: 10,
            policy_skipped: Some(PolicySkipped::OtherPolicyCalledFor),
            ..RepositoryReport::default()
        };
        assert_eq!(
            serde_json::to_string(&repository(&report)).unwrap_or_default(),
            format!(
                concat!(
                    r#"{{"repository":"web","deleted":["{d}"],"bytesDeleted":10,"alreadyGone":[],"#,
                    r#""noLongerExpire":[],"referencedByIndex":[],"failures":[],"archived":[],"#,
                    r#""bytesArchived":0,"alreadyArchived":[],"noLongerArchive":[],"archiveFailures":[],"#,
                    r#""untagged":[],"tagsAlreadyGone":[],"tagsMoved":[],"tagsNoLongerRemoved":[],"#,
                    r#""untagFailures":[],"policySkipped":"the current images call for another native "#,
                    r#"policy than the plan's (ECR could expire an image the policy keeps); make a new "#,
                    r#"plan","ecrWillExpire":0,"ecrBytes":0}}"#
                ),
                d = d
            )
        );
        let plan = super::super::test_plans::plan(Vec::new());
        let apply = ApplyReport {
            repositories: vec![report],
        };
        let run = RunReport {
            plan: &plan,
            apply: Some(&apply),
        };
        let json: serde_json::Value = serde_json::from_str(&run.to_json()).unwrap_or_default();
        assert_eq!(json["mode"], "apply");
        assert_eq!(
            json["failed"], true,
            "a skipped policy change fails the run"
        );
        assert_eq!(json["apply"]["summary"]["repositoriesFailed"], 1);
        assert_eq!(
            json["apply"]["repositories"][0]["policySkipped"],
            words::policy_skipped(PolicySkipped::OtherPolicyCalledFor)
        );
    }
}
