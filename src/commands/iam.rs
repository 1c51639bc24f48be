use ecr_lifecycle_compiler::dsl::Policy;
use ecr_lifecycle_compiler::dsl::policy::RegistryKind;
use ecr_lifecycle_compiler::glob::{Glob, common_name};
use ecr_lifecycle_compiler::source::SourceFile;
use serde::Serialize;

use crate::cli::IamPolicyArgs;
use crate::commands::load;
use crate::exit::ExitStatus;
use crate::output;

/// Reading a repository: its images, index manifests (children) and lifecycle policy.
const READ: [&str; 3] = [
    "ecr:DescribeImages",
    "ecr:BatchGetImage",
    "ecr:GetLifecyclePolicy",
];
/// What `apply` adds.
const WRITE: [&str; 4] = [
    "ecr:PutLifecyclePolicy",
    "ecr:DeleteLifecyclePolicy",
    "ecr:BatchDeleteImage",
    "ecr:UpdateImageStorageClass",
];

/// Finding images in use (`in_use: { ecs: true }`): services, tasks and task definitions.
const ECS_READ: [&str; 8] = [
    "ecs:ListClusters",
    "ecs:ListServices",
    "ecs:DescribeServices",
    "ecs:ListTasks",
    "ecs:DescribeTasks",
    "ecs:ListTaskDefinitionFamilies",
    "ecs:ListTaskDefinitions",
    "ecs:DescribeTaskDefinition",
];
/// Finding images in use (`in_use: { lambda: true }`): every function version's image.
const LAMBDA_READ: [&str; 2] = ["lambda:ListFunctions", "lambda:GetFunction"];

/// ECR Public: reading a repository's images, and what `apply` adds (it has no lifecycle
/// policies and no archive).
const PUBLIC_READ: [&str; 1] = ["ecr-public:DescribeImages"];
const PUBLIC_WRITE: [&str; 1] = ["ecr-public:BatchDeleteImage"];

/// The ARN patterns of a kind of registry's repositories, from repository globs (IAM resource
/// ARNs take the same `*` and `?` wildcards). ECR Public's ARNs have no region.
fn arn(kind: RegistryKind, glob: &str) -> String {
    match kind {
        RegistryKind::Ecr => format!("arn:aws:ecr:*:*:repository/{glob}"),
        RegistryKind::EcrPublic => format!("arn:aws:ecr-public::*:repository/{glob}"),
    }
}

/// What one kind of registry's statements cover.
struct Scope {
    kind: RegistryKind,
    resources: Vec<String>,
    denied: Vec<String>,
}

pub(super) fn run(args: &IamPolicyArgs) -> ExitStatus {
    let given = args.registry.kind();
    // Without policy files, everything a policy could ask for.
    let mut in_use = (true, true);
    let scopes: Vec<Scope> = if args.files.is_empty() {
        vec![Scope {
            kind: given,
            resources: vec![arn(given, "*")],
            denied: Vec::new(),
        }]
    } else {
        let Some(policies) = load::policies(&args.files) else {
            return ExitStatus::Failure;
        };
        in_use = policies
            .iter()
            .filter_map(|(_, p)| p.in_use.as_ref())
            .fold((false, false), |(e, l), u| (e || u.ecs, l || u.lambda));
        let mut scopes = Vec::new();
        for kind in [RegistryKind::Ecr, RegistryKind::EcrPublic] {
            let these: Vec<(SourceFile, Policy)> = policies
                .iter()
                .filter(|(_, p)| p.registry.as_ref().map_or(given, |r| r.value) == kind)
                .cloned()
                .collect();
            if these.is_empty() {
                continue;
            }
            let mut denied = Vec::new();
            if args.apply {
                let (deny, notes) = excluded(&these);
                denied = deny.iter().map(|g| arn(kind, g)).collect();
                for n in notes {
                    output::warning(&n);
                }
            }
            let mut resources: Vec<String> = these
                .iter()
                .flat_map(|(_, p)| p.repositories.include_globs())
                .map(|g| arn(kind, &g.to_string()))
                .collect();
            resources.sort();
            resources.dedup();
            scopes.push(Scope {
                kind,
                resources,
                denied,
            });
        }
        scopes
    };
    output::stdout(&document(args.apply, &scopes, in_use));
    ExitStatus::Success
}

/// The repositories `apply` must stay out of: IAM resource patterns cannot subtract a file's
/// `exclude` from its `repositories` (`svc/*` but not `svc/legacy-*`), so the Allow covers
/// excluded repositories and an explicit Deny of the write actions takes them back. An
/// exclusion that another file's repositories reach (it governs some of those names) cannot
/// be denied without locking that file out: it is left out, with a warning that says so.
fn excluded(policies: &[(SourceFile, Policy)]) -> (Vec<String>, Vec<String>) {
    let mut deny = Vec::new();
    let mut notes = Vec::new();
    for (i, (file, policy)) in policies.iter().enumerate() {
        let include = policy.repositories.include_globs();
        for ex in &policy.repositories.exclude {
            // An exclusion its own file's globs never reach takes nothing back.
            if !include.iter().any(|g| common_name(g, ex, &[]).is_some()) {
                continue;
            }
            let other = policies
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .find_map(|(_, (f, p))| {
                    let their_exclude: Vec<&Glob> =
                        p.repositories.exclude.iter().map(|g| &**g).collect();
                    p.repositories
                        .include_globs()
                        .iter()
                        .find_map(|g| common_name(ex, g, &their_exclude))
                        .map(|name| (f, name))
                });
            match other {
                None => deny.push(ex.to_string()),
                Some((f, name)) => notes.push(format!(
                    "`{}` (excluded by {}) is not denied to `apply`: {} governs repositories it matches, such as `{name}`; the Allow for {}'s repositories covers the rest of them",
                    **ex, file.name, f.name, file.name
                )),
            }
        }
    }
    deny.sort();
    deny.dedup();
    (deny, notes)
}

/// An IAM policy document, its members in the order AWS shows them.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Document<'a> {
    version: &'a str,
    statement: Vec<Statement<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Statement<'a> {
    sid: &'a str,
    effect: &'a str,
    action: Vec<&'a str>,
    resource: Vec<String>,
}

fn document(apply: bool, scopes: &[Scope], (ecs, lambda): (bool, bool)) -> String {
    let mut consumers: Vec<&str> = Vec::new();
    if ecs {
        consumers.extend(ECS_READ);
    }
    if lambda {
        consumers.extend(LAMBDA_READ);
    }
    let mut doc = Document {
        version: "2012-10-17",
        statement: Vec::new(),
    };
    for scope in scopes {
        let (list, read, write, sids): (&str, &[&str], &[&str], [&str; 4]) = match scope.kind {
            RegistryKind::Ecr => (
                "ecr:DescribeRepositories",
                &READ,
                &WRITE,
                [
                    "ListRepositories",
                    "ReadRepositories",
                    "ReadAndCleanRepositories",
                    "LeaveExcludedRepositories",
                ],
            ),
            RegistryKind::EcrPublic => (
                "ecr-public:DescribeRepositories",
                &PUBLIC_READ,
                &PUBLIC_WRITE,
                [
                    "ListPublicRepositories",
                    "ReadPublicRepositories",
                    "ReadAndCleanPublicRepositories",
                    "LeaveExcludedPublicRepositories",
                ],
            ),
        };
        let mut actions: Vec<&str> = read.to_vec();
        if apply {
            actions.extend(write);
        }
        doc.statement.push(Statement {
            sid: sids[0],
            effect: "Allow",
            action: vec![list],
            resource: vec!["*".into()],
        });
        doc.statement.push(Statement {
            sid: if apply { sids[2] } else { sids[1] },
            effect: "Allow",
            action: actions,
            resource: scope.resources.clone(),
        });
        if apply && !scope.denied.is_empty() {
            doc.statement.push(Statement {
                sid: sids[3],
                effect: "Deny",
                action: write.to_vec(),
                resource: scope.denied.clone(),
            });
        }
    }
    if !consumers.is_empty() {
        // These list calls take no resource-level permissions.
        doc.statement.push(Statement {
            sid: "FindImagesInUse",
            effect: "Allow",
            action: consumers,
            resource: vec!["*".into()],
        });
    }
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
