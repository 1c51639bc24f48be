//! The totals of an apply report, as `apply --format json` and the Lambda function's answer
//! give them (the CLI's `run_report` writes the rest).

use serde::Serialize;

use super::ApplyReport;

/// The figures a schedule's alarm or a dashboard reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub repositories: usize,
    pub images_deleted: usize,
    pub bytes_deleted: u64,
    pub images_archived: usize,
    pub bytes_archived: u64,
    /// Skipped because the current state keeps them, or already gone or archived.
    pub images_skipped: usize,
    /// Images ECR will expire within a day under the native policies this apply put.
    pub ecr_will_expire: usize,
    /// Repositories with a failed call, a `failures[]` entry or a policy change not made.
    pub repositories_failed: usize,
    pub failed: bool,
}

impl ApplyReport {
    pub fn totals(&self) -> Totals {
        let rs = &self.repositories;
        Totals {
            repositories: rs.len(),
            images_deleted: self.deleted(),
            bytes_deleted: self.bytes_deleted(),
            images_archived: self.archived(),
            bytes_archived: self.bytes_archived(),
            images_skipped: rs
                .iter()
                .map(|r| {
                    r.already_gone.len()
                        + r.no_longer_expire.len()
                        + r.referenced_by_index.len()
                        + r.already_archived.len()
                        + r.no_longer_archive.len()
                })
                .sum(),
            ecr_will_expire: rs.iter().map(|r| r.ecr_will_expire).sum(),
            repositories_failed: rs.iter().filter(|r| r.failed()).count(),
            failed: self.failed(),
        }
    }
}
