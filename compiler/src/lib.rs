//! The pure core of ecr-lifecycle: the retention DSL, a model of native ECR lifecycle
//! policies with ECR's own evaluation, the reference semantics of a DSL policy, and the
//! compiler that splits a policy into what ECR can do natively and what must run at runtime.
//!
//! Nothing here touches the network or the clock: the current time is always an argument.

pub mod bulk;
pub mod decide;
pub mod diagnostic;
pub mod dsl;
pub mod duration;
pub mod glob;
pub mod image;
pub mod import;
pub mod in_use;
pub mod limits;
pub mod lint;
pub mod native;
pub mod reference;
pub mod schema;
pub mod source;
pub mod split;
pub mod translate;
pub mod version;

/// Reads and checks a policy file: the DSL (`dsl::parse`: syntax, values, positions), then,
/// for `evaluation: ecr`, that ECR can carry every rule. Holding the result proves both.
pub fn parse(file: &source::SourceFile) -> Result<dsl::Policy, Vec<diagnostic::Diagnostic>> {
    let policy = dsl::parse(file)?;
    translate::check_ecr(&policy)?;
    Ok(policy)
}
