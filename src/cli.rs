//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Exit codes: 0 nothing to do (or valid), 1 error, 2 changes, drift or stale output.

Examples:
  ecr-lifecycle validate policies/*.yaml
  ecr-lifecycle compile policies/*.yaml --out compiled/
  ecr-lifecycle compile policies/*.yaml --out compiled/ --check
  ecr-lifecycle evaluate policies/web.yaml --images images.json --now 2026-01-01T00:00:00Z";

/// Retention rules for Amazon ECR, written once in a reviewed YAML DSL: compiled into native
/// lifecycle policies where ECR can do the work, and run by this tool where it cannot.
#[derive(Debug, Parser)]
#[command(name = "ecr-lifecycle", version, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to colour output: `auto` colours a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn write_global(self) {
        let c = match self {
            ColorChoice::Auto => anstream::ColorChoice::Auto,
            ColorChoice::Always => anstream::ColorChoice::Always,
            ColorChoice::Never => anstream::ColorChoice::Never,
        };
        c.write_global();
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// `--check`, writes nothing and exits 2 when those files are missing or out of date.
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
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Policy files (YAML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompileFormat {
    /// A readable account per file and the native policy JSON.
    Text,
    /// One JSON document for machines.
    Json,
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Policy files (YAML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the compiled files into this directory instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With `--out`: write nothing; exit 2 if the directory is not what compiling would write.
    #[arg(long, requires = "out")]
    pub check: bool,
    /// Output format when printing.
    #[arg(long, value_enum, default_value_t = CompileFormat::Text)]
    pub format: CompileFormat,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// A native lifecycle policy (the JSON PutLifecyclePolicy accepts).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    #[command(flatten)]
    pub images: ImagesArgs,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Policy files (YAML); each repository is evaluated under the file that governs it.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Only this repository (also the name given to images that carry no `repositoryName`).
    #[arg(long, value_name = "NAME")]
    pub repository: Option<String>,
    #[command(flatten)]
    pub images: ImagesArgs,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
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
