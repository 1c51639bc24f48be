//! Lint reports as text for people (findings under their policy, examples as small tables)
//! and as one JSON document for machines.

use std::collections::HashMap;

use ecr_lifecycle_compiler::image::Digest;
use ecr_lifecycle_compiler::lint::{Example, Fate, Finding, Row, Suggestion};
use ecr_lifecycle_runtime::render::{Kind, Lines};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::{Linted, Source};

/// Width text is wrapped to.
const WIDTH: usize = 96;
/// Runs of this many alike rows or more are shortened to their first and last.
const RUN: usize = 4;

pub(super) fn text(linted: &[Linted], now: Timestamp) -> Lines {
    let mut out = Lines::new();
    for l in linted {
        out.push((Kind::Heading, heading(&l.source)));
        if l.report.findings.is_empty() {
            out.push((Kind::Plain, "  No findings.".into()));
        }
        for f in &l.report.findings {
            out.push((Kind::Plain, String::new()));
            finding(&mut out, f, &l.source, now);
        }
        match &l.report.suggestion {
            None => {}
            Some(Suggestion::Declined(reason)) => {
                out.push((Kind::Plain, String::new()));
                wrap(
                    &mut out,
                    Kind::Note,
                    &format!("No policy file is suggested: {reason}."),
                    2,
                );
            }
            Some(Suggestion::Policy(yaml)) => {
                out.push((Kind::Plain, String::new()));
                out.push((
                    Kind::Heading,
                    "  Suggested policy file, the rules as their order reads (first-match):".into(),
                ));
                for line in yaml.lines() {
                    out.push((Kind::Plain, format!("    {line}")));
                }
            }
        }
        out.push((Kind::Plain, String::new()));
    }
    if !linted.is_empty() {
        out.push((Kind::Plain, summary(linted)));
    }
    out
}

fn heading(source: &Source) -> String {
    match source {
        Source::File(name) => name.clone(),
        Source::Repositories(r) => format!(
            "Repositor{} {}",
            if r.len() == 1 { "y" } else { "ies" },
            r.join(", ")
        ),
    }
}

fn summary(linted: &[Linted]) -> String {
    let findings: usize = linted.iter().map(|l| l.report.findings.len()).sum();
    let policies = match linted.len() {
        1 => "1 policy".to_string(),
        n => format!("{n} policies"),
    };
    match findings {
        0 => format!("No findings in {policies}."),
        1 => format!("1 finding in {policies}."),
        n => format!("{n} findings in {policies}."),
    }
}

fn finding(out: &mut Lines, f: &Finding, source: &Source, now: Timestamp) {
    let rule = match f.rule {
        Some(r) => format!("rule {}", r.priority),
        None => "the policy".into(),
    };
    let at = match (source, location(f, source)) {
        (Source::File(_), Some(loc)) => format!(" ({loc})"),
        _ => String::new(),
    };
    out.push((Kind::Warning, format!("  {}: {rule}{at}", f.kind.as_str())));
    wrap(out, Kind::Plain, &f.message, 4);
    if let Some(e) = &f.example {
        out.push((Kind::Note, format!("    Example, at {now}:")));
        for line in table(e, now) {
            out.push((Kind::Plain, format!("      {line}")));
        }
        wrap(out, Kind::Plain, &e.explanation, 4);
    }
}

/// `file:line:col` of the rule, when the policy came from a file.
fn location(f: &Finding, source: &Source) -> Option<String> {
    match (source, f.position) {
        (Source::File(name), Some(p)) => Some(format!("{name}:{}:{}", p.line, p.column)),
        _ => None,
    }
}

/// The example's images: place, digest, tags, age, what ECR does, what the rule order says.
fn table(e: &Example, now: Timestamp) -> Vec<String> {
    let place: HashMap<Digest, usize> = e
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.image.digest, i + 1))
        .collect();
    let mut parent: HashMap<Digest, usize> = HashMap::new();
    for (i, r) in e.rows.iter().enumerate() {
        for c in r.image.children.iter() {
            parent.insert(*c, i + 1);
        }
    }
    let header = ["#", "digest", "tags", "pushed", "ECR", "rule order"].map(String::from);
    let cells: Vec<[String; 6]> = e
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            [
                format!("{}", i + 1),
                short(&r.image.digest),
                tags(r, &place, &parent),
                format!("{} ago", age(now.duration_since(r.image.pushed_at))),
                fate(r.ecr),
                fate(r.meant),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.len());
    for c in cells.iter().chain(std::iter::once(&header)) {
        for (w, s) in widths.iter_mut().zip(c) {
            *w = (*w).max(s.chars().count());
        }
    }
    let line = |c: &[String; 6]| {
        let mut s = format!("{:>w$}", c[0], w = widths[0]);
        for (cell, w) in c.iter().zip(widths).skip(1) {
            s.push_str(&format!("  {cell:<w$}"));
        }
        s.trim_end().to_string()
    };
    let mut out = vec![line(&header)];
    for run in runs(&e.rows) {
        if run.len() >= RUN {
            out.push(line(&cells[run.start]));
            out.push(format!(
                "{:>w$}  ... {} more like #{}",
                "",
                run.len() - 2,
                run.start + 1,
                w = widths[0]
            ));
            out.push(line(&cells[run.end - 1]));
        } else {
            out.extend(cells[run].iter().map(line));
        }
    }
    out
}

/// Consecutive rows alike in everything the table shows but their names and times.
fn runs(rows: &[Row]) -> Vec<std::ops::Range<usize>> {
    let key = |r: &Row| {
        (
            r.image.tags.len(),
            r.image.children.is_empty(),
            r.ecr,
            r.meant,
        )
    };
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match out.last_mut() {
            Some(run) if key(&rows[run.start]) == key(r) => run.end = i + 1,
            _ => out.push(i..i + 1),
        }
    }
    out
}

fn short(d: &Digest) -> String {
    let full = d.to_string();
    full.get(7..19).unwrap_or(&full).to_string()
}

fn tags(r: &Row, place: &HashMap<Digest, usize>, parent: &HashMap<Digest, usize>) -> String {
    let mut s = if r.image.tags.is_empty() {
        "-".to_string()
    } else {
        r.image.tags.join(", ")
    };
    let children: Vec<String> = r
        .image
        .children
        .iter()
        .filter_map(|c| place.get(c))
        .map(|p| format!("#{p}"))
        .collect();
    if !children.is_empty() {
        s.push_str(&format!(" (index of {})", children.join(", ")));
    }
    if let Some(p) = parent.get(&r.image.digest) {
        s.push_str(&format!(" (in index #{p})"));
    }
    s
}

fn fate(f: Fate) -> String {
    match f.rule {
        Some(p) => format!("{} (rule {p})", f.treatment.as_str()),
        None => format!("{} (no rule)", f.treatment.as_str()),
    }
}

/// `14d 1h 1m`, leaving out zero parts.
fn age(d: SignedDuration) -> String {
    let mins = d.as_secs().max(0) / 60;
    let (days, hours, mins) = (mins / 1440, mins / 60 % 24, mins % 60);
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (mins, "m")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if parts.is_empty() {
        "0m".into()
    } else {
        parts.join(" ")
    }
}

/// Words wrapped to the width, indented.
fn wrap(out: &mut Lines, kind: Kind, text: &str, indent: usize) {
    let pad = " ".repeat(indent);
    let mut line = pad.clone();
    for word in text.split_whitespace() {
        if line.len() > indent && line.len() + 1 + word.len() > WIDTH {
            out.push((kind, std::mem::replace(&mut line, pad.clone())));
        }
        if line.len() > indent {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.len() > indent {
        out.push((kind, line));
    }
}

/// One document: the time, each policy with its findings and suggestion, and totals.
pub(super) fn json(linted: &[Linted], now: Timestamp) -> String {
    let policies: Vec<Value> = linted
        .iter()
        .map(|l| {
            let (file, repositories) = match &l.source {
                Source::File(name) => (json!(name), Value::Null),
                Source::Repositories(r) => (Value::Null, json!(r)),
            };
            let suggestion = match &l.report.suggestion {
                None => Value::Null,
                Some(Suggestion::Policy(text)) => json!({ "policy": text }),
                Some(Suggestion::Declined(reason)) => json!({ "declined": reason }),
            };
            let findings: Vec<Value> = l
                .report
                .findings
                .iter()
                .map(|f| finding_json(f, &l.source))
                .collect();
            json!({
                "file": file,
                "repositories": repositories,
                "findings": findings,
                "suggestion": suggestion,
            })
        })
        .collect();
    let findings: usize = linted.iter().map(|l| l.report.findings.len()).sum();
    let doc = json!({
        "now": now.to_string(),
        "policies": policies,
        "summary": { "policies": linted.len(), "findings": findings },
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

fn finding_json(f: &Finding, source: &Source) -> Value {
    let rule = |r: Option<ecr_lifecycle_compiler::native::RuleRef>| match r {
        Some(r) => json!({ "index": r.index, "priority": r.priority }),
        None => Value::Null,
    };
    let example = match &f.example {
        None => Value::Null,
        Some(e) => json!({
            "explanation": e.explanation,
            "images": e.rows.iter().map(|r| json!({
                "image": r.image.to_detail_json(None),
                "ecr": fate_json(r.ecr),
                "ruleOrder": fate_json(r.meant),
            })).collect::<Vec<_>>(),
        }),
    };
    json!({
        "kind": f.kind.as_str(),
        "rule": rule(f.rule),
        "otherRule": rule(f.other),
        "location": location(f, source),
        "message": f.message,
        "example": example,
    })
}

fn fate_json(f: Fate) -> Value {
    json!({ "action": f.treatment.as_str(), "rule": f.rule })
}
