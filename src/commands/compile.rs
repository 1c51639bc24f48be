use std::collections::BTreeMap;
use std::path::Path;

use ecr_lifecycle_compiler::diagnostic::Diagnostic;
use ecr_lifecycle_compiler::dsl::Policy;
use ecr_lifecycle_compiler::source::SourceFile;
use ecr_lifecycle_compiler::split::{self, Compiled, Disposition, Narrowing};
use serde_json::{Value, json};

use crate::cli::{CompileArgs, CompileFormat};
use crate::commands::load;
use crate::exit::ExitStatus;
use crate::output;

const COMPILED: &str = ".compiled.json";
const NATIVE: &str = ".lifecycle-policy.json";
const TERRAFORM: &str = ".tf.json";

pub fn run(args: &CompileArgs) -> ExitStatus {
    let Some(policies) = load::policies(&args.files) else {
        return ExitStatus::Failure;
    };
    let compiled: Vec<(&SourceFile, &Policy, Compiled)> = policies
        .iter()
        .map(|(f, p)| (f, p, split::compile(p)))
        .collect();
    for (file, _, c) in &compiled {
        output::diagnostics(file, &c.warnings);
    }
    match &args.out {
        None => {
            let text = match args.format {
                CompileFormat::Json => {
                    let docs: Vec<Value> =
                        compiled.iter().map(|(f, p, c)| document(f, p, c)).collect();
                    pretty(&Value::Array(docs))
                }
                CompileFormat::Text => compiled
                    .iter()
                    .map(|(f, p, c)| text(f, p, c))
                    .collect::<Vec<_>>()
                    .join("\n"),
                CompileFormat::Terraform => {
                    let mut merged = serde_json::Map::new();
                    for (f, p, c) in &compiled {
                        if let Some(doc) = terraform(f, p, c) {
                            merge(&mut merged, doc);
                        }
                    }
                    pretty(&Value::Object(merged))
                }
            };
            output::stdout(&text);
            ExitStatus::Success
        }
        Some(dir) => match outputs(&compiled, args.format) {
            Err(e) => {
                output::error(&e);
                ExitStatus::Failure
            }
            Ok(files) if args.check => check(dir, &files),
            Ok(files) => write(dir, &files),
        },
    }
}

/// The files `--out` writes, by name.
fn outputs(
    compiled: &[(&SourceFile, &Policy, Compiled)],
    format: CompileFormat,
) -> Result<BTreeMap<String, String>, String> {
    let mut files = BTreeMap::new();
    let mut stems: BTreeMap<String, &str> = BTreeMap::new();
    for (file, policy, c) in compiled {
        let stem = stem(&file.name);
        if let Some(other) = stems.insert(stem.clone(), &file.name) {
            return Err(format!(
                "`{other}` and `{}` would both compile to `{stem}{COMPILED}`: rename one of them",
                file.name
            ));
        }
        if format == CompileFormat::Terraform {
            if let Some(doc) = terraform(file, policy, c) {
                files.insert(format!("{stem}{TERRAFORM}"), pretty(&doc));
            }
            continue;
        }
        files.insert(
            format!("{stem}{COMPILED}"),
            pretty(&document(file, policy, c)),
        );
        if let Some(native) = &c.native {
            files.insert(format!("{stem}{NATIVE}"), native.to_json_pretty());
        }
    }
    Ok(files)
}

fn stem(name: &str) -> String {
    let base = Path::new(name)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "policy".into());
    for ext in [".yaml", ".yml"] {
        if let Some(s) = base.strip_suffix(ext) {
            return s.to_string();
        }
    }
    base
}

/// Files of ours in `dir` (by their suffixes), by name.
fn existing(dir: &Path) -> BTreeMap<String, Option<String>> {
    let mut found = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(COMPILED) || name.ends_with(NATIVE) || name.ends_with(TERRAFORM) {
                found.insert(name, std::fs::read_to_string(entry.path()).ok());
            }
        }
    }
    found
}

fn check(dir: &Path, files: &BTreeMap<String, String>) -> ExitStatus {
    let existing = existing(dir);
    let mut stale = Vec::new();
    for (name, want) in files {
        match existing.get(name) {
            Some(Some(have)) if have == want => {}
            Some(_) => stale.push(format!("{} is out of date", dir.join(name).display())),
            None => stale.push(format!("{} is missing", dir.join(name).display())),
        }
    }
    for name in existing.keys().filter(|n| !files.contains_key(*n)) {
        stale.push(format!(
            "{} is left over from a policy file that is gone",
            dir.join(name).display()
        ));
    }
    if stale.is_empty() {
        output::stdout(&format!("{} is up to date\n", dir.display()));
        return ExitStatus::Success;
    }
    for s in &stale {
        output::error(s);
    }
    output::error(&format!(
        "run `ecr-lifecycle compile … --out {}` and commit the result",
        dir.display()
    ));
    ExitStatus::Changes
}

fn write(dir: &Path, files: &BTreeMap<String, String>) -> ExitStatus {
    if let Err(e) = std::fs::create_dir_all(dir) {
        output::error(&format!("cannot create {}: {e}", dir.display()));
        return ExitStatus::Failure;
    }
    for name in existing(dir).keys().filter(|n| !files.contains_key(*n)) {
        if let Err(e) = std::fs::remove_file(dir.join(name)) {
            output::error(&format!(
                "cannot remove stale {}: {e}",
                dir.join(name).display()
            ));
            return ExitStatus::Failure;
        }
    }
    for (name, text) in files {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            output::error(&format!("cannot write {}: {e}", path.display()));
            return ExitStatus::Failure;
        }
    }
    output::stdout(&format!(
        "wrote {} files to {}\n",
        files.len(),
        dir.display()
    ));
    ExitStatus::Success
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// What a rule governs, when earlier rules narrow its match (DESIGN.md §3.3).
fn governs(policy: &Policy, n: &Narrowing) -> Option<String> {
    let name = |j: &usize| format!("`{}`", *policy.rules[*j].name);
    match n {
        Narrowing::None => None,
        Narrowing::ToTagged { by } => Some(format!(
            "the tagged images: the untagged ones go to rule {}",
            name(by)
        )),
        Narrowing::ToUntagged { by } => Some(format!(
            "the untagged images: the tagged ones go to rule {}",
            name(by)
        )),
    }
}

fn disposition(d: Disposition) -> &'static str {
    match d {
        Disposition::Native => "native",
        Disposition::NativeAndRuntime => "native and runtime",
        Disposition::Runtime => "runtime",
    }
}

/// The machine-readable account of one compiled file.
fn document(file: &SourceFile, policy: &Policy, c: &Compiled) -> Value {
    let globs = |g: &[ecr_lifecycle_compiler::source::Sp<ecr_lifecycle_compiler::glob::Glob>]| {
        g.iter().map(|g| g.to_string()).collect::<Vec<_>>()
    };
    let mut doc = serde_json::Map::new();
    doc.insert("source".into(), json!(file.name));
    doc.insert(
        "repositories".into(),
        json!({
            "include": globs(&policy.repositories.include_globs()),
            "exclude": globs(&policy.repositories.exclude),
        }),
    );
    if let Some(n) = &c.native {
        doc.insert(
            "lifecyclePolicy".into(),
            serde_json::from_str(&n.to_json_pretty()).unwrap_or(Value::Null),
        );
    }
    let rules: Vec<Value> = c
        .rules
        .iter()
        .map(|r| {
            let mut o = serde_json::Map::new();
            o.insert("name".into(), json!(r.name));
            o.insert("disposition".into(), json!(r.disposition));
            if !r.native_priorities.is_empty() {
                o.insert("nativeRules".into(), json!(r.native_priorities));
            }
            if let Some(governs) = governs(policy, &r.narrowing) {
                o.insert("governs".into(), json!(governs));
            }
            o.insert("ecr".into(), json!(r.ecr));
            if !r.runtime.is_empty() {
                o.insert("runtime".into(), json!(r.runtime));
            }
            Value::Object(o)
        })
        .collect();
    doc.insert("rules".into(), Value::Array(rules));
    if !c.warnings.is_empty() {
        let w: Vec<Value> = c.warnings.iter().map(|d| warning_json(file, d)).collect();
        doc.insert("warnings".into(), Value::Array(w));
    }
    Value::Object(doc)
}

fn warning_json(file: &SourceFile, d: &Diagnostic) -> Value {
    let mut o = serde_json::Map::new();
    o.insert("location".into(), json!(d.location(file)));
    o.insert("message".into(), json!(d.message));
    if let Some(l) = &d.label {
        o.insert("detail".into(), json!(l));
    }
    if let Some(h) = &d.help {
        o.insert("help".into(), json!(h));
    }
    Value::Object(o)
}

/// The readable account of one compiled file.
fn text(file: &SourceFile, policy: &Policy, c: &Compiled) -> String {
    let mut s = format!("{}\n", file.name);
    let inc: Vec<String> = policy
        .repositories
        .include_globs()
        .iter()
        .map(|g| g.to_string())
        .collect();
    s.push_str(&format!("  repositories: {}", inc.join(", ")));
    if !policy.repositories.exclude.is_empty() {
        let exc: Vec<String> = policy
            .repositories
            .exclude
            .iter()
            .map(|g| g.to_string())
            .collect();
        s.push_str(&format!(" (except {})", exc.join(", ")));
    }
    s.push_str("\n\n");
    for (i, r) in c.rules.iter().enumerate() {
        s.push_str(&format!(
            "  {}. {} — {}\n",
            i + 1,
            r.name,
            disposition(r.disposition)
        ));
        let natives = match r.native_priorities.as_slice() {
            [] => String::new(),
            [p] => format!(" (native rule {p})"),
            ps => format!(
                " (native rules {})",
                ps.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
            ),
        };
        if let Some(governs) = governs(policy, &r.narrowing) {
            s.push_str(&format!("       governs: {governs}\n"));
        }
        s.push_str(&format!("       ECR:    {}{natives}\n", r.ecr));
        if !r.runtime.is_empty() {
            s.push_str(&format!("       runner: {}\n", r.runtime));
        }
    }
    match &c.native {
        Some(n) => {
            s.push_str(&format!(
                "\n  native lifecycle policy ({} rule{}):\n",
                c.specs.len(),
                if c.specs.len() == 1 { "" } else { "s" }
            ));
            for line in n.to_json_pretty().lines() {
                s.push_str(&format!("    {line}\n"));
            }
        }
        None => {
            s.push_str("\n  no native lifecycle policy: ECR can do none of this policy's work\n")
        }
    }
    s
}

/// A Terraform identifier made from a file stem.
fn identifier(stem: &str) -> String {
    let mut id: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        id.insert(0, '_');
    }
    format!("ecr_lifecycle_{id}")
}

/// The native part of one file as Terraform JSON: a variable for the repositories it governs
/// (defaulting to them when the file names them literally) and an `aws_ecr_lifecycle_policy`
/// per repository. `None` when ECR has nothing to do for this file.
fn terraform(file: &SourceFile, policy: &Policy, c: &Compiled) -> Option<Value> {
    let native = c.native.as_ref()?;
    let id = identifier(&stem(&file.name));
    let include: Vec<String> = policy
        .repositories
        .include_globs()
        .iter()
        .map(|g| g.to_string())
        .collect();
    let exclude: Vec<String> = policy
        .repositories
        .exclude
        .iter()
        .map(|g| g.to_string())
        .collect();
    let mut described = format!(
        "Repositories governed by {} ({}",
        file.name,
        include.join(", ")
    );
    if !exclude.is_empty() {
        described.push_str(&format!(", except {}", exclude.join(", ")));
    }
    described
        .push_str("). Its runtime rules run with `ecr-lifecycle apply --native-policies ignore`.");
    let mut variable = json!({ "type": "set(string)", "description": described });
    let literal = policy.repositories.include.is_some()
        && exclude.is_empty()
        && include.iter().all(|g| !g.contains(['*', '?']));
    if literal {
        variable["default"] = json!(include);
    }
    Some(json!({
        "variable": { format!("{id}_repositories"): variable },
        "resource": {
            "aws_ecr_lifecycle_policy": {
                id.clone(): {
                    "for_each": format!("${{var.{id}_repositories}}"),
                    "repository": "${each.value}",
                    "policy": escape_template(&native.to_json_compact()),
                }
            }
        }
    }))
}

/// Terraform reads `${` and `%{` in JSON strings as template syntax; doubling them keeps
/// the text literal.
fn escape_template(text: &str) -> String {
    text.replace("${", "$${").replace("%{", "%%{")
}

/// Merges Terraform JSON documents (their blocks are maps keyed by name).
fn merge(into: &mut serde_json::Map<String, Value>, doc: Value) {
    let Value::Object(doc) = doc else { return };
    for (k, v) in doc {
        match (into.get_mut(&k), v) {
            (Some(Value::Object(existing)), Value::Object(more)) => {
                let mut more = Value::Object(more);
                if let (Some(e), Value::Object(m)) = (Some(existing), &mut more) {
                    for (k2, v2) in std::mem::take(m) {
                        match (e.get_mut(&k2), v2) {
                            (Some(Value::Object(e2)), Value::Object(m2)) => e2.extend(m2),
                            (_, v2) => {
                                e.insert(k2, v2);
                            }
                        }
                    }
                }
            }
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}
