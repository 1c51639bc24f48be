use std::collections::BTreeMap;
use std::path::Path;

use ecr_lifecycle_compiler::diagnostic::Diagnostic;
use ecr_lifecycle_compiler::dsl::Policy;
use ecr_lifecycle_compiler::source::SourceFile;
use ecr_lifecycle_compiler::split::{self, Compiled, Disposition};
use serde_json::{Value, json};

use crate::cli::{CompileArgs, CompileFormat};
use crate::commands::load;
use crate::exit::ExitStatus;
use crate::output;

const COMPILED: &str = ".compiled.json";
const NATIVE: &str = ".lifecycle-policy.json";

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
            };
            output::stdout(&text);
            ExitStatus::Success
        }
        Some(dir) => match outputs(&compiled) {
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
            if name.ends_with(COMPILED) || name.ends_with(NATIVE) {
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
