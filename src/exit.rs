//! Exit codes, in one place, with Terraform's `-detailed-exitcode` meanings.

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing to do, no drift, valid.
    Success,
    /// Something failed: bad input, an API error.
    Failure,
    /// It worked and found changes (or drift, or stale output).
    Changes,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(match s {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Changes => 2,
        })
    }
}
