//! Opening the registry named on the command line, the async runtime, and progress bars.

use ecr_lifecycle_compiler::dsl::policy::RegistryKind;
use ecr_lifecycle_runtime::pace::Pace;
use ecr_lifecycle_runtime::planner::Progress;
use ecr_lifecycle_runtime::registry::ecr::{EcrOptions, EcrRegistry};
use ecr_lifecycle_runtime::registry::ecr_public::EcrPublicRegistry;
use ecr_lifecycle_runtime::registry::file::FileRegistry;
use ecr_lifecycle_runtime::registry::{AnyRegistry, RegistryError};
use ecr_lifecycle_runtime::stats::Stats;

use ecr_lifecycle_compiler::dsl::policy::Account;
use ecr_lifecycle_runtime::plan::Unit;

use crate::cli::{RegistryArgs, RegistryChoice};

/// The runtime for SDK calls.
pub(super) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Opens `ecr`, `ecr-public` or `file:PATH`.
pub(super) async fn open(args: &RegistryArgs) -> Result<AnyRegistry, String> {
    let unit = Unit {
        registry: args.registry.kind(),
        ..Unit::default()
    };
    open_in(args, &unit).await
}

/// Opens the registry of a unit of work: its account (a profile, or a role assumed with the
/// run-time credentials) and region, as a policy file names them, or the run-time defaults.
/// A snapshot file holds one registry, whatever the account and region.
pub(super) async fn open_in(args: &RegistryArgs, unit: &Unit) -> Result<AnyRegistry, String> {
    if let RegistryChoice::File(path) = &args.registry {
        return FileRegistry::open(path).map(AnyRegistry::File);
    }
    let profile = match &unit.account {
        Some(Account::Profile(p)) => Some(p.clone()),
        _ => args.profile.clone(),
    };
    // The SDK's credential chain takes the environment's keys before a named profile: every
    // account would then be the environment's.
    if let Some(p) = &profile
        && std::env::var_os("AWS_ACCESS_KEY_ID").is_some()
    {
        return Err(format!(
            "profile `{p}` is named, but AWS_ACCESS_KEY_ID is set in the environment, and the AWS SDK would use those credentials instead of the profile's\n  hint: unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, or name the account by `role_arn`"
        ));
    }
    let options = ecr_options(args, unit);
    Ok(match unit.registry {
        RegistryKind::Ecr => AnyRegistry::Ecr(EcrRegistry::connect(&options).await),
        RegistryKind::EcrPublic => {
            AnyRegistry::EcrPublic(EcrPublicRegistry::connect(&options).await)
        }
    })
}

/// How the AWS SDK is set up for a unit of work: the profile or role, the region, the endpoint,
/// and the retry settings of the environment.
pub(super) fn ecr_options(args: &RegistryArgs, unit: &Unit) -> EcrOptions {
    let profile = match &unit.account {
        Some(Account::Profile(p)) => Some(p.clone()),
        _ => args.profile.clone(),
    };
    EcrOptions {
        profile,
        role_arn: match &unit.account {
            Some(Account::RoleArn(r)) => Some(r.clone()),
            _ => None,
        },
        region: unit.region.clone().or_else(|| args.region.clone()),
        endpoint_url: args.endpoint_url.clone(),
        max_attempts: std::env::var("ECR_LIFECYCLE_MAX_ATTEMPTS")
            .ok()
            .and_then(|v| v.parse().ok()),
        attempt_timeout: std::env::var("ECR_LIFECYCLE_ATTEMPT_TIMEOUT_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(std::time::Duration::from_millis),
        pace: std::sync::Arc::new(Pace::new(args.concurrency)),
    }
}

/// With `--stats`: calls per API operation and time spent, on standard error.
pub(super) fn report_stats(registry: &AnyRegistry, args: &RegistryArgs) {
    if !args.stats {
        return;
    }
    match registry {
        AnyRegistry::Ecr(r) => {
            crate::output::note(r.stats.table().trim_end());
            crate::output::note(&Stats::pace_line(&r.pace().report()));
        }
        AnyRegistry::EcrPublic(r) => {
            crate::output::note(r.stats.table().trim_end());
            crate::output::note(&Stats::pace_line(&r.pace().report()));
        }
        AnyRegistry::File(_) => crate::output::note("API calls: none (a snapshot file)"),
    }
}

/// A registry error as one paragraph: what failed, and what to do.
pub(super) fn explain(e: &RegistryError) -> String {
    format!("{e}\n  hint: {}", e.hint())
}

/// A progress bar on standard error when it is a terminal; nothing otherwise.
pub(super) struct Bar(indicatif::ProgressBar);

impl Bar {
    pub(super) fn new() -> Bar {
        Bar::styled(indicatif::ProgressBar::with_draw_target(
            None,
            indicatif::ProgressDrawTarget::stderr(),
        ))
    }

    /// One of several bars drawn together (units of work planned at once).
    pub(super) fn within(group: &indicatif::MultiProgress) -> Bar {
        Bar::styled(group.add(indicatif::ProgressBar::new(0)))
    }

    fn styled(bar: indicatif::ProgressBar) -> Bar {
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg:>22} [{bar:30}] {pos}/{len} ({elapsed}, {eta} left)",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, what: &str, total: u64) {
        self.0.set_message(what.to_string());
        self.0.set_length(total);
        self.0.set_position(0);
    }

    fn advance(&self, n: u64) {
        self.0.inc(n);
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Reads the repositories whose names match `patterns` (all when empty), for `snapshot` and
/// `import`.
pub(super) fn read_matching(
    args: &RegistryArgs,
    patterns: &[String],
) -> Result<Vec<ecr_lifecycle_runtime::snapshot::RepositoryState>, String> {
    use ecr_lifecycle_compiler::glob::{Glob, GlobKind};
    use ecr_lifecycle_runtime::registry::Registry;
    let globs: Vec<Glob> = patterns
        .iter()
        .map(|g| {
            Glob::parse(g, GlobKind::Repository)
                .map_err(|e| format!("--repositories {g}: {}", e.message))
        })
        .collect::<Result<_, _>>()?;
    let rt = runtime()?;
    rt.block_on(async {
        let reg = open(args).await?;
        let names: Vec<String> = reg
            .list_repositories()
            .await
            .map_err(|e| explain(&e))?
            .into_iter()
            .filter(|n| globs.is_empty() || globs.iter().any(|g| g.matches(n)))
            .collect();
        let bar = Bar::new();
        let states =
            ecr_lifecycle_runtime::planner::read_repositories(&reg, names, &reg.pace(), &bar)
                .await
                .map_err(|e| explain(&e));
        report_stats(&reg, args);
        states
    })
}
