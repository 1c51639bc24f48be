//! From an applied native lifecycle policy to a policy file that says the same: `evaluation:
//! ecr` keeps ECR's own evaluation, so compiling the file gives back exactly that policy.
//! Rules are named from their descriptions.

use crate::native::{ActionType, CountType, LifecyclePolicy, NativeRule, StorageClass, TagStatus};

/// The policy file text for `policy`, governing `repositories`.
pub fn to_dsl(policy: &LifecyclePolicy, repositories: &[String]) -> Result<String, String> {
    let mut rules = policy.rules.clone();
    rules.sort_by_key(|r| r.rule_priority);
    let mut out = String::new();
    out.push_str("# Imported from the native lifecycle policy applied to ");
    out.push_str(&repositories.join(", "));
    out.push_str(".\n# `evaluation: ecr` keeps ECR's evaluation, which is not first-match: a count includes images\n");
    out.push_str("# that higher-priority rules protect. To say what you mean with first-match rules, rewrite\n");
    out.push_str("# the rules and remove `evaluation: ecr` (`ecr-lifecycle compile` then shows what ECR can do).\n");
    out.push_str("version: 1\nevaluation: ecr\n");
    out.push_str(&format!("repositories: [{}]\n", quoted_list(repositories)));
    // ECR's archive storage class: one `any` rule that expires by time in the archive is what
    // the `archive` section says.
    let (archived, active): (Vec<_>, Vec<_>) = rules
        .iter()
        .partition(|r| r.storage_class() == StorageClass::Archive);
    let standard_max = active.iter().map(|r| r.rule_priority).max().unwrap_or(0);
    match archived.as_slice() {
        [] => {}
        [rule] => {
            let sel = &rule.selection;
            if sel.tag_status != TagStatus::Any {
                return Err(format!(
                    "rule {} selects only some archived images; the policy language's `archive` section governs every archived image",
                    rule.rule_priority
                ));
            }
            out.push_str(&format!(
                "archive:\n  expire_after: {}d\n",
                sel.count_number
            ));
            if let Some(d) = &rule.description {
                out.push_str(&format!("  description: {}\n", json_string(d)));
            }
            if rule.rule_priority != standard_max + 1 {
                out.push_str(&format!("  priority: {}\n", rule.rule_priority));
            }
        }
        _ => {
            return Err(
                "the policy has several rules for archived images; the policy language's `archive` section is one rule".into(),
            );
        }
    }
    if active.is_empty() {
        out.push_str("rules: []\n");
        return Ok(out);
    }
    out.push_str("rules:\n");
    let mut names: Vec<String> = Vec::new();
    for rule in active {
        let sel = &rule.selection;
        let priority = rule.rule_priority;
        let archive = rule.action.action_type == ActionType::Transition;
        let matcher = match sel.tag_status {
            TagStatus::Any => "any".to_string(),
            TagStatus::Untagged => "{ untagged: true }".to_string(),
            TagStatus::Tagged => match (&sel.tag_pattern_list, &sel.tag_prefix_list) {
                (Some(p), None) => format!("{{ tags_all: [{}] }}", quoted_list(p)),
                (None, Some(p)) => format!("{{ tag_prefixes: [{}] }}", quoted_list(p)),
                _ => return Err(format!("rule {priority} has no single tag list")),
            },
        };
        let keep = match sel.count_type {
            CountType::ImageCountMoreThan => format!("{{ newest: {} }}", sel.count_number),
            CountType::SinceImagePushed | CountType::SinceImagePulled
                if sel.count_number > 36_500 =>
            {
                return Err(format!(
                    "rule {priority} waits {} days, longer than the 36500 days a policy file can say",
                    sel.count_number
                ));
            }
            CountType::SinceImagePushed => format!("{{ within: {}d }}", sel.count_number),
            CountType::SinceImagePulled => {
                format!("{{ pulled_within: {}d }}", sel.count_number)
            }
            CountType::SinceImageTransitioned => {
                return Err(format!(
                    "rule {priority} counts by `sinceImageTransitioned` outside the archive storage class"
                ));
            }
        };
        let name = unique_name(rule, &mut names);
        out.push_str(&format!("  - name: {name}\n    priority: {priority}\n"));
        if let Some(d) = &rule.description {
            out.push_str(&format!("    description: {}\n", json_string(d)));
        }
        out.push_str(&format!("    match: {matcher}\n    keep: {keep}\n"));
        if archive {
            out.push_str("    otherwise: archive\n");
        }
    }
    Ok(out)
}

/// A rule name from the description (lower-case letters, digits, single dashes), or
/// `rule-N`; made unique with the priority.
pub(crate) fn unique_name(rule: &NativeRule, names: &mut Vec<String>) -> String {
    let priority = rule.rule_priority;
    let mut name = slug(rule.description.as_deref().unwrap_or(""))
        .unwrap_or_else(|| format!("rule-{priority}"));
    if names.contains(&name) {
        let suffix = format!("-{priority}");
        name.truncate(64usize.saturating_sub(suffix.len()));
        name = format!("{}{suffix}", name.trim_end_matches('-'));
    }
    names.push(name.clone());
    name
}

/// A rule name from a description: lower-case letters, digits and single dashes, at most 64.
fn slug(description: &str) -> Option<String> {
    let mut s = String::new();
    for c in description.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s: String = s.trim_end_matches('-').chars().take(64).collect();
    let s = s.trim_end_matches('-').to_string();
    (!s.is_empty()).then_some(s)
}

/// A YAML double-quoted scalar (JSON's string syntax is valid YAML).
pub(crate) fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

pub(crate) fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| json_string(i))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_descriptions() {
        assert_eq!(
            slug("Keep only 10 prod images!").as_deref(),
            Some("keep-only-10-prod-images")
        );
        assert_eq!(slug("  --  ").as_deref(), None);
        assert_eq!(slug(&"x".repeat(100)).map(|s| s.len()), Some(64));
    }
}
