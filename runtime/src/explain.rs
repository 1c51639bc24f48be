//! Why one image is kept or expires: the rule that governs it, the decision with its reason,
//! and who acts on it (ECR's native policy, the runner, or nobody), as data: the CLI words it.

use ecr_lifecycle_compiler::image::{Digest, Image};
use ecr_lifecycle_compiler::in_use::InUse;
use ecr_lifecycle_compiler::native;
use ecr_lifecycle_compiler::reference::{Fate, Reason};
use jiff::Timestamp;

use crate::plan::{LoadedPolicy, RepositoryOptions, decide_repository};
use crate::snapshot::RepositoryState;

/// `repo@sha256:…` or `repo:tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub repository: String,
    pub selector: Selector,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Digest(Digest),
    /// The start of a digest's hex, as plans print it (`sha256:3a55ac70240f`).
    DigestPrefix(String),
    Tag(String),
}

/// The shortest digest prefix accepted: shorter ones name too many images to be useful.
const MIN_PREFIX: usize = 6;

impl ImageRef {
    /// A reference that names one image: by digest, or by tag (a registry host may come
    /// first, as in `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:v1`).
    pub fn parse(text: &str) -> Result<ImageRef, String> {
        let usage = || {
            format!(
                "`{text}` is not an image reference: write `REPOSITORY@sha256:…` or `REPOSITORY:TAG`"
            )
        };
        if let Some((repository, hex)) = text.split_once("@sha256:")
            && (MIN_PREFIX..64).contains(&hex.len())
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
            && !repository.is_empty()
        {
            let repository = crate::in_use::ImageReference::parse(&format!("{repository}:x"))
                .map_err(|_| usage())?
                .repository;
            return Ok(ImageRef {
                repository,
                selector: Selector::DigestPrefix(hex.to_ascii_lowercase()),
            });
        }
        let r = match crate::in_use::ImageReference::parse(text) {
            Ok(r) => r,
            // A malformed digest says what is wrong with it.
            Err(e) if text.contains('@') => return Err(e),
            Err(_) => return Err(usage()),
        };
        let selector = match (r.digest, r.tag) {
            (Some(d), _) => Selector::Digest(d),
            (None, Some(t)) => Selector::Tag(t),
            (None, None) => return Err(usage()),
        };
        Ok(ImageRef {
            repository: r.repository,
            selector,
        })
    }

    /// The one image the reference names in `images`; a digest prefix that names several is
    /// refused with the candidates.
    pub fn find<'a>(&self, images: &'a [Image]) -> Result<&'a Image, String> {
        let found: Vec<&Image> = images
            .iter()
            .filter(|i| match &self.selector {
                Selector::Digest(d) => i.digest == *d,
                Selector::DigestPrefix(p) => i
                    .digest
                    .to_string()
                    .strip_prefix("sha256:")
                    .is_some_and(|hex| hex.starts_with(p.as_str())),
                Selector::Tag(t) => i.tags.iter().any(|x| **x == **t),
            })
            .collect();
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(format!(
                "repository `{}` has no image `{self}`",
                self.repository
            )),
            many => {
                let mut names: Vec<String> = many.iter().map(|i| i.digest.to_string()).collect();
                names.sort();
                Err(format!(
                    "`{}` names {} images of `{}`: {}; give more of the digest",
                    self.selector,
                    many.len(),
                    self.repository,
                    names.join(", ")
                ))
            }
        }
    }
}

/// As written: `repo:tag` or `repo@sha256:…`.
impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.selector {
            Selector::Tag(t) => write!(f, "{}:{t}", self.repository),
            s => write!(f, "{}@{s}", self.repository),
        }
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selector::Digest(d) => write!(f, "{d}"),
            Selector::DigestPrefix(p) => write!(f, "sha256:{p}"),
            Selector::Tag(t) => write!(f, "{t}"),
        }
    }
}

/// Why one image is kept, expires or is archived, as data; the CLI words it.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub repository: String,
    pub image: Image,
    /// The policy file that governs the repository; `None`: none does, and ECR runs whatever
    /// native policy is applied.
    pub policy_file: Option<String>,
    /// That file is a default file (`default: true`): it governs the repository because no
    /// other file selects it.
    pub default_policy: bool,
    /// The governing rule's name, if any rule governs the image.
    pub rule: Option<String>,
    /// Where that rule is named: `file:line:col`.
    pub rule_location: Option<String>,
    pub fate: Fate,
    /// The tags its rule's `otherwise: untag` removes: from a kept image, which keeps its other
    /// tags; or, for an image that expires, every tag it has (it goes with its last tag).
    pub untag: Vec<String>,
    pub why: Why,
    /// What ECR's native policy does with the image.
    pub ecr: Ecr,
    /// What the runner does with the image.
    pub runner: Runner,
}

/// Why the image has its fate.
#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// A policy file governs the repository: the reason its rules give.
    Decided(Reason),
    /// No policy file governs the repository; ECR runs the native policy applied there, if any.
    NoPolicyFile { native_applied: bool },
}

/// What ECR does with the image.
#[derive(Debug, Clone, PartialEq)]
pub enum Ecr {
    /// ECR Public has no lifecycle policies.
    NoLifecyclePolicies,
    /// The governing file puts no native policy on the repository.
    NoNativePolicy,
    /// What the native policy the governing file puts does.
    Native(NativeAct),
    /// No file governs the repository: what the native policy applied there does.
    Applied(NativeAct),
    /// No file governs the repository, and the policy applied there is not one ECR would run.
    AppliedInvalid,
    /// No file governs the repository, and no native policy is applied there.
    NoneApplied,
}

/// What a native policy does with the image.
#[derive(Debug, Clone, PartialEq)]
pub enum NativeAct {
    /// The image expires or is archived (`fate`), under the rule with this priority, if ECR's
    /// simulation names one.
    Acts { fate: Fate, rule: Option<i64> },
    /// The image is a referrer that goes with its subject.
    WithSubject { fate: Fate, subject: Digest },
    /// The rule marks the image, but ECR keeps it while this image index lists it.
    KeptByIndex { rule: i64, index: Digest },
    /// The rule selects the image and keeps it.
    GovernsAndKeeps { rule: i64 },
    /// No native rule selects the image.
    NotSelected,
}

impl NativeAct {
    /// The fate ECR gives the image, if it acts on it.
    pub fn fate(&self) -> Option<Fate> {
        match self {
            NativeAct::Acts { fate, .. } | NativeAct::WithSubject { fate, .. } => Some(*fate),
            _ => None,
        }
    }
}

/// What the runner does with the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    Keeps,
    /// Keeps it and removes the tags in `Explanation::untag`.
    RemovesTags,
    /// Nothing: ECR expires or archives it (the fate) itself.
    LeavesToEcr(Fate),
    /// `plan` lists it, `apply` deletes it.
    Deletes,
    /// `plan` lists it, `apply` archives it.
    Archives,
    /// Nothing: no policy file governs the repository.
    NoPolicyFile,
}

pub fn explain(
    loaded: &LoadedPolicy,
    state: &RepositoryState,
    image: &Image,
    in_use: &InUse,
    now: Timestamp,
) -> Explanation {
    let answer = decide_repository(loaded, state, in_use, now, RepositoryOptions::default());
    let idx = state
        .images
        .iter()
        .position(|i| i.digest == image.digest)
        .unwrap_or(0);
    let decision = &answer.evaluation.decisions[idx];
    let ecr = match &answer.native {
        None if !loaded.registry.has_lifecycle_policies() => Ecr::NoLifecyclePolicies,
        None => Ecr::NoNativePolicy,
        Some(n) => Ecr::Native(ecr_on(n, state, image, now)),
    };
    let ecr_acts = match &ecr {
        Ecr::Native(act) => act.fate(),
        _ => None,
    };
    let runner = match (decision.fate, ecr_acts) {
        (Fate::Keep, _) if !decision.untag.is_empty() => Runner::RemovesTags,
        (Fate::Keep, _) => Runner::Keeps,
        (f, Some(e)) if f == e => Runner::LeavesToEcr(f),
        (Fate::Expire, _) => Runner::Deletes,
        (Fate::Archive, _) => Runner::Archives,
    };
    let rule = decision.rule.and_then(|r| loaded.policy.rule_name(r));
    let rule_location = rule.map(|(_, span)| {
        let (line, col) = loaded.file.line_col(span.start as usize);
        format!("{}:{line}:{col}", loaded.file.name)
    });
    Explanation {
        repository: state.name.clone(),
        image: image.clone(),
        policy_file: Some(loaded.file.name.clone()),
        default_policy: loaded.policy.is_default(),
        rule: rule.map(|(name, _)| name.to_string()),
        rule_location,
        fate: decision.fate,
        untag: decision.untag.clone(),
        why: Why::Decided(decision.reason.clone()),
        ecr,
        runner,
    }
}

/// What the native policy `n` does with the image.
fn ecr_on(
    n: &native::ValidPolicy,
    state: &RepositoryState,
    image: &Image,
    now: Timestamp,
) -> NativeAct {
    let outcome = native::simulate(n, &state.images, now);
    let rule = native::governing_rule(n, image);
    let acts = if outcome.expired.contains(&image.digest) {
        Some(Fate::Expire)
    } else if outcome.transitioned.contains(&image.digest) {
        Some(Fate::Archive)
    } else {
        None
    };
    // A marked image that a live index lists stays: name the index.
    let listing_index = || {
        state
            .images
            .iter()
            .find(|i| i.children.contains(&image.digest) && !outcome.expired.contains(&i.digest))
    };
    match (acts, rule, outcome.causes.get(&image.digest)) {
        (Some(fate), _, Some(native::Cause::Subject(s))) => {
            NativeAct::WithSubject { fate, subject: *s }
        }
        (Some(fate), rule, _) => NativeAct::Acts { fate, rule },
        (None, Some(rule), _) => {
            let marked = native::marked_by_rules(n, &state.images, now);
            match (marked.get(&image.digest), listing_index()) {
                (Some(_), Some(index)) => NativeAct::KeptByIndex {
                    rule,
                    index: index.digest,
                },
                _ => NativeAct::GovernsAndKeeps { rule },
            }
        }
        (None, None, _) => NativeAct::NotSelected,
    }
}

/// An image of a repository no policy file governs: ECR runs the native policy applied there,
/// if any, and the runner does nothing.
pub fn explain_ungoverned(state: &RepositoryState, image: &Image, now: Timestamp) -> Explanation {
    let ecr = match state.lifecycle_policy.as_deref() {
        None => Ecr::NoneApplied,
        Some(text) => match native::parse_and_validate(text) {
            Ok(n) => Ecr::Applied(ecr_on(&n, state, image, now)),
            Err(_) => Ecr::AppliedInvalid,
        },
    };
    let fate = match &ecr {
        Ecr::Applied(act) => act.fate().unwrap_or(Fate::Keep),
        _ => Fate::Keep,
    };
    Explanation {
        repository: state.name.clone(),
        image: image.clone(),
        policy_file: None,
        default_policy: false,
        rule: None,
        rule_location: None,
        fate,
        untag: Vec::new(),
        why: Why::NoPolicyFile {
            native_applied: state.lifecycle_policy.is_some(),
        },
        ecr,
        runner: Runner::NoPolicyFile,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references_with_and_without_a_registry_host() {
        let d = "sha256:0000000000000000000000000000000000000000000000000000000000000001";
        let r = ImageRef::parse(&format!("team/web@{d}")).unwrap();
        assert_eq!(r.repository, "team/web");
        assert_eq!(r.selector, Selector::Digest(d.parse().unwrap()));
        let r =
            ImageRef::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:v1.2").unwrap();
        assert_eq!(
            (r.repository.as_str(), r.selector),
            ("team/web", Selector::Tag("v1.2".into()))
        );
        assert!(ImageRef::parse("web").is_err());
        assert!(ImageRef::parse("web@sha256:12").is_err());
        let r = ImageRef::parse("team/web@sha256:3A55AC70240F").unwrap();
        assert_eq!(
            (r.repository.as_str(), r.selector),
            ("team/web", Selector::DigestPrefix("3a55ac70240f".into()))
        );
    }

    #[test]
    fn a_digest_prefix_names_one_image_or_is_refused_with_the_candidates() {
        let image = |hex: &str| {
            let digest = format!("sha256:{hex:0<64}").parse().unwrap();
            Image::new(digest, &[], Timestamp::UNIX_EPOCH)
        };
        let images = [image("abcdef01"), image("abcdef02"), image("123456")];
        let find = |text: &str| {
            ImageRef::parse(text)
                .unwrap()
                .find(&images)
                .map(|i| i.digest.to_string())
        };
        assert_eq!(
            find("web@sha256:123456").unwrap(),
            format!("sha256:{:0<64}", "123456")
        );
        let err = find("web@sha256:abcdef").unwrap_err();
        assert!(
            err.starts_with("`sha256:abcdef` names 2 images of `web`: sha256:abcdef01"),
            "{err}"
        );
        assert!(err.ends_with("; give more of the digest"), "{err}");
        assert_eq!(
            find("web@sha256:abcdef02").unwrap(),
            format!("sha256:{:0<64}", "abcdef02")
        );
        assert_eq!(
            find("web@sha256:999999").unwrap_err(),
            "repository `web` has no image `web@sha256:999999`"
        );
    }
}
