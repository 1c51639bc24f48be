//! What ECR itself accepts, from the ECR user guide ("Lifecycle policy properties", the service
//! quotas, `PutLifecyclePolicy`). Defined once: the DSL, the validator, the compiler and the
//! planner all check against these.

/// Most rules in one policy ("Rules per lifecycle policy" quota).
pub const MAX_RULES: usize = 50;
/// Most characters of policy text ("Lifecycle policy length" quota, `PutLifecyclePolicy`).
pub const MAX_POLICY_CHARS: usize = 30_720;
/// Fewest characters of policy text (`PutLifecyclePolicy` length constraint).
pub const MIN_POLICY_CHARS: usize = 100;
/// Most `*` wildcards in one tag pattern.
pub const MAX_WILDCARDS: usize = 4;
/// Fewest days an archived image stays before a rule may delete it; ECR bills 90 days of
/// archive storage whatever happens.
pub const MIN_ARCHIVE_DAYS: i64 = 90;
/// Largest `rulePriority` and `countNumber`: ECR's integers have 32 bits.
pub const MAX_INTEGER: i64 = i32::MAX as i64;
