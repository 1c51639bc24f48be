//! The policy file that says what a native policy's rule order suggests: the same rules,
//! first-match (no `evaluation: ecr`), lists of several entries as "any of these" (`tags`),
//! prefixes as globs. Rules that never govern an image in that reading are left out, with a
//! comment. Where the policy language cannot say a rule, the suggestion declines and says why.
//!
//! `import` writes the file that reproduces ECR's evaluation exactly; this one is what to
//! adopt instead once the findings are understood.

use crate::dsl;
use crate::glob::{Glob, GlobKind};
use crate::native::{ActionType, CountType, NativeRule, StorageClass, TagStatus, ValidPolicy};
use crate::source::SourceFile;

use super::ListKind;
use super::filter::{Filter, Reading, covering, quoted};
use crate::import::{json_string, unique_name};

/// Longest `within` a policy file can say, in days.
const MAX_DAYS: i64 = 36_500;

/// What lint suggests for a policy with findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suggestion {
    /// Policy file text (YAML) that parses and checks.
    Policy(String),
    /// Why no policy file is suggested.
    Declined(String),
}

pub(crate) fn suggest(policy: &ValidPolicy, repositories: Option<&[String]>) -> Suggestion {
    let text = match write(policy, repositories) {
        Ok(t) => t,
        Err(reason) => return Suggestion::Declined(reason),
    };
    // Only a file the DSL accepts is offered.
    match dsl::parse(&SourceFile::new("suggested.yaml", text.clone())) {
        Ok(_) => Suggestion::Policy(text),
        Err(errors) => Suggestion::Declined(format!(
            "the rewritten policy does not check: {}",
            errors
                .first()
                .map(|d| d.message.clone())
                .unwrap_or_default()
        )),
    }
}

fn write(policy: &ValidPolicy, repositories: Option<&[String]>) -> Result<String, String> {
    let mut rules: Vec<&NativeRule> = policy.rules.iter().collect();
    rules.sort_by_key(|r| r.rule_priority);
    let filters: Vec<Filter> = rules.iter().map(|r| Filter::of(r)).collect();

    let mut out = String::new();
    out.push_str(
        "# What the rule order of the native policy says, as a policy file: the first rule that\n\
         # matches an image governs it, a count ranks only the images its rule governs, and a list\n\
         # matches an image with a tag that any entry matches. `ecr-lifecycle compile` shows what\n\
         # ECR can then do natively and what the runner does.\n",
    );
    out.push_str("version: 1\n");
    match repositories {
        Some(r) => out.push_str(&format!("repositories: [{}]\n", quoted(r))),
        None => out.push_str(
            "# Without `repositories` the file governs every repository; name the ones it is for.\n",
        ),
    }
    // The archive storage class: one `any` rule by time in the archive is the `archive` section.
    let archived: Vec<&&NativeRule> = rules
        .iter()
        .filter(|r| r.storage_class() == StorageClass::Archive)
        .collect();
    match archived.as_slice() {
        [] => {}
        [rule] if rule.selection.tag_status == TagStatus::Any => {
            out.push_str(&format!(
                "archive:\n  expire_after: {}d\n",
                rule.selection.count_number
            ));
            if let Some(d) = &rule.description {
                out.push_str(&format!("  description: {}\n", json_string(d)));
            }
        }
        _ => {
            return Err(
                "the policy's rules for archived images select only some of them, and a policy file's `archive` section governs every archived image".into(),
            );
        }
    }
    out.push_str("rules:\n");
    let mut names: Vec<String> = Vec::new();
    for (i, (rule, filter)) in rules.iter().zip(&filters).enumerate() {
        if filter.class == StorageClass::Archive {
            continue;
        }
        let higher: Vec<&Filter> = filters[..i]
            .iter()
            .filter(|f| f.class == filter.class)
            .collect();
        if let Some(by) = covering(filter, &higher, Reading::Meant) {
            let by: Vec<String> = by.iter().map(|p| format!("rule {p}")).collect();
            out.push_str(&format!(
                "  # rule {} is left out: {} before it govern{} every image it matches.\n",
                filter.priority,
                by.join(" and "),
                if by.len() == 1 { "s" } else { "" }
            ));
            continue;
        }
        let name = unique_name(rule, &mut names);
        out.push_str(&format!("  - name: {name}\n"));
        if let Some(d) = &rule.description {
            out.push_str(&format!("    description: {}\n", json_string(d)));
        }
        if filter.entries.len() > 1 {
            out.push_str(&format!(
                "    # ECR reads the {} [{}] as AND.\n    # `tags` matches any of them; `tags_all` would match all of them.\n",
                filter.list.map_or("list", ListKind::member),
                quoted(&filter.texts),
            ));
        }
        out.push_str(&format!("    match: {}\n", matcher(filter)?));
        out.push_str(&format!("    keep: {}\n", keep(rule)?));
        if rule.action.action_type == ActionType::Transition {
            out.push_str("    otherwise: archive\n");
        }
    }
    if names.is_empty() {
        out.push_str("  []\n");
    }
    Ok(out)
}

/// The `match` of a rule, its list read as "any of these".
fn matcher(filter: &Filter) -> Result<String, String> {
    let p = filter.priority;
    match filter.status {
        TagStatus::Any => Ok("any".into()),
        TagStatus::Untagged => Ok("{ untagged: true }".into()),
        TagStatus::Tagged => {
            let prefixes = filter.list == Some(ListKind::Prefixes);
            let globs = filter
                .texts
                .iter()
                .map(|t| glob(t, prefixes, p))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("{{ tags: [{}] }}", quoted(&globs)))
        }
    }
}

/// A list entry as a policy-file glob, where `?` is a wildcard and only tag characters occur.
fn glob(text: &str, prefix: bool, priority: i64) -> Result<String, String> {
    if text.contains('?') || (prefix && text.contains('*')) {
        return Err(format!(
            "rule {priority}'s entry `{text}` can match no tag (ECR reads `?`{} literally), and a \
             policy file cannot say it",
            if prefix { " and `*` in a prefix" } else { "" }
        ));
    }
    let g = if prefix {
        format!("{text}*")
    } else {
        text.to_string()
    };
    Glob::parse(&g, GlobKind::Tag)
        .map(|_| g)
        .map_err(|e| format!("rule {priority}'s entry `{text}`: {}", e.message))
}

/// The `keep` of a rule read first-match.
fn keep(rule: &NativeRule) -> Result<String, String> {
    let sel = &rule.selection;
    let p = rule.rule_priority;
    match sel.count_type {
        CountType::ImageCountMoreThan => u32::try_from(sel.count_number)
            .map(|n| format!("{{ newest: {n} }}"))
            .map_err(|_| format!("rule {p} keeps more images than a policy file can count")),
        CountType::SinceImagePushed if sel.count_number <= MAX_DAYS => {
            Ok(format!("{{ within: {}d }}", sel.count_number))
        }
        CountType::SinceImagePulled if sel.count_number <= MAX_DAYS => {
            Ok(format!("{{ pulled_within: {}d }}", sel.count_number))
        }
        CountType::SinceImagePushed | CountType::SinceImagePulled => Err(format!(
            "rule {p} waits {} days, longer than the {MAX_DAYS} days a policy file can say",
            sel.count_number
        )),
        other => Err(format!(
            "rule {p} counts by `{}`, which a policy file cannot say",
            other.as_str()
        )),
    }
}
