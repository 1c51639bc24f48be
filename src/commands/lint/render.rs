//! Lint reports as text for people (findings under their policy by consequence, examples as
//! small tables of the rows that make the point, a note every policy shares said once) and as
//! one JSON document for machines. Every sentence is made here, from the findings' data.

use std::collections::HashMap;

use ecr_lifecycle_compiler::image::Digest;
use ecr_lifecycle_compiler::lint::{
    Example, Fate, Finding, Indexes, Issue, Row, RuleFilter, Severity, Shows, Suggestion, Treatment,
};
use ecr_lifecycle_compiler::native::{ActionType, RuleRef, TagFilter};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::{Linted, Source};
use crate::render::{Kind, Lines};

/// Width text is wrapped to.
const WIDTH: usize = 96;
/// Rows shown before and after a run of rows a text table leaves out.
const HEAD: usize = 3;
const TAIL: usize = 3;
/// Rules a note shared by several policies names before it says how many more.
const NAMED: usize = 5;

pub(super) fn text(linted: &[Linted], now: Timestamp) -> Lines {
    let mut out = Lines::new();
    // Notes that would say the same of every policy are said once, after the policies.
    let mut shared: Vec<(&Finding, &Source)> = Vec::new();
    let mut notes = 0;
    for l in linted {
        out.push((Kind::Heading, heading(&l.source)));
        let (once, here): (Vec<&Finding>, Vec<&Finding>) =
            l.report.findings.iter().partition(|f| said_once(f));
        shared.extend(once.into_iter().map(|f| (f, &l.source)));
        if !l.report.has_findings() {
            out.push((Kind::Plain, "  No findings.".into()));
        }
        for f in here {
            notes += usize::from(f.severity() == Severity::Note);
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
    if !shared.is_empty() {
        notes += 1;
        out.push((Kind::Note, "note: untagged-hits-index-children".to_string()));
        wrap(&mut out, Kind::Plain, &shared_index_note(&shared), 2);
        out.push((Kind::Plain, String::new()));
    }
    if !linted.is_empty() {
        out.push((Kind::Plain, summary(linted, notes)));
    }
    out
}

/// A note that says the same of every policy it concerns: index children, where nothing is
/// known of the repositories.
fn said_once(f: &Finding) -> bool {
    matches!(
        f.issue,
        Issue::UntaggedHitsIndexChildren {
            indexes: Indexes::Unknown,
            ..
        }
    )
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

fn summary(linted: &[Linted], notes: usize) -> String {
    let findings = count(linted, Severity::Finding);
    let policies = counted(linted.len(), "policy", "policies");
    let found = match findings {
        0 => format!("No findings in {policies}"),
        n => format!("{} in {policies}", counted(n, "finding", "findings")),
    };
    match notes {
        0 => format!("{found}."),
        n => format!("{found}; {}.", counted(n, "note", "notes")),
    }
}

/// Findings (or notes) over all policies.
fn count(linted: &[Linted], severity: Severity) -> usize {
    linted
        .iter()
        .flat_map(|l| &l.report.findings)
        .filter(|f| f.severity() == severity)
        .count()
}

/// `1 policy`, `3 policies`.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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
    let (kind, label) = match f.severity() {
        Severity::Finding => (Kind::Warning, f.kind().as_str().to_string()),
        Severity::Note => (Kind::Note, format!("note: {}", f.kind().as_str())),
    };
    out.push((kind, format!("  {label}: {rule}{at}")));
    wrap(out, Kind::Plain, &message(&f.issue), 4);
    if let Some(e) = &f.example {
        out.push((Kind::Note, format!("    Example, at {now}:")));
        for line in table(e, now) {
            out.push((Kind::Plain, format!("      {line}")));
        }
        wrap(out, Kind::Plain, &explanation(e), 4);
    }
}

/// `file:line:col` of the rule, when the policy came from a file.
fn location(f: &Finding, source: &Source) -> Option<String> {
    match (source, f.position) {
        (Source::File(name), Some(p)) => Some(format!("{name}:{}:{}", p.line, p.column)),
        _ => None,
    }
}

// ---- Sentences, from the findings' data ----

/// What a finding says, in a paragraph.
fn message(issue: &Issue) -> String {
    match issue {
        Issue::Invalid(kind) => format!("{}.", capitalized(&kind.to_string())),
        Issue::CountIncludesProtected {
            rule,
            count,
            action,
            protectors,
        } => count_message(rule, *count, *action, protectors),
        Issue::AndListMeantAsOr {
            rule,
            lone_tag,
            no_single_tag,
        } => {
            let list = match rule.tags.list() {
                Some((kind, entries)) => format!("{} [{}]", kind.member(), quoted(entries)),
                None => "list".into(),
            };
            let together = if *no_single_tag {
                " No single tag can match every entry, so only images with several tags are \
                 selected."
            } else {
                ""
            };
            format!(
                "Rule {}'s {list} is AND: ECR selects an image only when every entry matches \
                 one of its tags, so an image tagged only `{lone_tag}` is not selected.{together} \
                 If any entry should do, write one rule per entry (or `tags: [...]` in a policy \
                 file).",
                rule.priority
            )
        }
        Issue::Shadowed { rule, by } => {
            let names: Vec<String> = by.iter().map(named).collect();
            let covered = match names.as_slice() {
                [one] => format!("{one} selects"),
                _ => format!("{} between them select", and_list(&names)),
            };
            format!(
                "{} never acts: {covered} every image it selects, and ECR lets only the \
                 highest-priority rule that selects an image act on it.",
                capitalized(&named(rule))
            )
        }
        Issue::UntaggedHitsIndexChildren {
            rule,
            count,
            indexes,
        } => {
            let held = match indexes {
                Indexes::Unknown => String::new(),
                Indexes::Held(held) => format!("; {}", holders(held)),
            };
            let counts = match count {
                Some(1) => "can take the one place the rule keeps, ".to_string(),
                Some(n) => format!("take places among the {n} newest images the rule keeps, "),
                None => String::new(),
            };
            format!(
                "{} expires untagged images, and the images a multi-architecture image index \
                 lists are untagged{held}. ECR does not delete an image that an index lists \
                 (ImageReferencedByManifestList): while the index exists its children stay, \
                 however old, {counts}and go only once the index is deleted. Expect them to stay.",
                capitalized(&named(rule))
            )
        }
    }
}

fn count_message(
    rule: &RuleFilter,
    n: i64,
    action: ActionType,
    protectors: &[RuleFilter],
) -> String {
    let p = rule.priority;
    let verb = match action {
        ActionType::Expire => "expires",
        ActionType::Transition => "archives",
    };
    let names: Vec<String> = protectors.iter().map(named).collect();
    let select = if names.len() == 1 {
        "selects"
    } else {
        "select"
    };
    let (keeps, among, fewer) = if n == 1 {
        (
            "the newest image".to_string(),
            "the newest".to_string(),
            "none of its own images once a newer image matches a higher rule".to_string(),
        )
    } else {
        (
            format!("the {n} newest images"),
            format!("among the {n} newest"),
            format!(
                "fewer than {n} of its own images, and none once {n} newer images match a \
                 higher rule"
            ),
        )
    };
    format!(
        "Rule {p} (`{}`) keeps {keeps} it matches, but ECR ranks every image its filter matches, \
         including those that {} {select} first. Rule {p} {verb} each image it governs that is \
         not {among} of all, so it keeps {fewer}.",
        describe(rule),
        and_list(&names),
    )
}

/// The note on index children that several policies read from files share, naming the rules.
fn shared_index_note(shared: &[(&Finding, &Source)]) -> String {
    let places: Vec<String> = shared
        .iter()
        .map(|(f, source)| {
            let rule = f
                .rule
                .map_or("a rule".to_string(), |r| format!("rule {}", r.priority));
            match (location(f, source), source) {
                (Some(loc), _) => format!("{rule} ({loc})"),
                (None, Source::File(name)) => format!("{rule} of {name}"),
                (None, Source::Repositories(_)) => rule,
            }
        })
        .collect();
    let subject = match places.len() {
        n if n > NAMED + 1 => format!(
            "{} and {} more rules (`--format json` lists each)",
            places[..NAMED].join(", "),
            n - NAMED
        ),
        _ => and_list(&places),
    };
    let (verb, stay) = match shared {
        [(f, _)] => {
            let counts = match &f.issue {
                Issue::UntaggedHitsIndexChildren { count: Some(1), .. } => {
                    "can take the one place the rule keeps, ".to_string()
                }
                Issue::UntaggedHitsIndexChildren { count: Some(n), .. } => {
                    format!("take places among the {n} newest images the rule keeps, ")
                }
                _ => String::new(),
            };
            ("expires", format!("however old, {counts}and go"))
        }
        _ => {
            let any_count = shared.iter().any(|(f, _)| {
                matches!(
                    f.issue,
                    Issue::UntaggedHitsIndexChildren { count: Some(_), .. }
                )
            });
            let counts = if any_count {
                " (under an `imageCountMoreThan` rule taking places among the newest images it \
                 keeps)"
            } else {
                ""
            };
            ("expire", format!("however old{counts}, and go"))
        }
    };
    format!(
        "{} {verb} untagged images, and the images a multi-architecture image index lists are \
         untagged. ECR does not delete an image that an index lists \
         (ImageReferencedByManifestList): while the index exists its children stay, {stay} only \
         once the index is deleted. Expect them to stay in repositories that hold image indexes; \
         against a registry (`--registry`), lint notes this only where they do.",
        capitalized(&subject)
    )
}

/// `web holds 2 image indexes`, `api (1) and web (2) hold image indexes`.
fn holders(held: &[(String, usize)]) -> String {
    match held {
        [(name, n)] => format!(
            "{name} holds {}",
            counted(*n, "image index", "image indexes")
        ),
        _ => {
            let each: Vec<String> = held
                .iter()
                .map(|(name, n)| format!("{name} ({n})"))
                .collect();
            format!("{} hold image indexes", and_list(&each))
        }
    }
}

/// What an example shows, in a paragraph naming images by place (`#1` is the first row).
fn explanation(e: &Example) -> String {
    let rows = &e.rows;
    let treatment = |i: usize| rows.get(i).map_or("kept", |r| r.ecr.treatment.as_str());
    match &e.shows {
        Shows::Count {
            rule: p,
            protected,
            by,
            marked,
            own,
        } => {
            let all = match rows.len() {
                2 => "both images".to_string(),
                n => format!("all {n} images"),
            };
            format!(
                "ECR ranks {all} for rule {p}, including {}, which {} select{} first, and marks \
                 the oldest, #{}, which rule {p} governs: it is {}. Read in order, rule {p} \
                 governs only {} and keeps {}.",
                places_short(protected),
                rules(by),
                if by.len() == 1 { "s" } else { "" },
                marked + 1,
                treatment(*marked),
                places_short(own),
                if own.len() == 1 { "it" } else { "them all" }
            )
        }
        Shows::AndList {
            rule: p,
            places: at,
        } => {
            let fates: Vec<&str> = at
                .iter()
                .filter_map(|&i| rows.get(i))
                .map(|r| r.meant.treatment.as_str())
                .collect();
            let meant = match fates.split_first() {
                Some((first, rest)) if rest.iter().all(|f| f == first) => first.to_string(),
                _ => {
                    let each: Vec<String> = at
                        .iter()
                        .zip(&fates)
                        .map(|(i, f)| format!("#{} {f}", i + 1))
                        .collect();
                    each.join(", ")
                }
            };
            if at.len() == 1 {
                format!(
                    "{} has a tag that one entry matches but not every entry, so ECR's rule {p} \
                     does not select it; read as \"any entry\", rule {p} would govern it ({meant}).",
                    places(at)
                )
            } else {
                format!(
                    "Each of {} has a tag that one entry matches but not every entry, so ECR's \
                     rule {p} selects none of them; read as \"any entry\", rule {p} would govern \
                     them ({meant}).",
                    places(at)
                )
            }
        }
        Shows::Shadowed {
            rule: p,
            places: at,
            owners,
        } => {
            let (it, any) = if at.len() == 1 {
                ("it", "it")
            } else {
                ("them", "any of them")
            };
            format!(
                "Rule {p}'s filter matches {}, but ECR gives {it} to {}: rule {p} never acts on \
                 {any}.",
                places(at),
                rules(owners)
            )
        }
        Shows::IndexChildren {
            rule: p,
            index,
            children,
        } => {
            let (tags, owner) = match rows.get(*index) {
                Some(r) => (r.image.tags.join("`, `"), r.ecr),
                None => (
                    String::new(),
                    Fate {
                        treatment: Treatment::Kept,
                        rule: None,
                    },
                ),
            };
            let owner = match (owner.rule, owner.treatment) {
                (None, _) => ", which no rule selects".to_string(),
                (Some(o), Treatment::Archived) => format!(", which rule {o} archives"),
                (Some(o), _) => format!(", which rule {o} keeps"),
            };
            let i = index + 1;
            format!(
                "{} are the untagged children of the image index #{i} (tagged `{tags}`){owner}. \
                 Rule {p} marks them, and read in order it expires them, but ECR keeps them while \
                 #{i} exists; were they not listed by an index, rule {p} would expire them.",
                places(children)
            )
        }
    }
}

/// `rule 2 (`tagged ["prod*"]`)`, how messages name a rule.
fn named(rule: &RuleFilter) -> String {
    format!("rule {} (`{}`)", rule.priority, describe(rule))
}

/// `any`, `untagged`, `tagged ["prod*"]`, or `tagged prefixes ["v"]` for a prefix list.
fn describe(rule: &RuleFilter) -> String {
    match &rule.tags {
        TagFilter::Any => "any".into(),
        TagFilter::Untagged => "untagged".into(),
        TagFilter::Tagged(list) => format!("tagged [{}]", quoted(list)),
        TagFilter::TaggedPrefixes(list) => format!("tagged prefixes [{}]", quoted(list)),
    }
}

/// `"dev", "staging"`: entries as JSON strings.
fn quoted(entries: &[String]) -> String {
    entries
        .iter()
        .map(|e| Value::from(e.as_str()).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `rule 1`, `rules 1 and 2`, `rules 1, 2 and 3`: each rule once.
fn rules(priorities: &[i64]) -> String {
    let names: Vec<String> = priorities.iter().map(i64::to_string).collect();
    match names.as_slice() {
        [one] => format!("rule {one}"),
        _ => format!("rules {}", and_list(&names)),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// `#3`, or `#2 and #3`, or `#1, #2 and #5`: example images by place.
fn places(at: &[usize]) -> String {
    let names: Vec<String> = at.iter().map(|p| format!("#{}", p + 1)).collect();
    and_list(&names)
}

/// `#1 to #10` for a long run of places, `#1 and #2` for a short one.
fn places_short(at: &[usize]) -> String {
    match (at.first(), at.last()) {
        (Some(&a), Some(&z)) if at.len() > 3 && z - a + 1 == at.len() => {
            format!("#{} to #{}", a + 1, z + 1)
        }
        _ => places(at),
    }
}

/// The text with its first letter upper-case, to start a sentence.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

// ---- Example tables ----

/// One line of a table: a row, or a count of the rows left out.
enum Line {
    Row(usize),
    Elided(std::ops::Range<usize>),
}

/// The example's images: place, digest, tags, age, what ECR does, what the rule order says.
/// Rows that only fill the example (ECR and the rule order agree, no index involved) are shown
/// at the ends of their run, the rest counted.
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
    let filler = |r: &Row| {
        r.ecr == r.meant && r.image.children.is_empty() && !parent.contains_key(&r.image.digest)
    };
    let mut lines: Vec<Line> = Vec::new();
    let mut i = 0;
    while i < e.rows.len() {
        let start = i;
        while i < e.rows.len() && filler(&e.rows[i]) {
            i += 1;
        }
        if i - start > HEAD + TAIL + 1 {
            lines.extend((start..start + HEAD).map(Line::Row));
            lines.push(Line::Elided(start + HEAD..i - TAIL));
            lines.extend((i - TAIL..i).map(Line::Row));
        } else {
            lines.extend((start..i).map(Line::Row));
        }
        if i < e.rows.len() {
            lines.push(Line::Row(i));
            i += 1;
        }
    }

    let header = ["#", "digest", "tags", "pushed", "ECR", "rule order"].map(String::from);
    let cells = |i: usize, r: &Row| {
        [
            format!("{}", i + 1),
            short(&r.image.digest),
            tags(r, &place, &parent),
            format!("{} ago", age(now.duration_since(r.image.pushed_at))),
            fate(r.ecr),
            fate(r.meant),
        ]
    };
    let shown: Vec<[String; 6]> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Row(i) => e.rows.get(*i).map(|r| cells(*i, r)),
            Line::Elided(_) => None,
        })
        .collect();
    let mut widths = header.clone().map(|h| h.len());
    for c in shown.iter().chain(std::iter::once(&header)) {
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
    let mut shown = shown.iter();
    for l in &lines {
        match l {
            Line::Row(_) => out.extend(shown.next().map(line)),
            Line::Elided(range) => out.push(format!(
                "{:>w$}  … {} …",
                "",
                elided(e.rows.get(range.clone()).unwrap_or_default()),
                w = widths[0]
            )),
        }
    }
    out
}

/// `94 more images of rules 1 and 2, all kept`, or with the count of each fate.
fn elided(rows: &[Row]) -> String {
    let mut by: Vec<i64> = rows.iter().filter_map(|r| r.ecr.rule).collect();
    by.sort_unstable();
    by.dedup();
    let unselected = rows.iter().any(|r| r.ecr.rule.is_none());
    let whose = match (by.is_empty(), unselected) {
        (true, _) => "that no rule selects".to_string(),
        (false, false) => format!("of {}", rules(&by)),
        (false, true) => format!("of {} or of no rule", rules(&by)),
    };
    let mut fates: Vec<(Treatment, usize)> = Vec::new();
    for r in rows {
        match fates.iter_mut().find(|(t, _)| *t == r.ecr.treatment) {
            Some((_, n)) => *n += 1,
            None => fates.push((r.ecr.treatment, 1)),
        }
    }
    fates.sort();
    let fates = match fates.as_slice() {
        [(t, _)] => format!(", all {}", t.as_str()),
        _ => {
            let each: Vec<String> = fates
                .iter()
                .map(|(t, n)| format!("{n} {}", t.as_str()))
                .collect();
            format!(": {}", each.join(", "))
        }
    };
    format!("{} more images {whose}{fates}", rows.len())
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

// ---- JSON ----

/// One document: the time, each policy with its findings and notes (each with its severity
/// and its example's every image) and suggestion, and totals.
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
    let doc = json!({
        "now": now.to_string(),
        "policies": policies,
        "summary": {
            "policies": linted.len(),
            "findings": count(linted, Severity::Finding),
            "notes": count(linted, Severity::Note),
        },
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

fn finding_json(f: &Finding, source: &Source) -> Value {
    let rule = |r: Option<RuleRef>| match r {
        Some(r) => json!({ "index": r.index, "priority": r.priority }),
        None => Value::Null,
    };
    let example = match &f.example {
        None => Value::Null,
        Some(e) => json!({
            "explanation": explanation(e),
            "images": e.rows.iter().map(|r| json!({
                "image": r.image.to_detail_json(None),
                "ecr": fate_json(r.ecr),
                "ruleOrder": fate_json(r.meant),
            })).collect::<Vec<_>>(),
        }),
    };
    json!({
        "kind": f.kind().as_str(),
        "severity": f.severity().as_str(),
        "rule": rule(f.rule),
        "otherRule": rule(f.other),
        "location": location(f, source),
        "message": message(&f.issue),
        "example": example,
    })
}

fn fate_json(f: Fate) -> Value {
    json!({ "action": f.treatment.as_str(), "rule": f.rule })
}
