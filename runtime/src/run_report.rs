//! One run as JSON: the plan, and what applying it did. `apply --format json` prints it, and
//! the Lambda function answers with it, so a schedule's output reads like a person's apply.

use serde::Serialize;

use crate::apply::ApplyReport;
use crate::plan::Plan;

pub struct RunReport<'a> {
    pub plan: &'a Plan,
    /// What was done; `None` for a plan-only run.
    pub apply: Option<&'a ApplyReport>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct View<'a> {
    mode: &'static str,
    plan: &'a Plan,
    #[serde(skip_serializing_if = "Option::is_none")]
    apply: Option<crate::apply::json::View<'a>>,
    /// A call failed, ECR refused an image, or a planned policy change was not made.
    failed: bool,
}

impl RunReport<'_> {
    pub fn failed(&self) -> bool {
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
            apply: self.apply.map(ApplyReport::view),
            failed: self.failed(),
        }
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.view()).unwrap_or_default();
        text.push('\n');
        text
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self.view()).unwrap_or_default()
    }

    /// One log line (a JSON object) per repository, then one with the totals: what CloudWatch
    /// Logs Insights queries and metric filters read. Counts, not digest lists: the answer has
    /// those.
    pub fn log_lines(&self) -> Vec<serde_json::Value> {
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
                        line["policySkipped"] = json!(why);
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
fn policy_action(change: &crate::plan::PolicyChange) -> &'static str {
    use crate::plan::PolicyChange;
    match change {
        PolicyChange::Unchanged => "unchanged",
        PolicyChange::Put { .. } => "put",
        PolicyChange::Replace { .. } => "replace",
        PolicyChange::Delete { .. } => "delete",
    }
}
