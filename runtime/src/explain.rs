//! Why one image is kept or expires: the rule that governs it, the decision with its reason,
//! and who acts on it (ECR's native policy, the runner, or nobody).

use ecr_lifecycle_compiler::image::{Digest, Image, iso};
use ecr_lifecycle_compiler::in_use::InUse;
use ecr_lifecycle_compiler::native;
use ecr_lifecycle_compiler::reference::{self, Fate, Reason};
use jiff::Timestamp;
use serde::Serialize;

use crate::plan::{LoadedPolicy, desired_policy};
use crate::render::bytes;
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
    Tag(String),
}

impl ImageRef {
    /// A reference that names one image: by digest, or by tag (a registry host may come
    /// first, as in `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:v1`).
    pub fn parse(text: &str) -> Result<ImageRef, String> {
        let usage = || {
            format!(
                "`{text}` is not an image reference: write `REPOSITORY@sha256:…` or `REPOSITORY:TAG`"
            )
        };
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

    pub fn find<'a>(&self, images: &'a [Image]) -> Option<&'a Image> {
        images.iter().find(|i| match &self.selector {
            Selector::Digest(d) => i.digest == *d,
            Selector::Tag(t) => i.tags.iter().any(|x| **x == **t),
        })
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
    pub policy_file: String,
    /// The governing rule's name, if any rule governs the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// `keep`, `expire` or `archive`.
    pub fate: String,
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
    let (evaluation, alone) = crate::plan::evaluations(loaded, state, in_use, now);
    let idx = state
        .images
        .iter()
        .position(|i| i.digest == image.digest)
        .unwrap_or(0);
    let decision = &evaluation.decisions[idx];
    let evaluated = crate::plan::Evaluated {
        evaluation: &evaluation,
        rules_alone: alone.as_ref(),
        in_use,
    };
    let desired = desired_policy(loaded, state, evaluated, now);
    let (ecr_acts, ecr) = match &desired.native {
        None => (
            None,
            "no native policy governs this repository, so ECR does nothing".to_string(),
        ),
        Some(n) => {
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
            let text = match (acts, rule, outcome.causes.get(&image.digest)) {
                (Some(f), _, Some(native::Cause::Subject(s))) => {
                    format!("{} it with its subject {s}", verb(f))
                }
                (Some(f), Some(p), _) => format!("native rule {p} {} it", verb(f)),
                (Some(f), None, _) => format!("{} it", verb(f)),
                (None, Some(p), _) => format!("native rule {p} governs it and keeps it"),
                (None, None, _) => "no native rule selects it".to_string(),
            };
            (acts, text)
        }
    };
    let runner = match (decision.fate, ecr_acts) {
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
    let rule_span = decision
        .rule
        .and_then(|r| loaded.policy.rule_name(r))
        .map(|(name, span)| {
            let (line, col) = loaded.file.line_col(span.start as usize);
            format!("`{name}` ({}:{line}:{col})", loaded.file.name)
        });
    Explanation {
        repository: state.name.clone(),
        digest: image.digest.to_string(),
        tags: image.tags.iter().map(|t| t.to_string()).collect(),
        pushed_at: iso(image.pushed_at),
        size_bytes: image.size_bytes,
        policy_file: loaded.file.name.clone(),
        rule: rule_span,
        fate: decision.fate.as_str().to_string(),
        reason: match &decision.reason {
            Reason::Ungoverned => "no rule matches it, so it is kept".to_string(),
            r => reference::describe(r, now),
        },
        ecr,
        runner,
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
    match &e.rule {
        Some(r) => s.push_str(&format!("  governed by rule {r}\n")),
        None => s.push_str(&format!("  governed by no rule of {}\n", e.policy_file)),
    }
    s.push_str(&format!(
        "  {}: {}\n",
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
    }
}
