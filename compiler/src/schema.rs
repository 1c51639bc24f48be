//! The JSON Schema of policy files, generated from the DSL's syntax types so that it cannot
//! disagree with the parser about the shape of a file.

use crate::dsl::syntax::PolicyDoc;

/// The schema as pretty-printed JSON with a trailing newline (the form committed in
/// `schemas/policy.schema.json`).
pub fn policy_schema_json() -> String {
    let schema = schemars::schema_for!(PolicyDoc);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
