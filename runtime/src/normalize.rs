//! A lifecycle policy in one canonical text, so that two policies that mean the same compare
//! equal: rules by priority, keys in ECR's documented order, fixed indentation.

use ecr_lifecycle_compiler::native::LifecyclePolicy;
use serde_json::Value;

/// The canonical text of a policy. Text that is not a policy this tool models is still
/// normalised as JSON (sorted keys, rules by priority), and text that is not JSON is kept.
pub fn normalize(text: &str) -> String {
    if let Ok(mut p) = LifecyclePolicy::from_json(text) {
        p.rules.sort_by_key(|r| r.rule_priority);
        return p.to_json_pretty();
    }
    match serde_json::from_str::<Value>(text) {
        Ok(mut v) => {
            if let Some(rules) = v.get_mut("rules").and_then(Value::as_array_mut) {
                rules.sort_by_key(|r| {
                    r.get("rulePriority")
                        .and_then(Value::as_i64)
                        .unwrap_or(i64::MAX)
                });
            }
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| text.to_string())
        }
        Err(_) => text.to_string(),
    }
}

/// Whether two policy texts mean the same policy.
pub fn same_policy(a: &str, b: &str) -> bool {
    normalize(a) == normalize(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_whitespace_and_rule_order_do_not_matter() {
        let a = r#"{"rules":[{"rulePriority":2,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}},
            {"rulePriority":1,"selection":{"countNumber":3,"countUnit":"days","countType":"sinceImagePushed","tagStatus":"untagged"},"action":{"type":"expire"}}]}"#;
        let b = r#"{"rules":[{"action":{"type":"expire"},"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":3}},
            {"rulePriority":2,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}}]}"#;
        assert!(same_policy(a, b));
        assert!(!same_policy(
            a,
            &b.replace("\"countNumber\":5", "\"countNumber\":6")
        ));
        assert!(
            normalize(a).find("\"rulePriority\": 1").unwrap()
                < normalize(a).find("\"rulePriority\": 2").unwrap()
        );
    }

    #[test]
    fn unknown_shapes_are_still_compared_as_json() {
        let a = r#"{"rules":[{"rulePriority":1,"newField":true}]}"#;
        let b = r#"{ "rules" : [ { "newField" : true, "rulePriority" : 1 } ] }"#;
        assert!(same_policy(a, b));
        assert_eq!(normalize("not json"), "not json");
    }
}
