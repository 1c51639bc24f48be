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

pub fn run(args: &IamPolicyArgs) -> ExitStatus {
    let resources: Vec<String> = if args.files.is_empty() {
        vec!["arn:aws:ecr:*:*:repository/*".into()]
    } else {
        let Some(policies) = load::policies(&args.files) else {
            return ExitStatus::Failure;
        };
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
    output::stdout(&document(args.apply, &resources));
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

fn document(apply: bool, resources: &[String]) -> String {
    let mut repo_actions: Vec<&str> = READ.to_vec();
    if apply {
        repo_actions.extend(WRITE);
    }
    let doc = Document {
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
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
