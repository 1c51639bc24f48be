use ecr_lifecycle_compiler::dsl::Policy;
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

pub(super) fn run(args: &IamPolicyArgs) -> ExitStatus {
    // Without policy files, everything a policy could ask for.
    let mut in_use = (true, true);
    let mut denied = Vec::new();
    let resources: Vec<String> = if args.files.is_empty() {
        vec!["arn:aws:ecr:*:*:repository/*".into()]
    } else {
        let Some(policies) = load::policies(&args.files) else {
            return ExitStatus::Failure;
        };
        if args.apply {
            let (deny, notes) = excluded(&policies);
            denied = deny;
            for n in notes {
                output::warning(&n);
            }
        }
        in_use = policies
            .iter()
            .filter_map(|(_, p)| p.in_use.as_ref())
            .fold((false, false), |(e, l), u| (e || u.ecs, l || u.lambda));
        // IAM resource ARNs take the same `*` and `?` wildcards as repository globs.
        let mut r: Vec<String> = policies
            .iter()
            .flat_map(|(_, p)| p.repositories.include_globs())
            .map(|g| format!("arn:aws:ecr:*:*:repository/{g}"))
            .collect();
        r.sort();
        r.dedup();
        r
    };
    output::stdout(&document(args.apply, &resources, &denied, in_use));
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
                None => deny.push(format!("arn:aws:ecr:*:*:repository/{}", **ex)),
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

fn document(
    apply: bool,
    resources: &[String],
    denied: &[String],
    (ecs, lambda): (bool, bool),
) -> String {
    let mut repo_actions: Vec<&str> = READ.to_vec();
    if apply {
        repo_actions.extend(WRITE);
    }
    let mut consumers: Vec<&str> = Vec::new();
    if ecs {
        consumers.extend(ECS_READ);
    }
    if lambda {
        consumers.extend(LAMBDA_READ);
    }
    let mut doc = Document {
        version: "2012-10-17",
        statement: vec![
            Statement {
                sid: "ListRepositories",
                effect: "Allow",
                action: vec!["ecr:DescribeRepositories"],
                resource: vec!["*".into()],
            },
            Statement {
                sid: if apply {
                    "ReadAndCleanRepositories"
                } else {
                    "ReadRepositories"
                },
                effect: "Allow",
                action: repo_actions,
                resource: resources.to_vec(),
            },
        ],
    };
    if apply && !denied.is_empty() {
        doc.statement.push(Statement {
            sid: "LeaveExcludedRepositories",
            effect: "Deny",
            action: WRITE.to_vec(),
            resource: denied.to_vec(),
        });
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
