use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ecr_lifecycle_compiler::diagnostic::Diagnostic;
use ecr_lifecycle_compiler::dsl::Policy;
use ecr_lifecycle_compiler::dsl::policy::{Account, RegistryKind};
use ecr_lifecycle_compiler::source::SourceFile;
use ecr_lifecycle_compiler::split::{self, Compiled, Disposition, Narrowing};
use serde::Serialize;
use serde_json::{Value, json};

use crate::cli::{CompileArgs, CompileFormat};
use crate::commands::load;
use crate::exit::ExitStatus;
use crate::render::account;
use crate::{files, output};

const COMPILED: &str = ".compiled.json";
const NATIVE: &str = ".lifecycle-policy.json";
const TERRAFORM: &str = ".tf.json";
/// How the variable of `NAME.tf.json` starts its description (the policy file follows).
const GOVERNED_BY: &str = "Repositories governed by ";

pub(super) fn run(args: &CompileArgs) -> ExitStatus {
    let Some(mut policies) = load::policies(&args.files) else {
        return ExitStatus::Failure;
    };
    // What compiling writes does not depend on how a path was typed (`./p.yaml`, `p.yaml`).
    for (file, _) in &mut policies {
        file.name = files::normal_name(Path::new(&file.name));
    }
    let compiled: Vec<(&SourceFile, &Policy, Compiled)> = policies
        .iter()
        .map(|(f, p)| {
            // ECR Public: nothing native, and one note for the file instead of one per rule.
            let public = p
                .registry
                .as_ref()
                .is_some_and(|r| !r.value.has_lifecycle_policies());
            if public {
                load::public_notes([(f.name.as_str(), RegistryKind::EcrPublic)]);
            }
            let c = if public {
                split::compile_runtime_only(p)
            } else {
                split::compile(p)
            };
            (f, p, c)
        })
        .collect();
    for (file, policy, c) in &compiled {
        output::diagnostics(file, &warnings(policy, c));
    }
    match &args.out {
        None => {
            let text = match args.format {
                CompileFormat::Json => {
                    let docs: Vec<CompiledDocument> =
                        compiled.iter().map(|(f, p, c)| document(f, p, c)).collect();
                    pretty(&docs)
                }
                CompileFormat::Text => {
                    let mut text = compiled
                        .iter()
                        .map(|(f, p, c)| text(f, p, c))
                        .collect::<Vec<_>>()
                        .join("\n");
                    if let Some(line) = runner_rules(&compiled) {
                        text.push_str(&format!("\n{line}\n"));
                    }
                    text
                }
                CompileFormat::Terraform => match terraform_documents(&compiled) {
                    Ok(docs) => {
                        let mut merged = serde_json::Map::new();
                        for (_, doc) in docs {
                            merge(&mut merged, doc);
                        }
                        pretty(&Value::Object(merged))
                    }
                    Err(e) => {
                        output::error(&e);
                        return ExitStatus::Failure;
                    }
                },
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
            Ok(files) => {
                let status = write(dir, &files);
                if let Some(line) = runner_rules(&compiled) {
                    output::note(&line);
                }
                status
            }
        },
    }
}

/// Says that rules wait for the runner, when any do.
fn runner_rules(compiled: &[(&SourceFile, &Policy, Compiled)]) -> Option<String> {
    let n: usize = compiled.iter().map(|(_, _, c)| c.runner_rules()).sum();
    (n > 0).then(|| crate::render::words::runner_rules(n))
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
    if format == CompileFormat::Terraform {
        for (stem, doc) in terraform_documents(compiled)? {
            files.insert(format!("{stem}{TERRAFORM}"), pretty(&doc));
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

/// A file in `dir` that compiling the given policy files does not write.
enum LeftOver {
    /// Written for a given policy file before, no longer (ECR has nothing to do for it now).
    NoLongerWritten(String),
    /// Written for a policy file that is gone (or names no file).
    Gone(String),
}

/// The files in `dir` that compiling the given policy files does not write and that should
/// go, and how many policy files that exist but were not given have outputs there: those are
/// left alone (a pre-commit hook passes only the files that changed).
fn others(
    existing: &BTreeMap<String, Option<String>>,
    files: &BTreeMap<String, String>,
) -> (Vec<LeftOver>, usize) {
    let given: BTreeSet<&str> = files.keys().map(|n| stem_of(n)).collect();
    let mut left_over = Vec::new();
    let mut not_given: BTreeSet<&str> = BTreeSet::new();
    for name in existing.keys().filter(|n| !files.contains_key(*n)) {
        let stem = stem_of(name);
        if given.contains(stem) {
            left_over.push(LeftOver::NoLongerWritten(name.clone()));
            continue;
        }
        match source_of(existing, name) {
            Some(source) if Path::new(&source).is_file() => {
                not_given.insert(stem);
            }
            _ => left_over.push(LeftOver::Gone(name.clone())),
        }
    }
    (left_over, not_given.len())
}

impl LeftOver {
    fn name(&self) -> &str {
        match self {
            LeftOver::NoLongerWritten(n) | LeftOver::Gone(n) => n,
        }
    }
}

/// The name without our suffix.
fn stem_of(name: &str) -> &str {
    [COMPILED, NATIVE, TERRAFORM]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name)
}

/// The policy file an output was compiled from, as it records it: `source` in
/// `NAME.compiled.json` (which also speaks for `NAME.lifecycle-policy.json`), the variable's
/// description in `NAME.tf.json`.
fn source_of(existing: &BTreeMap<String, Option<String>>, name: &str) -> Option<String> {
    let stem = stem_of(name);
    if name.ends_with(TERRAFORM) {
        let doc: Value = serde_json::from_str(existing.get(name)?.as_deref()?).ok()?;
        return doc["variable"].as_object()?.values().find_map(|v| {
            let d = v["description"].as_str()?;
            // `Repositories governed by FILE (GLOBS…). …`: globs never hold a `(`.
            let rest = d.strip_prefix(GOVERNED_BY)?;
            Some(rest[..rest.rfind(" (")?].to_string())
        });
    }
    let compiled = existing.get(&format!("{stem}{COMPILED}"))?.as_deref()?;
    let doc: CompiledSource = serde_json::from_str(compiled).ok()?;
    Some(doc.source)
}

/// The one member of `NAME.compiled.json` that the check reads back.
#[derive(serde::Deserialize)]
struct CompiledSource {
    source: String,
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
    let (left_over, not_given) = others(&existing, files);
    for l in left_over {
        let path = dir.join(l.name());
        stale.push(match l {
            LeftOver::NoLongerWritten(_) => format!(
                "{} is left over: compiling its policy file no longer writes it",
                path.display()
            ),
            LeftOver::Gone(_) => format!(
                "{} is left over from a policy file that is gone",
                path.display()
            ),
        });
    }
    if stale.is_empty() {
        let others = match not_given {
            0 => String::new(),
            1 => " (the output of 1 other policy file, not given, was not checked)".into(),
            n => format!(" (the outputs of {n} other policy files, not given, were not checked)"),
        };
        output::stdout(&format!("{} is up to date{others}\n", dir.display()));
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
    let (left_over, _) = others(&existing(dir), files);
    for name in left_over.iter().map(LeftOver::name) {
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
        "wrote {} file{} to {}\n",
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        dir.display()
    ));
    ExitStatus::Success
}

fn pretty<T: Serialize + ?Sized>(v: &T) -> String {
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

/// `NAME.compiled.json`: the machine-readable account of one compiled file. Members are
/// declared in alphabetical order, the order the committed files have always had.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CompiledDocument {
    /// The native policy, its members in alphabetical order too.
    #[serde(skip_serializing_if = "Option::is_none")]
    lifecycle_policy: Option<Value>,
    repositories: RepositoriesDocument,
    rules: Vec<RuleDocument>,
    /// The policy file, named the same however its path was typed.
    source: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<WarningDocument>,
}

#[derive(Serialize)]
struct RepositoriesDocument {
    /// A default file (`default: true`) governs the repositories it selects that no other
    /// file selects.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    default: bool,
    exclude: Vec<String>,
    include: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleDocument {
    disposition: Disposition,
    /// What ECR does, in a sentence.
    ecr: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    governs: Option<String>,
    name: String,
    /// Priorities of the native rules that carry the rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    native_rules: Vec<u32>,
    /// What the runner does, in a sentence.
    #[serde(skip_serializing_if = "String::is_empty")]
    runtime: String,
}

#[derive(Serialize)]
struct WarningDocument {
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
    /// `file:line:col`.
    location: String,
    message: String,
}

/// The machine-readable account of one compiled file.
fn document(file: &SourceFile, policy: &Policy, c: &Compiled) -> CompiledDocument {
    let globs = |g: &[ecr_lifecycle_compiler::source::Sp<ecr_lifecycle_compiler::glob::Glob>]| {
        g.iter().map(|g| g.to_string()).collect::<Vec<_>>()
    };
    CompiledDocument {
        lifecycle_policy: c
            .native
            .as_ref()
            .map(|n| serde_json::from_str(&n.to_json_pretty()).unwrap_or(Value::Null)),
        repositories: RepositoriesDocument {
            default: policy.is_default(),
            exclude: globs(&policy.repositories.exclude),
            include: globs(&policy.repositories.include_globs()),
        },
        rules: c
            .rules
            .iter()
            .map(|r| RuleDocument {
                disposition: r.disposition,
                ecr: account::ecr(&r.ecr),
                governs: governs(policy, &r.narrowing),
                name: r.name.clone(),
                native_rules: r.native_priorities.clone(),
                runtime: account::runner(r.runner),
            })
            .collect(),
        source: file.name.clone(),
        warnings: warnings(policy, c)
            .iter()
            .map(|d| warning(file, d))
            .collect(),
    }
}

/// The compiler's warnings in words, with each glob that reads like a regular expression
/// before the first warning of a later place in the file.
fn warnings(policy: &Policy, c: &Compiled) -> Vec<Diagnostic> {
    let mut all: Vec<Diagnostic> = c.warnings.iter().map(account::warning).collect();
    for w in load::glob_warnings(policy) {
        let at = all
            .iter()
            .position(|d| d.span.map(|s| s.start) > w.span.map(|s| s.start))
            .unwrap_or(all.len());
        all.insert(at, w);
    }
    all
}

fn warning(file: &SourceFile, d: &Diagnostic) -> WarningDocument {
    WarningDocument {
        detail: d.label.clone(),
        help: d.help.clone(),
        location: d.location(file),
        message: d.message.clone(),
    }
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
    if policy.is_default() {
        s.push_str("\n  the default file: it governs the repositories these globs select that no other file selects");
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
        s.push_str(&format!(
            "       ECR:    {}{natives}\n",
            account::ecr(&r.ecr)
        ));
        let runner = account::runner(r.runner);
        if !runner.is_empty() {
            s.push_str(&format!("       runner: {runner}\n"));
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

/// The Terraform JSON of every file ECR has work for, by file stem, in the order given.
/// Refuses files that would declare the same provider configuration, variable or resource:
/// Terraform reads every `.tf.json` of a directory as one module.
fn terraform_documents(
    compiled: &[(&SourceFile, &Policy, Compiled)],
) -> Result<Vec<(String, Value)>, String> {
    let mut docs = Vec::new();
    let mut declared: BTreeMap<String, &str> = BTreeMap::new();
    for (file, policy, c) in compiled {
        let Some(doc) = terraform(file, policy, c)? else {
            continue;
        };
        for name in declarations(&doc) {
            if let Some(other) = declared.insert(name.clone(), &file.name) {
                return Err(format!(
                    "`{other}` and `{}` would both declare the Terraform {name}: rename one of them",
                    file.name
                ));
            }
        }
        docs.push((stem(&file.name), doc));
    }
    Ok(docs)
}

/// What a Terraform JSON document declares, as Terraform names it in its errors.
fn declarations(doc: &Value) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(providers) = doc["provider"].as_object() {
        for (provider, configs) in providers {
            for config in configs.as_array().into_iter().flatten() {
                if let Some(alias) = config["alias"].as_str() {
                    names.push(format!("provider configuration `{provider}.{alias}`"));
                }
            }
        }
    }
    if let Some(variables) = doc["variable"].as_object() {
        names.extend(variables.keys().map(|v| format!("variable `{v}`")));
    }
    if let Some(resources) = doc["resource"].as_object() {
        for (kind, blocks) in resources {
            for name in blocks.as_object().into_iter().flat_map(|b| b.keys()) {
                names.push(format!("resource `{kind}.{name}`"));
            }
        }
    }
    names
}

/// The native part of one file as Terraform JSON: a variable for the repositories it governs
/// (defaulting to them when the file names them literally) and an `aws_ecr_lifecycle_policy`
/// per repository. A file that names `accounts` or `regions` has a provider configuration per
/// account and region (its alias made of the file's and the unit's names, so that files never
/// share one), and the variable and the resources for each. `None` when ECR has nothing to do
/// for this file.
fn terraform(file: &SourceFile, policy: &Policy, c: &Compiled) -> Result<Option<Value>, String> {
    let Some(native) = c.native.as_ref() else {
        return Ok(None);
    };
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
    // Which repositories a default file governs depends on the other files: no literal default.
    let literal = !policy.is_default()
        && policy.repositories.include.is_some()
        && exclude.is_empty()
        && include.iter().all(|g| !g.contains(['*', '?']));
    // `Repositories governed by FILE (GLOBS…)[ in UNIT]. …`: `source_of` reads it back.
    let variable = |unit: Option<&str>| {
        let mut described = format!("{GOVERNED_BY}{} ({}", file.name, include.join(", "));
        if !exclude.is_empty() {
            described.push_str(&format!(", except {}", exclude.join(", ")));
        }
        if policy.is_default() {
            described.push_str(", the default file: those no other file selects");
        }
        described.push(')');
        if let Some(unit) = unit {
            described.push_str(&format!(" in {unit}"));
        }
        described.push_str(
            ". Its runtime rules run with `ecr-lifecycle apply --native-policies ignore`.",
        );
        let mut variable = json!({ "type": "set(string)", "description": described });
        if literal {
            variable["default"] = json!(include);
        }
        variable
    };
    let policy_text = escape_template(&native.to_json_compact());
    let units = terraform_units(policy);
    if units.is_empty() {
        return Ok(Some(json!({
            "variable": { format!("{id}_repositories"): variable(None) },
            "resource": {
                "aws_ecr_lifecycle_policy": {
                    id.clone(): {
                        "for_each": format!("${{var.{id}_repositories}}"),
                        "repository": "${each.value}",
                        "policy": policy_text,
                    }
                }
            }
        })));
    }
    let mut providers: Vec<Value> = Vec::new();
    let mut variables = serde_json::Map::new();
    let mut resources = serde_json::Map::new();
    let mut named: BTreeMap<String, String> = BTreeMap::new();
    for unit in &units {
        let name = format!("{id}_{}", unit.name());
        if let Some(other) = named.insert(name.clone(), unit.to_string()) {
            return Err(format!(
                "{}: {other} and {unit} would both be the Terraform provider configuration `aws.{name}`: Terraform names allow only letters, digits, `_` and `-`",
                file.name
            ));
        }
        providers.push(unit.provider(&name));
        variables.insert(
            format!("{name}_repositories"),
            variable(Some(&unit.to_string())),
        );
        resources.insert(
            name.clone(),
            json!({
                "provider": format!("aws.{name}"),
                "for_each": format!("${{var.{name}_repositories}}"),
                "repository": "${each.value}",
                "policy": policy_text,
            }),
        );
    }
    providers.sort_by(|a, b| a["alias"].as_str().cmp(&b["alias"].as_str()));
    Ok(Some(json!({
        "provider": { "aws": providers },
        "variable": variables,
        "resource": { "aws_ecr_lifecycle_policy": resources },
    })))
}

/// One account in one region that a policy file names, as Terraform reaches it.
struct TerraformUnit<'a> {
    account: Option<&'a Account>,
    region: Option<&'a str>,
}

/// Each account the file names in each region it names, in the order written; none when it
/// names neither (the default provider configuration governs).
fn terraform_units(policy: &Policy) -> Vec<TerraformUnit<'_>> {
    if policy.accounts.is_none() && policy.regions.is_none() {
        return Vec::new();
    }
    let accounts: Vec<Option<&Account>> = match &policy.accounts {
        None => vec![None],
        Some(list) => list.iter().map(Some).collect(),
    };
    let regions: Vec<Option<&str>> = match &policy.regions {
        None => vec![None],
        Some(list) => list.iter().map(|r| Some(r.as_str())).collect(),
    };
    accounts
        .iter()
        .flat_map(|account| {
            regions.iter().map(|region| TerraformUnit {
                account: *account,
                region: *region,
            })
        })
        .collect()
}

impl TerraformUnit<'_> {
    /// What the provider alias adds to the file's identifier: the profile (or the role's
    /// account and name), then the region, as Terraform names allow them.
    fn name(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        match self.account {
            Some(Account::Profile(p)) => parts.push(p.clone()),
            Some(Account::RoleArn(arn)) => {
                // `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`: role names are unique in an
                // account whatever their path.
                let fields: Vec<&str> = arn.splitn(6, ':').collect();
                let account = fields.get(4).copied().unwrap_or_default();
                let role = fields
                    .get(5)
                    .and_then(|r| r.rsplit('/').next())
                    .unwrap_or_default();
                parts.push(format!("{account}_{role}"));
            }
            None => {}
        }
        parts.extend(self.region.map(str::to_string));
        parts
            .join("_")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }

    /// The `provider "aws"` block of the unit.
    fn provider(&self, alias: &str) -> Value {
        let mut block = json!({ "alias": alias });
        match self.account {
            Some(Account::Profile(p)) => block["profile"] = json!(escape_template(p)),
            Some(Account::RoleArn(arn)) => {
                block["assume_role"] = json!({ "role_arn": escape_template(arn) })
            }
            None => {}
        }
        if let Some(region) = self.region {
            block["region"] = json!(escape_template(region));
        }
        block
    }
}

impl std::fmt::Display for TerraformUnit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.account, self.region) {
            (Some(a), Some(r)) => write!(f, "{a}, {r}"),
            (Some(a), None) => write!(f, "{a}"),
            (None, Some(r)) => write!(f, "{r}"),
            (None, None) => write!(f, "the default account and region"),
        }
    }
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
                            (Some(Value::Array(e2)), Value::Array(m2)) => e2.extend(m2),
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
