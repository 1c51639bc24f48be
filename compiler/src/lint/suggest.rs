//! The policy file that says what a native policy's rule order suggests: the same rules,
//! first-match (no `evaluation: ecr`), lists of several entries as "any of these" (`tags`),
//! prefixes as globs; rules of the archive storage class as archive rules, their `any` rule as
//! `archive.expire_after`. Rules that never govern an image in that reading are left out, with
//! a comment. Where the policy language cannot say a rule, the suggestion declines and says why.
//!
//! `import` writes the file that reproduces ECR's evaluation exactly; this one is what to
//! adopt instead once the findings are understood.

use crate::glob::{Glob, GlobKind};
use crate::native::{
    ActionType, CountType, ListKind, NativeRule, StorageClass, TagStatus, ValidPolicy,
};
use crate::source::SourceFile;

use super::filter::{Filter, Reading, covering, quoted};
use crate::import::{unique_name, yaml_string};

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
    match crate::parse(&SourceFile::new("suggested.yaml", text.clone())) {
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
    let mut pairs: Vec<(&NativeRule, Filter)> = policy
        .filtered_rules()
        .map(|(r, f)| (r, Filter::of(r, f)))
        .collect();
    pairs.sort_by_key(|(r, _)| r.rule_priority);
    let (rules, filters): (Vec<&NativeRule>, Vec<Filter>) = pairs.into_iter().unzip();

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
    let mut names: Vec<String> = Vec::new();
    out.push_str(&archive_section(&rules, &filters, &mut names)?);
    out.push_str("rules:\n");
    let mut listed = false;
    // Consecutive rules that each keep the newest N of one tag family: (name, family), N.
    let mut families: Vec<(String, &str)> = Vec::new();
    let mut family_count = 0;
    for (i, (rule, filter)) in rules.iter().zip(&filters).enumerate() {
        if filter.class == StorageClass::Archive {
            continue;
        }
        let higher: Vec<&Filter> = filters[..i]
            .iter()
            .filter(|f| f.class == filter.class)
            .collect();
        if let Some(by) = covering(filter, &higher, Reading::Meant) {
            out.push_str(&per_family_hint(&families, family_count));
            families.clear();
            out.push_str(&left_out("  ", filter.priority, &by));
            continue;
        }
        listed = true;
        let name = unique_name(rule, &mut names);
        match count_of_family(rule, filter) {
            Some((n, family)) if families.is_empty() || n == family_count => {
                families.push((name.clone(), family));
                family_count = n;
            }
            other => {
                out.push_str(&per_family_hint(&families, family_count));
                families.clear();
                if let Some((n, family)) = other {
                    families.push((name.clone(), family));
                    family_count = n;
                }
            }
        }
        out.push_str(&format!("  - name: {name}\n"));
        if let Some(d) = &rule.description {
            out.push_str(&format!("    description: {}\n", yaml_string(d)));
        }
        if filter.entries.len() > 1 {
            out.push_str(&format!(
                "    # ECR reads the {} [{}] as AND.\n    # `tags` matches any of them; `tags_all` would match all of them.\n",
                filter.tags.list().map_or("list", |(kind, _)| kind.member()),
                quoted(filter.texts()),
            ));
        }
        out.push_str(&format!("    match: {}\n", matcher(filter)?));
        out.push_str(&format!("    keep: {}\n", keep(rule)?));
        if rule.action.action_type == ActionType::Transition {
            out.push_str("    otherwise: archive\n");
        }
    }
    out.push_str(&per_family_hint(&families, family_count));
    if !listed {
        out.push_str("  []\n");
    }
    Ok(out)
}

/// The count and the tag family of a rule that expires all but the newest N images of one
/// family: one prefix, or one pattern `LITERAL*`.
fn count_of_family<'a>(rule: &NativeRule, filter: &'a Filter) -> Option<(i64, &'a str)> {
    let sel = &rule.selection;
    if sel.count_type != CountType::ImageCountMoreThan
        || rule.action.action_type != ActionType::Expire
    {
        return None;
    }
    let (kind, [text]) = filter.tags.list()? else {
        return None;
    };
    let literal = match kind {
        ListKind::Prefixes => text.as_str(),
        ListKind::Patterns => text.strip_suffix('*')?,
    };
    (!literal.is_empty() && !literal.contains(['*', '?'])).then_some((sel.count_number, literal))
}

/// After several rules that each keep the newest N of one tag family (one rule per
/// environment, per major version): the one rule that counts per family (DESIGN.md §3.5), as
/// a comment. It is not the same policy, so it is offered, not written: an image then counts in
/// every family its tags name, and families added later are counted too.
fn per_family_hint(families: &[(String, &str)], count: i64) -> String {
    if families.len() < 2 {
        return String::new();
    }
    let globs: Vec<String> = families.iter().map(|(_, f)| format!("{f}*")).collect();
    // Tags hold letters, digits, `_`, `.` and `-`; of these only `.` means something in a regex.
    let alternatives: Vec<String> = families
        .iter()
        .map(|(_, f)| f.replace('.', r"\."))
        .collect();
    let rule = format!(
        "  - name: per-family\n    match: {{ tags: [{}] }}\n    keep: {{ newest: {count}, per: '({}).*' }}\n",
        quoted(&globs),
        alternatives.join("|")
    );
    // Only a rule the DSL accepts is offered.
    let check = SourceFile::new("hint.yaml", format!("version: 1\nrules:\n{rule}"));
    if crate::parse(&check).is_err() {
        return String::new();
    }
    let names: Vec<String> = families.iter().map(|(n, _)| format!("`{n}`")).collect();
    let names = match names.split_last() {
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    };
    let mut out = format!("  # Rules {names} each keep the newest {count} of one tag family.\n");
    out.push_str(
        "  # One rule can count per family, families added later included (an image then counts\n  \
         # in every family its tags name):\n",
    );
    for line in rule.lines() {
        out.push_str(&format!("  #{}\n", &line[1..]));
    }
    out
}

/// A comment saying why a rule is left out.
fn left_out(indent: &str, priority: i64, by: &[i64]) -> String {
    let by: Vec<String> = by.iter().map(|p| format!("rule {p}")).collect();
    format!(
        "{indent}# rule {priority} is left out: {} before it govern{} every image it matches.\n",
        by.join(" and "),
        if by.len() == 1 { "s" } else { "" }
    )
}

/// The `archive` section for the rules of the archive storage class: archive rules, first
/// match, and the `any` rule (which ECR takes last) as `expire_after`.
fn archive_section(
    rules: &[&NativeRule],
    filters: &[Filter],
    names: &mut Vec<String>,
) -> Result<String, String> {
    let archived: Vec<(&NativeRule, &Filter)> = rules
        .iter()
        .copied()
        .zip(filters)
        .filter(|(_, f)| f.class == StorageClass::Archive)
        .collect();
    if archived.is_empty() {
        return Ok(String::new());
    }
    let mut section = String::from("archive:\n");
    let mut listed = String::new();
    for (i, (rule, filter)) in archived.iter().enumerate() {
        let higher: Vec<&Filter> = archived[..i].iter().map(|(_, f)| *f).collect();
        if let Some(by) = covering(filter, &higher, Reading::Meant) {
            section.push_str(&left_out("  ", filter.priority, &by));
            continue;
        }
        let days = match rule.selection.count_type {
            CountType::SinceImageTransitioned => format!("{}d", rule.selection.count_number),
            other => {
                return Err(format!(
                    "rule {} counts archived images by `{}`, which a policy file cannot say",
                    filter.priority,
                    other.as_str()
                ));
            }
        };
        if filter.status() == TagStatus::Any {
            section.push_str(&format!("  expire_after: {days}\n"));
            if let Some(d) = &rule.description {
                section.push_str(&format!("  description: {}\n", yaml_string(d)));
            }
            continue;
        }
        let name = unique_name(rule, names);
        listed.push_str(&format!("    - name: {name}\n"));
        if let Some(d) = &rule.description {
            listed.push_str(&format!("      description: {}\n", yaml_string(d)));
        }
        if filter.entries.len() > 1 {
            listed.push_str(&format!(
                "      # ECR reads the {} [{}] as AND.\n      # `tags` matches any of them; `tags_all` would match all of them.\n",
                filter.tags.list().map_or("list", |(kind, _)| kind.member()),
                quoted(filter.texts()),
            ));
        }
        listed.push_str(&format!(
            "      match: {}\n      expire_after: {days}\n",
            matcher(filter)?
        ));
    }
    if !listed.is_empty() {
        section.push_str("  rules:\n");
        section.push_str(&listed);
    }
    Ok(section)
}

/// The `match` of a rule, its list read as "any of these".
fn matcher(filter: &Filter) -> Result<String, String> {
    let p = filter.priority;
    match filter.status() {
        TagStatus::Any => Ok("any".into()),
        TagStatus::Untagged => Ok("{ untagged: true }".into()),
        TagStatus::Tagged => {
            let prefixes = filter.tags.list().map(|(kind, _)| kind) == Some(ListKind::Prefixes);
            let globs = filter
                .texts()
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
        CountType::SinceImagePushed => Ok(format!("{{ within: {}d }}", sel.count_number)),
        CountType::SinceImagePulled => Ok(format!("{{ pulled_within: {}d }}", sel.count_number)),
        other => Err(format!(
            "rule {p} counts by `{}`, which a policy file cannot say",
            other.as_str()
        )),
    }
}
