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

pub fn run(args: &IamPolicyArgs) -> ExitStatus {
    // Without policy files, everything a policy could ask for.
    let mut in_use = (true, true);
    let resources: Vec<String> = if args.files.is_empty() {
        vec!["arn:aws:ecr:*:*:repository/*".into()]
    } else {
        let Some(policies) = load::policies(&args.files) else {
            return ExitStatus::Failure;
        };
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
    output::stdout(&document(args.apply, &resources, in_use));
    ExitStatus::Success
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

fn document(apply: bool, resources: &[String], (ecs, lambda): (bool, bool)) -> String {
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
