//! From an applied native lifecycle policy to a policy file that says the same: `evaluation:
//! ecr` keeps ECR's own evaluation, so compiling the file gives back exactly that policy.
//! Rules are named from their descriptions.

use crate::native::{
    ActionType, CountType, NativeRule, StorageClass, TagFilter, TagStatus, ValidPolicy,
};
use crate::source::SourceFile;

/// The policy file text for `policy`, governing `repositories`. Every policy ECR accepts has
/// one; the text is checked to compile back to `policy` before it is returned.
pub fn to_dsl(policy: &ValidPolicy, repositories: &[String]) -> Result<String, String> {
    let text = write(policy, repositories)?;
    let file = SourceFile::new("imported.yaml", text.clone());
    let back = crate::parse(&file)
        .map_err(|errors| {
            let first = errors
                .first()
                .map(|d| d.message.clone())
                .unwrap_or_default();
            format!("internal: the imported file does not check: {first}")
        })
        .and_then(|p| {
            crate::translate::ecr_native(&p)
                .map(|(_, native)| native)
                .map_err(|_| "internal: the imported file has no native policy".to_string())
        })?;
    if canonical(back.as_policy().rules.clone()) != canonical(policy.rules.clone()) {
        return Err(
            "internal: the imported file does not compile back to the applied policy".into(),
        );
    }
    Ok(text)
}

/// Rules by priority, as JSON: two policies ECR evaluates alike compare equal.
fn canonical(mut rules: Vec<NativeRule>) -> String {
    rules.sort_by_key(|r| r.rule_priority);
    crate::native::LifecyclePolicy::new(rules).to_json_pretty()
}

fn write(policy: &ValidPolicy, repositories: &[String]) -> Result<String, String> {
    let mut rules: Vec<Filtered> = policy.filtered_rules().collect();
    rules.sort_by_key(|(r, _)| r.rule_priority);
    let mut out = String::new();
    out.push_str("# Imported from the native lifecycle policy applied to ");
    out.push_str(&repositories.join(", "));
    out.push_str(".\n# `evaluation: ecr` keeps ECR's evaluation, which is not first-match: a count includes images\n");
    out.push_str("# that higher-priority rules protect. To say what you mean with first-match rules, rewrite\n");
    out.push_str("# the rules and remove `evaluation: ecr` (`ecr-lifecycle compile` then shows what ECR can do).\n");
    out.push_str("version: 1\nevaluation: ecr\n");
    out.push_str(&format!("repositories: [{}]\n", quoted_list(repositories)));
    let (archived, active): (Vec<Filtered>, Vec<Filtered>) = rules
        .into_iter()
        .partition(|(r, _)| r.storage_class() == StorageClass::Archive);
    let mut names: Vec<String> = Vec::new();
    out.push_str(&archive_section(&archived, &active, &mut names)?);
    if active.is_empty() {
        out.push_str("rules: []\n");
        return Ok(out);
    }
    out.push_str("rules:\n");
    for (rule, filter) in active {
        let sel = &rule.selection;
        let priority = rule.rule_priority;
        let archive = rule.action.action_type == ActionType::Transition;
        let keep = match sel.count_type {
            CountType::ImageCountMoreThan => format!("{{ newest: {} }}", sel.count_number),
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
            out.push_str(&format!("    description: {}\n", yaml_string(d)));
        }
        out.push_str(&format!(
            "    match: {}\n    keep: {keep}\n",
            matcher(filter)
        ));
        if archive {
            out.push_str("    otherwise: archive\n");
        }
    }
    Ok(out)
}

/// The `archive` section for the rules of the archive storage class (by priority): the `any`
/// rule, which ECR evaluates last, is `expire_after`; every other one is an archive rule.
fn archive_section(
    archived: &[Filtered],
    active: &[Filtered],
    names: &mut Vec<String>,
) -> Result<String, String> {
    if archived.is_empty() {
        return Ok(String::new());
    }
    let days = |rule: &NativeRule| match rule.selection.count_type {
        CountType::SinceImageTransitioned => Ok(format!("{}d", rule.selection.count_number)),
        other => Err(format!(
            "rule {} counts archived images by `{}`",
            rule.rule_priority,
            other.as_str()
        )),
    };
    let mut out = String::from("archive:\n");
    let (default, listed): (Vec<Filtered>, Vec<Filtered>) = archived
        .iter()
        .partition(|(_, filter)| filter.status() == TagStatus::Any);
    if let Some((rule, _)) = default.first() {
        out.push_str(&format!("  expire_after: {}\n", days(rule)?));
        if let Some(d) = &rule.description {
            out.push_str(&format!("  description: {}\n", yaml_string(d)));
        }
        // `expire_after`'s priority defaults to one after every other rule's.
        let after = active
            .iter()
            .chain(&listed)
            .map(|(r, _)| r.rule_priority)
            .max()
            .unwrap_or(0)
            + 1;
        if rule.rule_priority != after {
            out.push_str(&format!("  priority: {}\n", rule.rule_priority));
        }
    }
    if !listed.is_empty() {
        out.push_str("  rules:\n");
    }
    for (rule, filter) in listed {
        let priority = rule.rule_priority;
        let name = unique_name(rule, names);
        out.push_str(&format!("    - name: {name}\n      priority: {priority}\n"));
        if let Some(d) = &rule.description {
            out.push_str(&format!("      description: {}\n", yaml_string(d)));
        }
        out.push_str(&format!(
            "      match: {}\n      expire_after: {}\n",
            matcher(filter),
            days(rule)?
        ));
    }
    Ok(out)
}

/// A rule of the applied policy, with its tag filter.
type Filtered<'a> = (&'a NativeRule, &'a TagFilter);

/// A tag filter as a `match`, verbatim.
fn matcher(filter: &TagFilter) -> String {
    match filter {
        TagFilter::Any => "any".to_string(),
        TagFilter::Untagged => "{ untagged: true }".to_string(),
        TagFilter::Tagged(p) => format!("{{ tags_all: [{}] }}", quoted_list(p)),
        TagFilter::TaggedPrefixes(p) => format!("{{ tag_prefixes: [{}] }}", quoted_list(p)),
    }
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

/// A YAML double-quoted scalar that reads back as exactly `s`: JSON's string syntax, with the
/// characters YAML does not allow as they are (other control characters, a byte-order mark,
/// non-characters) escaped too.
pub(crate) fn yaml_string(s: &str) -> String {
    let json = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    json.chars()
        .map(|c| {
            let printable = matches!(c, '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
                && !matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}');
            // Everything not printable is below U+10000.
            if printable {
                c.to_string()
            } else {
                format!("\\u{:04x}", u32::from(c))
            }
        })
        .collect()
}

pub(crate) fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| yaml_string(i))
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
