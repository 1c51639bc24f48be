//! The retention DSL: YAML text → [`syntax`] (serde, with spans) → checked [`Policy`].

pub mod claims;
mod lower;
pub mod policy;
pub mod public;
pub mod syntax;

pub use policy::Policy;

use crate::diagnostic::Diagnostic;
use crate::source::{SourceFile, Span};

/// Largest policy file accepted; a policy is a few kilobytes, so this only stops abuse.
const MAX_POLICY_BYTES: usize = 4 << 20;

/// Parses and checks one policy file, reporting every error found.
pub fn parse(file: &SourceFile) -> Result<Policy, Vec<Diagnostic>> {
    if file.text.len() > MAX_POLICY_BYTES {
        return Err(vec![Diagnostic::file_error(format!(
            "the file is {} bytes; a policy file may have at most {MAX_POLICY_BYTES}",
            file.text.len()
        ))]);
    }
    let doc = parse_syntax(file).map_err(|d| vec![d])?;
    lower::lower(doc, file)
}

/// The policy's meaning as text: its syntax tree as JSON, so comments, layout, quoting and key
/// order do not change it. A plan records its hash, and `apply` refuses a plan only when the
/// meaning of a file changed. A file that does not parse is its own text.
pub fn normal_form(file: &SourceFile) -> String {
    parse_syntax(file)
        .ok()
        .and_then(|doc| serde_json::to_string(&doc).ok())
        .unwrap_or_else(|| file.text.clone())
}

/// Reads the YAML into the syntax types. YAML and shape errors stop at the first one (serde
/// cannot resume), rewritten to name the DSL's keys and to suggest near misses.
pub fn parse_syntax(file: &SourceFile) -> Result<syntax::PolicyDoc, Diagnostic> {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    serde_saphyr::from_str_with_options::<syntax::PolicyDoc>(&file.text, options)
        .map_err(|e| yaml_error(&e, file))
}

fn yaml_error(e: &serde_saphyr::Error, file: &SourceFile) -> Diagnostic {
    let raw = e.without_snippet().to_string();
    // The library appends the position, which the rendered snippet shows anyway.
    let message = match raw.rfind(" at line ") {
        Some(i) => raw[..i].to_string(),
        None => raw,
    };
    let span = e.location().map_or(Span::default(), |loc| {
        let s = loc.span();
        match (s.byte_offset(), s.byte_len()) {
            (Some(o), Some(l)) if o < u64::from(u32::MAX) => {
                Span::new(o as usize, (o + l) as usize)
            }
            _ => offset_of(file, loc.line() as usize, loc.column() as usize),
        }
    });
    let (message, help) = explain(&message);
    let mut d = Diagnostic::error(message, span);
    if let Some(h) = help {
        d = d.with_help(h);
    }
    d
}

/// The byte offset of a 1-based line and column.
fn offset_of(file: &SourceFile, line: usize, column: usize) -> Span {
    let start: usize = file
        .text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = file.text.get(start..).unwrap_or("");
    let col: usize = rest
        .chars()
        .take(column.saturating_sub(1))
        .map(char::len_utf8)
        .sum();
    Span::new(start + col, start + col)
}

/// Turns library wording into DSL wording, with a hint where one helps.
fn explain(message: &str) -> (String, Option<String>) {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let candidates: Vec<&str> = expected
            .trim_start_matches(", expected one of ")
            .trim_start_matches(", expected ")
            .split(", ")
            .map(|c| c.trim_matches('`'))
            .filter(|c| !c.is_empty() && !c.starts_with("there are no fields"))
            .collect();
        let help = match closest(field, &candidates) {
            Some(c) => format!("did you mean `{c}`?"),
            None if candidates.is_empty() => "remove it".to_string(),
            None => format!(
                "the keys allowed here are {}",
                candidates
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return (format!("unknown key `{field}`"), Some(help));
    }
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest);
        return (
            format!("duplicate key `{key}`"),
            Some("each key may appear once in a map".into()),
        );
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return (format!("missing key `{field}`"), None);
    }
    if let Some((value, expected)) = message
        .strip_prefix("unknown variant `")
        .and_then(|rest| rest.split_once("`, expected "))
    {
        let words: Vec<&str> = expected
            .trim_start_matches("one of ")
            .split(", ")
            .flat_map(|w| w.split(" or "))
            .map(|w| w.trim_matches('`'))
            .filter(|w| !w.is_empty())
            .collect();
        let listed: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
        let listed = match listed.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        let help = closest(value, &words).map(|w| format!("did you mean `{w}`?"));
        return (format!("unknown value `{value}`: expected {listed}"), help);
    }
    if message.starts_with("invalid boolean") {
        return (
            "expected `true` or `false`".into(),
            Some("YAML 1.1 words like `yes` and `on` are not booleans here".into()),
        );
    }
    if let Some((value, expected)) = message
        .strip_prefix("invalid value: string ")
        .and_then(|rest| rest.split_once(", expected "))
    {
        let words: Vec<&str> = ["any", "all", "none"]
            .into_iter()
            .filter(|w| expected.contains(&format!("`{w}`")))
            .collect();
        let help = closest(value.trim_matches('"'), &words).map(|w| format!("did you mean `{w}`?"));
        return (format!("unexpected {value}: expected {expected}"), help);
    }
    (message.to_string(), None)
}

/// The candidate nearest to `word`, if it is near enough to be a likely typo.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests;
