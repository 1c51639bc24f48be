//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ecr_lifecycle_compiler::dsl::policy::RegistryKind;
use ecr_lifecycle_runtime::pace::Concurrency;

const AFTER_HELP: &str = "\
Exit codes: 0 nothing to do (or valid), 1 error, 2 changes, drift or stale output.

Examples:
  ecr-lifecycle validate policies/*.yaml
  ecr-lifecycle compile policies/*.yaml --out compiled/
  ecr-lifecycle compile policies/*.yaml --out compiled/ --check
  ecr-lifecycle evaluate policies/web.yaml --images images.json --now 2026-01-01T00:00:00Z
  ecr-lifecycle plan policies/*.yaml --registry file:demo/registry.json -o plan.json
  ecr-lifecycle apply plan.json --registry file:demo/registry.json
  ecr-lifecycle diff policies/*.yaml --region eu-west-1";

/// Retention rules for Amazon ECR, written once in a reviewed YAML DSL: compiled into native
/// lifecycle policies where ECR can do the work, and run by this tool where it cannot.
#[derive(Debug, Parser)]
#[command(name = "ecr-lifecycle", version, after_help = AFTER_HELP, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to colour output: `auto` colours a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub(crate) fn write_global(self) {
        let c = match self {
            ColorChoice::Auto => anstream::ColorChoice::Auto,
            ColorChoice::Always => anstream::ColorChoice::Always,
            ColorChoice::Never => anstream::ColorChoice::Never,
        };
        c.write_global();
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check policy files: syntax, values, rule names, reachability, overlapping repositories.
    ///
    /// Every error is printed as `file:line:col` with the source line, a caret and a hint.
    #[command(after_help = "Example:\n  ecr-lifecycle validate policies/*.yaml")]
    Validate(ValidateArgs),

    /// Compile policy files into native ECR lifecycle policies plus the rules left to the runner.
    ///
    /// For each rule, says what ECR does natively, what the runner does, and why. With `--out`,
    /// writes `<name>.lifecycle-policy.json` (the exact text for PutLifecyclePolicy, when ECR has
    /// anything to do) and `<name>.compiled.json` (the full account) per policy file; with
    /// `--check`, writes nothing and exits 2 when those files are missing or out of date, or
    /// when DIR holds the output of a policy file that is gone. The output of policy files
    /// that exist but are not given is left alone (a pre-commit hook gives the changed ones).
    #[command(
        after_help = "Examples:\n  ecr-lifecycle compile policies/web.yaml\n  ecr-lifecycle compile policies/*.yaml --out compiled/\n  ecr-lifecycle compile policies/*.yaml --out compiled/ --check   # in CI"
    )]
    Compile(CompileArgs),

    /// Print the JSON Schema of policy files (for editors: `# yaml-language-server: $schema=…`).
    Schema,

    /// Print the digests a native ECR lifecycle policy expires, one per line, sorted.
    ///
    /// Follows ECR's documented evaluation: rules by priority per storage class, an image is
    /// acted on only by the first rule whose tag filter it matches, and `imageCountMoreThan`
    /// counts every image its filter matches, including those earlier rules protect.
    #[command(
        after_help = "Example:\n  ecr-lifecycle simulate --policy compiled/web.lifecycle-policy.json --images images.json"
    )]
    Simulate(SimulateArgs),

    /// Print the digests a DSL policy expires (the reference semantics), one per line, sorted.
    #[command(
        after_help = "Example:\n  aws ecr describe-images --repository-name web --output json > images.json\n  ecr-lifecycle evaluate policies/web.yaml --images images.json --repository web"
    )]
    Evaluate(EvaluateArgs),

    /// Show what would change in a registry: native policies to put, replace or delete, the
    /// images the runner would delete (with rule and reason), and what ECR will expire itself.
    ///
    /// Reads each governed repository once. Exit code 0: no changes, 2: changes, 1: error.
    /// Save the plan with `-o` and carry it out exactly with `apply`.
    ///
    /// To split tens of thousands of repositories across machines (a CI matrix, a Kubernetes
    /// Indexed Job, an AWS Batch array job), run `plan --shard I/N -o plan-I.json` on each and
    /// combine them with `plan merge plan-*.json -o plan.json`.
    #[command(
        after_help = "Examples:\n  ecr-lifecycle plan policies/*.yaml --registry file:demo/registry.json\n  ecr-lifecycle plan policies/*.yaml --region eu-west-1 -o plan.json\n  ecr-lifecycle plan policies/*.yaml --format markdown > plan.md   # for a pull request\n  ecr-lifecycle plan policies/*.yaml --shard 2/8 -o plan-2.json     # one of 8 machines\n  ecr-lifecycle plan merge plan-*.json -o plan.json",
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true
    )]
    Plan(PlanCommand),

    /// Carry out a saved plan (or, with --auto-approve, plan and apply policy files at once).
    ///
    /// Re-reads every repository and deletes only images that are in the plan and still expire
    /// now; the rest are skipped and reported. Refuses a plan made from other policy files.
    /// Running the same plan twice deletes nothing the second time.
    #[command(
        after_help = "Examples:\n  ecr-lifecycle apply plan.json\n  ecr-lifecycle apply --auto-approve policies/*.yaml --registry file:demo/registry.json"
    )]
    Apply(ApplyArgs),

    /// Show drift between the compiled native policies and those applied, as unified diffs.
    ///
    /// Also lists repositories with a native policy that no policy file governs.
    /// Exit code 0: no drift, 2: drift, 1: error.
    #[command(after_help = "Example:\n  ecr-lifecycle diff policies/*.yaml --region eu-west-1")]
    Diff(DiffArgs),

    /// Save a registry's repositories, images and lifecycle policies to a file, for offline
    /// plans, reviews and tests (`--registry file:FILE`).
    #[command(
        after_help = "Example:\n  ecr-lifecycle snapshot --repositories 'team/*' -o registry.json"
    )]
    Snapshot(SnapshotArgs),

    /// Explain one image: the rule that governs it, whether it is kept or expires and why
    /// (rank among the newest, age, anchor date), and whether ECR or the runner acts on it.
    #[command(
        after_help = "Examples:\n  ecr-lifecycle explain web-frontend:v3.2.1 policies/*.yaml --registry file:demo/registry.json\n  ecr-lifecycle explain apps/web@sha256:3a55ac70240f policies/*.yaml --region eu-west-1"
    )]
    Explain(ExplainArgs),

    /// Write a policy file equivalent to the native lifecycle policy applied in a registry, so
    /// that adoption starts from what exists.
    ///
    /// The file keeps ECR's evaluation (`evaluation: ecr`), names rules from their descriptions,
    /// and compiles back to exactly the applied policy. All selected repositories must carry
    /// the same policy; narrow `--repositories` otherwise.
    #[command(
        after_help = "Examples:\n  ecr-lifecycle import --repositories 'team/*' -o policies/team.yaml\n  ecr-lifecycle import --registry file:demo/registry.json --repositories legacy-tools"
    )]
    Import(ImportArgs),

    /// Print the least-privilege IAM policy for `plan`, `diff` and `snapshot` (read-only), or
    /// with --apply for `apply` too; given policy files, scoped to their repositories.
    #[command(
        after_help = "Examples:\n  ecr-lifecycle iam-policy\n  ecr-lifecycle iam-policy --apply policies/*.yaml > ecr-lifecycle-apply.json"
    )]
    IamPolicy(IamPolicyArgs),

    /// Find where native lifecycle policies do something other than their rule order suggests.
    ///
    /// Reads the given policy files (the JSON PutLifecyclePolicy accepts), or without files the
    /// policies applied to the registry's repositories, and reports, most consequential first:
    /// anything ECR refuses, counts that include images a higher-priority rule protects, lists
    /// of several patterns (ECR reads them as AND), and rules that higher rules shadow
    /// entirely. Each finding comes with a few example images and what ECR does to them
    /// (simulated) against what the rule order suggests, and the policy file that says what
    /// the rules meant (first-match, as the policy language reads rules).
    ///
    /// A note, not a finding: untagged or `any` rules whose expiry the children of image
    /// indexes escape (ImageReferencedByManifestList); said once for all the files, and against
    /// a registry only for repositories that hold image indexes.
    ///
    /// Exit code 0: no findings (notes do not count), 2: findings, 1: error.
    #[command(
        after_help = "Examples:\n  ecr-lifecycle lint legacy/*.lifecycle-policy.json\n  ecr-lifecycle lint --registry file:demo/registry.json\n  ecr-lifecycle lint --region eu-west-1 --repositories 'team/*' --format json"
    )]
    Lint(LintArgs),

    /// Run as an AWS Lambda function (custom runtime `provided.al2023`; the binary packaged as
    /// `bootstrap` runs this by itself).
    ///
    /// Each invocation (a schedule's event, or `{}`) plans the policy files, in `apply` mode
    /// applies the plan under the --max-delete guard, logs one JSON line per repository and one
    /// with the totals, and answers with the run's JSON report (as `apply --format json`). A run
    /// that cannot do its work, or in which any repository failed, is an invocation error that
    /// says what to fix. Configured by environment variables; see the README's "Scheduled runs".
    #[cfg(feature = "lambda")]
    #[command(
        after_help = "Environment:\n  ECR_LIFECYCLE_POLICIES    policies/, policies/*.yaml or s3://BUCKET/PREFIX/\n  ECR_LIFECYCLE_MODE        plan (the default: report only) or apply\n  ECR_LIFECYCLE_MAX_DELETE  the apply guard (default 1000)"
    )]
    Lambda(LambdaArgs),

    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  ecr-lifecycle completions bash > /etc/bash_completion.d/ecr-lifecycle\n  ecr-lifecycle completions zsh > \"${fpath[1]}/_ecr-lifecycle\""
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Policy files (YAML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CompileFormat {
    /// A readable account per file and the native policy JSON.
    Text,
    /// One JSON document for machines.
    Json,
    /// `aws_ecr_lifecycle_policy` resources in Terraform JSON syntax (`*.tf.json`), for the
    /// native part; ecr-lifecycle then runs only the runtime rules (`--native-policies ignore`).
    Terraform,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people.
    Text,
    /// For machines.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct CompileArgs {
    /// Policy files (YAML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the compiled files into this directory instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With `--out`: write nothing; exit 2 if the given files' output in DIR is missing or out
    /// of date, or DIR holds the output of a policy file that is gone.
    #[arg(long, requires = "out")]
    pub check: bool,
    /// Output format when printing.
    #[arg(long, value_enum, default_value_t = CompileFormat::Text)]
    pub format: CompileFormat,
}

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// A native lifecycle policy (the JSON PutLifecyclePolicy accepts).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    #[command(flatten)]
    pub images: ImagesArgs,
    /// Print every action, one `expire <digest>` or `archive <digest>` line each, sorted
    /// (default: the expired digests only).
    #[arg(long)]
    pub actions: bool,
}

#[derive(Debug, Args)]
pub(crate) struct EvaluateArgs {
    /// Policy files (YAML); each repository is evaluated under the file that governs it.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Only this repository (also the name given to images that carry no `repositoryName`).
    #[arg(long, value_name = "NAME")]
    pub repository: Option<String>,
    #[command(flatten)]
    pub images: ImagesArgs,
    /// Print every action, one `expire <digest>`, `archive <digest>` or `untag <digest> <tag>`
    /// (a tag removed from an image that stays) line each, sorted (default: the expired
    /// digests only).
    #[arg(long)]
    pub actions: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ImagesArgs {
    /// The output of `aws ecr describe-images --output json` (`-` for standard input).
    ///
    /// Optional extra members per image: `childManifestDigests` (the manifests an image index
    /// lists) and `subjectManifestDigest` (what a signature or SBOM refers to).
    #[arg(long, value_name = "FILE")]
    pub images: PathBuf,
    /// The time to evaluate at (RFC 3339, like 2026-01-31T12:00:00Z). Default: now.
    #[arg(long, value_name = "TIME", env = "ECR_LIFECYCLE_NOW")]
    pub now: Option<String>,
}

/// Where the registry is, and how to reach it.
#[derive(Debug, Args, Clone)]
pub(crate) struct RegistryArgs {
    /// `ecr` (Amazon ECR, through the standard AWS credential chain), `ecr-public` (Amazon ECR
    /// Public, always in us-east-1 whatever --region says: its API is served there only), or
    /// `file:PATH` (a snapshot). A policy file's own `registry:` takes precedence.
    #[arg(long, value_name = "ecr|ecr-public|file:PATH", default_value = "ecr")]
    pub registry: RegistryChoice,
    /// The AWS profile to use (as `aws --profile`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The AWS region (as `aws --region`); default: from the environment or profile.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Send ECR calls to this endpoint (also read from AWS_ENDPOINT_URL).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// How many repositories to read at once: a number, or `auto` to start at 8 and adapt:
    /// more at once while ECR answers, half as many when it throttles (`--stats` shows the
    /// pace reached and the throttles met).
    #[arg(long, value_name = "N|auto", default_value = "auto")]
    pub concurrency: Concurrency,
    /// Print the number of calls per API operation and the time spent, on standard error.
    #[arg(long)]
    pub stats: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PlanFormat {
    /// Terraform-style text.
    Text,
    /// The plan file's JSON.
    Json,
    /// For a pull-request comment.
    Markdown,
}

#[derive(Debug, Args)]
pub(crate) struct PlanCommand {
    #[command(subcommand)]
    pub merge: Option<PlanSub>,
    #[command(flatten)]
    pub args: PlanArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PlanSub {
    /// Combine plans made with `--shard I/N` (same policy files, same registry) into one.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// Shard plans (`plan --shard I/N -o FILE`).
    #[arg(required = true)]
    pub plans: Vec<PathBuf>,
    /// Write the combined plan here (default: standard output, as JSON).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `I/N`: the I-th of N shards (1-based).
pub(crate) use ecr_lifecycle_runtime::plan::Shard;

/// Which registry a command reads: Amazon ECR, or a snapshot file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegistryChoice {
    Ecr,
    EcrPublic,
    File(PathBuf),
}

impl RegistryChoice {
    /// The kind of registry the policy files that name none govern.
    pub(crate) fn kind(&self) -> RegistryKind {
        match self {
            RegistryChoice::EcrPublic => RegistryKind::EcrPublic,
            RegistryChoice::Ecr | RegistryChoice::File(_) => RegistryKind::Ecr,
        }
    }
}

impl std::str::FromStr for RegistryChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<RegistryChoice, String> {
        match s {
            "ecr" => Ok(RegistryChoice::Ecr),
            "ecr-public" => Ok(RegistryChoice::EcrPublic),
            // An empty path is refused when the file is opened, with what to write.
            _ => s
                .strip_prefix("file:")
                .map(|p| RegistryChoice::File(PathBuf::from(p)))
                .ok_or_else(|| {
                    format!("unknown registry `{s}`: use `ecr`, `ecr-public` or `file:PATH`")
                }),
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// Policy files (YAML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Save the plan to this file, for `apply`.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// `manage`: put, replace and delete native policies. `ignore`: leave them to another tool
    /// (Terraform, with `compile --format terraform`) and plan only the runner's deletions,
    /// assuming the compiled native policies are in place.
    #[arg(long, value_enum, default_value_t = NativePolicies::Manage)]
    pub native_policies: NativePolicies,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// The time to plan at (RFC 3339). Default: now.
    #[arg(long, value_name = "TIME", env = "ECR_LIFECYCLE_NOW")]
    pub now: Option<String>,
    /// Plan only the I-th of N deterministic parts of the repositories (by a stable hash of
    /// their names), for running on N machines.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    #[command(flatten)]
    pub choices: PlanChoices,
}

/// Choices that change what a plan contains.
#[derive(Debug, Clone, Args)]
pub(crate) struct PlanChoices {
    /// Delete archived images the policy expires even when they have been in the archive for
    /// less than ECR's 90-day minimum. ECR bills the rest of the 90 days anyway; the plan shows
    /// that charge. Without this, such images are held until their 90 days are up.
    #[arg(long)]
    pub allow_early_archive_delete: bool,
    /// Standard storage price in US dollars per GB-month, for the plan's figures.
    #[arg(long, value_name = "USD", default_value_t = ecr_lifecycle_runtime::plan::STANDARD_PRICE_PER_GB_MONTH)]
    pub standard_price: f64,
    /// Archive storage price in US dollars per GB-month, for the plan's figures. AWS bills the
    /// first 150 TB of archive a month at the standard price and $0.07 above that: give 0.07
    /// when your archive is larger.
    #[arg(long, value_name = "USD", default_value_t = ecr_lifecycle_runtime::plan::ARCHIVE_PRICE_PER_GB_MONTH)]
    pub archive_price: f64,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// A saved plan (`plan -o FILE`), or, with --auto-approve, policy files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Plan and apply policy files without asking.
    #[arg(long)]
    pub auto_approve: bool,
    /// With policy files: whether to manage native policies (see `plan --help`).
    #[arg(long, value_enum, default_value_t = NativePolicies::Manage)]
    pub native_policies: NativePolicies,
    /// Refuse to delete more images than this in one apply: the runner's deletions plus what
    /// the native policies it puts or replaces will make ECR expire.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_DELETE)]
    pub max_delete: usize,
    /// With policy files: plan choices (see `plan --help`).
    #[command(flatten)]
    pub choices: PlanChoices,
    /// Where to apply; a saved plan made against a snapshot file applies to that file.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The time to check expiry at (RFC 3339). Default: now.
    #[arg(long, value_name = "TIME", env = "ECR_LIFECYCLE_NOW")]
    pub now: Option<String>,
    /// Output format: the report as text, or one JSON document (the plan and what was done,
    /// with totals: what the Lambda function answers).
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    pub format: ApplyFormat,
}

/// The Lambda function's settings, from its environment variables.
#[cfg(feature = "lambda")]
#[derive(Debug, Clone, Args)]
pub(crate) struct LambdaArgs {
    /// The policy files: a directory or a glob in the function's package, or
    /// `s3://BUCKET/PREFIX/` (every `*.yaml` and `*.yml` under it).
    #[arg(long, value_name = "SOURCE", env = "ECR_LIFECYCLE_POLICIES")]
    pub policies: Option<String>,
    /// `plan` reports only; `apply` carries the plan out.
    #[arg(long, value_enum, env = "ECR_LIFECYCLE_MODE", default_value_t = LambdaMode::Plan)]
    pub mode: LambdaMode,
    /// The apply guard, as `apply --max-delete`.
    #[arg(long, value_name = "N", env = "ECR_LIFECYCLE_MAX_DELETE", default_value_t = DEFAULT_MAX_DELETE)]
    pub max_delete: usize,
    #[command(flatten)]
    pub choices: PlanChoices,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The time to plan at (RFC 3339). Default: now.
    #[arg(long, value_name = "TIME", env = "ECR_LIFECYCLE_NOW")]
    pub now: Option<String>,
}

#[cfg(feature = "lambda")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LambdaMode {
    /// Plan and report only.
    Plan,
    /// Plan and apply.
    Apply,
}

/// `apply --max-delete` and the Lambda function's guard, unless set.
pub(crate) const DEFAULT_MAX_DELETE: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ApplyFormat {
    /// What was done, per repository.
    Text,
    /// `{"plan": …, "apply": {"repositories": […], "summary": …}}`.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// Policy files (YAML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The time to evaluate at (RFC 3339), which decides where a native policy is withheld.
    #[arg(long, value_name = "TIME", env = "ECR_LIFECYCLE_NOW")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SnapshotArgs {
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Only repositories matching these globs (default: all).
    #[arg(long, value_name = "GLOB", num_args = 1..)]
    pub repositories: Vec<String>,
    /// The snapshot file to write.
    #[arg(short = 'o', long = "out", value_name = "FILE", required = true)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// `REPOSITORY:TAG`, `REPOSITORY@sha256:…`, or the start of a digest as plans print it
    /// (`REPOSITORY@sha256:3a55ac70240f`); a registry host in front is ignored.
    pub image: String,
    /// Policy files (YAML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The time to evaluate at (RFC 3339). Default: now.
    #[arg(long, value_name = "TIME", env = "ECR_LIFECYCLE_NOW")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct IamPolicyArgs {
    /// Include what `apply` needs: putting and deleting lifecycle policies, deleting images.
    #[arg(long)]
    pub apply: bool,
    /// Scope repository permissions to the repositories these policy files govern, and read
    /// permissions for images in use to the services their `in_use` sections name (without
    /// files: ECS and Lambda both).
    pub files: Vec<PathBuf>,
    /// The registry of the files that name none: `ecr` or `ecr-public` (the `ecr-public:`
    /// actions, on ECR Public's repository ARNs).
    #[arg(long, value_name = "ecr|ecr-public", default_value = "ecr")]
    pub registry: RegistryChoice,
}

#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// Native lifecycle policy files (JSON); without them, the policies the registry's
    /// repositories carry.
    #[arg(conflicts_with = "repositories")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Without files: only repositories matching these globs (default: all that carry a policy).
    #[arg(long, value_name = "GLOB", num_args = 1..)]
    pub repositories: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The time the examples are set at (RFC 3339). Default: now.
    #[arg(long, value_name = "TIME", env = "ECR_LIFECYCLE_NOW")]
    pub now: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum NativePolicies {
    Manage,
    Ignore,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Only repositories matching these globs (default: all that carry a policy).
    #[arg(long, value_name = "GLOB", num_args = 1..)]
    pub repositories: Vec<String>,
    /// Write the policy file here (default: standard output).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}
