//! The edges of ecr-lifecycle: registries (ECR through the AWS SDK, or a snapshot file), plans
//! made from what a registry holds, carrying a plan out, and drift between desired and applied
//! native policies. Decisions come from the pure compiler crate; this crate does the I/O and
//! hands the CLI data, which words it (`src/render/`).

pub mod apply;
pub mod drift;
pub mod explain;
pub mod in_use;
pub mod normalize;
pub mod pace;
pub mod plan;
pub mod planner;
pub mod registry;
#[cfg(feature = "s3")]
pub mod s3;
pub mod snapshot;
pub mod stats;
