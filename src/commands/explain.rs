use ecr_lifecycle_compiler::dsl::policy::RegistryKind;
use ecr_lifecycle_runtime::explain::{self, ImageRef};
use ecr_lifecycle_runtime::in_use::Consumers;
use ecr_lifecycle_runtime::plan::{Unit, governing_in};
use ecr_lifecycle_runtime::registry::{ErrorKind, Registry};

use crate::cli::{ExplainArgs, Format};
use crate::commands::{in_use, load, registry};
use crate::exit::ExitStatus;
use crate::output;
use crate::render;

pub(super) fn run(args: &ExplainArgs) -> ExitStatus {
    match run_inner(args) {
        Ok(()) => ExitStatus::Success,
        Err(e) => {
            output::error(&e);
            ExitStatus::Failure
        }
    }
}

fn run_inner(args: &ExplainArgs) -> Result<(), String> {
    let image_ref = ImageRef::parse(&args.image)?;
    let given = args.registry.registry.kind();
    let mut policies =
        load::loaded_policies(&args.files, given).ok_or("the policy files could not be used")?;
    let files = in_use::read_files(&mut policies)?;
    // A file naming the region first; then one for the run-time default region. ECR Public
    // has one region. A repository no file governs in the registry given may be governed in
    // the other kind of registry, by a file that names it (`registry: ecr-public`).
    let governing_of = |kind: RegistryKind| {
        let unit = Unit {
            registry: kind,
            ..Unit::default()
        };
        args.registry
            .region
            .as_deref()
            .filter(|_| kind.has_lifecycle_policies())
            .and_then(|r| {
                let here = Unit {
                    registry: kind,
                    ..Unit::in_region(Some(r))
                };
                governing_in(&policies, &image_ref.repository, &here)
            })
            .or_else(|| governing_in(&policies, &image_ref.repository, &unit))
    };
    let other = match given {
        RegistryKind::Ecr => RegistryKind::EcrPublic,
        RegistryKind::EcrPublic => RegistryKind::Ecr,
    };
    let (kind, loaded) = match governing_of(given) {
        Some(l) => (given, Some(l)),
        None => match governing_of(other) {
            Some(l) => (other, Some(l)),
            None => (given, None),
        },
    };
    let unit = Unit {
        registry: kind,
        ..Unit::default()
    };
    let now = load::now_from(args.now.as_deref())?;
    let rt = registry::runtime()?;
    let (state, in_use) = rt.block_on(async {
        let reg = registry::open_in(&args.registry, &unit).await?;
        let state = match reg.read_repository(&image_ref.repository).await {
            Ok(state) => state,
            Err(e) if loaded.is_none() && e.kind == ErrorKind::NotFound => {
                return Err(format!(
                    "no policy file governs repository `{}`, and the registry has no such repository",
                    image_ref.repository
                ));
            }
            Err(e) => return Err(registry::explain(&e)),
        };
        let in_use = match loaded {
            Some(loaded) => {
                let usage = in_use::read_usage(
                    &reg,
                    std::slice::from_ref(loaded),
                    &Unit {
                        region: args
                            .registry
                            .region
                            .clone()
                            .filter(|_| kind.has_lifecycle_policies()),
                        ..unit.clone()
                    },
                    &files,
                    args.registry.concurrency.initial(),
                )
                .await
                .map_err(|e| registry::explain(&e))?;
                Consumers::new(usage, &reg).of(loaded, &state)
            }
            None => Default::default(),
        };
        registry::report_stats(&reg, &args.registry);
        Ok::<_, String>((state, in_use))
    })?;
    let image = image_ref.find(&state.images)?;
    let e = match loaded {
        Some(loaded) => explain::explain(loaded, &state, image, &in_use, now),
        // No file governs it: what ECR's applied policy (if any) does is all that happens.
        None => explain::explain_ungoverned(&state, image, now),
    };
    match args.format {
        Format::Text => output::stdout(&render::explain::text(&e)),
        Format::Json => output::stdout(&render::explain::json(&e)),
    }
    Ok(())
}
