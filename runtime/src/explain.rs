//! Why one image is kept or expires: the rule that governs it, the decision with its reason,
//! and who acts on it (ECR's native policy, the runner, or nobody).

use ecr_lifecycle_compiler::image::{Digest, Image, iso};
use ecr_lifecycle_compiler::in_use::InUse;
use ecr_lifecycle_compiler::native;
use ecr_lifecycle_compiler::reference::{Fate, Reason};
use jiff::Timestamp;
use serde::Serialize;

use crate::plan::{LoadedPolicy, RepositoryOptions, decide_repository};
use crate::render::{bytes, words};
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

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub repository: String,
    pub digest: String,
    pub tags: Vec<String>,
    pub pushed_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// The policy file that governs the repository; `None`: none does, and ECR runs whatever
    /// native policy is applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_file: Option<String>,
    /// That file is a default file (`default: true`): it governs the repository because no
    /// other file selects it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub default_policy: bool,
    /// The governing rule's name, if any rule governs the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Where that rule is named: `file:line:col`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_location: Option<String>,
    /// `keep`, `expire` or `archive`.
    pub fate: String,
    /// The tags its rule's `otherwise: untag` removes: from a kept image, which keeps its other
    /// tags; or, for an image that expires, every tag it has (it goes with its last tag).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub untag: Vec<String>,
    pub reason: String,
    /// What ECR's native policy does with the image.
    pub ecr: String,
    /// What the runner does with the image.
    pub runner: String,
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
    let (ecr_acts, ecr) = match &answer.native {
        None if !loaded.registry.has_lifecycle_policies() => (
            None,
            "nothing: ECR Public has no lifecycle policies".to_string(),
        ),
        None => (
            None,
            "no native policy governs this repository, so ECR does nothing".to_string(),
        ),
        Some(n) => ecr_on(n, state, image, now),
    };
    let runner = match (decision.fate, ecr_acts) {
        (Fate::Keep, _) if !decision.untag.is_empty() => words::removes_tags(&decision.untag),
        (Fate::Keep, _) => "keeps it".to_string(),
        (f, Some(e)) if f == e => format!(
            "nothing: ECR {} it",
            if f == Fate::Expire {
                "expires"
            } else {
                "archives"
            }
        ),
        (Fate::Expire, _) => "deletes it (`plan` lists it, `apply` deletes it)".to_string(),
        (Fate::Archive, _) => "archives it (`plan` lists it, `apply` archives it)".to_string(),
    };
    let rule = decision.rule.and_then(|r| loaded.policy.rule_name(r));
    let rule_location = rule.map(|(_, span)| {
        let (line, col) = loaded.file.line_col(span.start as usize);
        format!("{}:{line}:{col}", loaded.file.name)
    });
    Explanation {
        repository: state.name.clone(),
        digest: image.digest.to_string(),
        tags: image.tags.iter().map(|t| t.to_string()).collect(),
        pushed_at: iso(image.pushed_at),
        size_bytes: image.size_bytes,
        policy_file: Some(loaded.file.name.clone()),
        default_policy: loaded.policy.is_default(),
        rule: rule.map(|(name, _)| name.to_string()),
        rule_location,
        fate: decision.fate.as_str().to_string(),
        untag: decision.untag.clone(),
        reason: match &decision.reason {
            Reason::Ungoverned => "no rule matches it, so it is kept".to_string(),
            r if decision.expires_untagged() => {
                format!(
                    "{}; {}",
                    words::last_tags(&decision.untag),
                    words::reason(r)
                )
            }
            r => words::reason(r),
        },
        ecr,
        runner,
    }
}

/// What the native policy `n` does with the image, and in a sentence why.
fn ecr_on(
    n: &native::ValidPolicy,
    state: &RepositoryState,
    image: &Image,
    now: Timestamp,
) -> (Option<Fate>, String) {
    let outcome = native::simulate(n, &state.images, now);
    let rule = native::governing_rule(n, image);
    let acts = if outcome.expired.contains(&image.digest) {
        Some(Fate::Expire)
    } else if outcome.transitioned.contains(&image.digest) {
        Some(Fate::Archive)
    } else {
        None
    };
    let verb = |f: Fate| {
        if f == Fate::Expire {
            "expires"
        } else {
            "archives"
        }
    };
    // A marked image that a live index lists stays: name the index.
    let listing_index = || {
        state
            .images
            .iter()
            .find(|i| i.children.contains(&image.digest) && !outcome.expired.contains(&i.digest))
    };
    let text = match (acts, rule, outcome.causes.get(&image.digest)) {
        (Some(f), _, Some(native::Cause::Subject(s))) => {
            format!("{} it with its subject {s}", verb(f))
        }
        (Some(f), Some(p), _) => format!("native rule {p} {} it", verb(f)),
        (Some(f), None, _) => format!("{} it", verb(f)),
        (None, Some(p), _) => {
            let marked = native::marked_by_rules(n, &state.images, now);
            match (marked.get(&image.digest), listing_index()) {
                (Some(_), Some(index)) => format!(
                    "native rule {p} marks it, but ECR keeps it while the image index {} lists it",
                    index.digest
                ),
                _ => format!("native rule {p} governs it and keeps it"),
            }
        }
        (None, None, _) => "no native rule selects it".to_string(),
    };
    (acts, text)
}

/// An image of a repository no policy file governs: ECR runs the native policy applied there,
/// if any, and the runner does nothing.
pub fn explain_ungoverned(state: &RepositoryState, image: &Image, now: Timestamp) -> Explanation {
    let (fate, ecr) = match state.lifecycle_policy.as_deref() {
        None => (
            Fate::Keep,
            "no native policy is applied to this repository, so ECR does nothing".to_string(),
        ),
        Some(text) => match native::parse_and_validate(text) {
            Ok(n) => {
                let (acts, text) = ecr_on(&n, state, image, now);
                (
                    acts.unwrap_or(Fate::Keep),
                    format!("the applied native policy: {text}"),
                )
            }
            Err(_) => (
                Fate::Keep,
                "the applied native policy is not one ECR would run, so ECR does nothing".into(),
            ),
        },
    };
    Explanation {
        repository: state.name.clone(),
        digest: image.digest.to_string(),
        tags: image.tags.iter().map(|t| t.to_string()).collect(),
        pushed_at: iso(image.pushed_at),
        size_bytes: image.size_bytes,
        policy_file: None,
        default_policy: false,
        rule: None,
        rule_location: None,
        fate: fate.as_str().to_string(),
        untag: Vec::new(),
        reason: if state.lifecycle_policy.is_some() {
            "no policy file governs this repository: its applied native policy decides"
        } else {
            "no policy file governs this repository, and no native policy is applied"
        }
        .into(),
        ecr,
        runner: "nothing: no policy file governs this repository".into(),
    }
}

/// The explanation as text.
pub fn text(e: &Explanation) -> String {
    let tags = if e.tags.is_empty() {
        "untagged".to_string()
    } else {
        format!("tags {}", e.tags.join(", "))
    };
    let size = e
        .size_bytes
        .map(bytes)
        .map(|b| format!(", {b}"))
        .unwrap_or_default();
    let mut s = format!(
        "{}@{}\n  {tags}; pushed {}{size}\n",
        e.repository, e.digest, e.pushed_at
    );
    // A default file governs the repository only because no other file selects it: say so.
    let of_default =
        |f: &str| format!(" of {f}, the default file: no other file selects this repository");
    match (&e.rule, &e.policy_file) {
        (Some(r), file) => {
            let at = e
                .rule_location
                .as_ref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            let default = match file {
                Some(f) if e.default_policy => of_default(f),
                _ => String::new(),
            };
            s.push_str(&format!("  governed by rule `{r}`{at}{default}\n"));
        }
        (None, Some(f)) if e.default_policy => {
            s.push_str(&format!("  governed by no rule{}\n", of_default(f)))
        }
        (None, Some(f)) => s.push_str(&format!("  governed by no rule of {f}\n")),
        (None, None) => s.push_str("  governed by no policy file\n"),
    }
    let removed = match e.fate.as_str() {
        "keep" if !e.untag.is_empty() => format!(" without tags {}", e.untag.join(", ")),
        _ => String::new(),
    };
    s.push_str(&format!(
        "  {}{removed}: {}\n",
        match e.fate.as_str() {
            "expire" => "expires",
            "archive" => "archived",
            _ => "kept",
        },
        e.reason
    ));
    s.push_str(&format!("  ECR:    {}\n  runner: {}\n", e.ecr, e.runner));
    s
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
