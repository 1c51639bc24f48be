//! Native ECR lifecycle policies: the JSON model, the validator that refuses what ECR refuses,
//! and a simulator of what ECR does with a policy (DESIGN.md 3.2).
//!
//! A policy moves through the stages by type: text or code gives a [`LifecyclePolicy`],
//! [`validate`] or [`parse_and_validate`] turns it into a [`ValidPolicy`], and only a
//! `ValidPolicy` can be simulated.

pub mod error;
pub mod filter;
pub mod model;
pub mod simulate;
pub mod validate;

pub use error::{NativeError, NativeErrorKind, Position, RuleRef};
pub use filter::{ListKind, TagFilter};
pub use model::{
    Action, ActionType, Count, CountType, CountUnit, LifecyclePolicy, NativeRule, Selection,
    StorageClass, TagStatus,
};
pub use simulate::{Cause, Outcome, governing_rule, marked_by_rules, simulate};
pub use validate::{ValidPolicy, parse_and_validate, validate};

#[cfg(test)]
mod tests;
