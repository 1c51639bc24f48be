//! A checked policy: what the rules mean, with every value parsed and every constraint
//! enforced. Only [`crate::dsl::parse`] makes one, so holding a [`Policy`] proves it is valid.

use std::fmt;
use std::sync::Arc;

use crate::duration::Duration;
use crate::glob::Glob;
use crate::image::Image;
use crate::source::{Sp, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The file this policy came from (as named on the command line).
    pub source: String,
    pub repositories: RepositorySelector,
    pub rules: Vec<Rule>,
}

/// Which repositories a policy governs.
#[derive(Debug, Clone, PartialEq)]
pub struct RepositorySelector {
    /// `None`: every repository.
    pub include: Option<Vec<Sp<Glob>>>,
    pub exclude: Vec<Sp<Glob>>,
}

impl RepositorySelector {
    pub fn selects(&self, name: &str) -> bool {
        let included = match &self.include {
            None => true,
            Some(globs) => globs.iter().any(|g| g.matches(name)),
        };
        included && !self.exclude.iter().any(|g| g.matches(name))
    }

    /// The include globs, `*` standing for "every repository".
    pub fn include_globs(&self) -> Vec<Sp<Glob>> {
        match &self.include {
            Some(g) => g.clone(),
            None => vec![Sp::new(
                Glob::parse("*", crate::glob::GlobKind::Repository).expect("`*` is a glob"),
                Span::default(),
            )],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: Sp<String>,
    pub description: Option<String>,
    pub matcher: Sp<Matcher>,
    pub keep: Sp<Keep>,
    /// The whole rule, for diagnostics about it.
    pub span: Span,
}

/// Which images a rule matches.
#[derive(Debug, Clone, PartialEq)]
pub enum Matcher {
    /// Every image (optionally narrowed by `where`).
    Any { filter: Option<Sp<Where>> },
    /// Images with no tag.
    Untagged { filter: Option<Sp<Where>> },
    /// Images with at least one tag, satisfying every given tag condition.
    Tagged(TagConditions),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TagConditions {
    /// Some tag matches one of these (empty: no condition).
    pub any_of: Vec<Sp<Glob>>,
    /// For each glob, some tag matches it (empty: no condition).
    pub all_of: Vec<Sp<Glob>>,
    pub regex: Option<Sp<TagRegex>>,
    pub filter: Option<Sp<Where>>,
}

/// The tag classes a matcher can select: ECR can only separate tagged from untagged images,
/// so this decides which rules can ever select the same image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagClass {
    Untagged,
    Tagged,
    Both,
}

impl TagClass {
    pub fn overlaps(self, other: TagClass) -> bool {
        !matches!(
            (self, other),
            (TagClass::Untagged, TagClass::Tagged) | (TagClass::Tagged, TagClass::Untagged)
        )
    }
}

impl Matcher {
    pub fn class(&self) -> TagClass {
        match self {
            Matcher::Any { .. } => TagClass::Both,
            Matcher::Untagged { .. } => TagClass::Untagged,
            Matcher::Tagged(_) => TagClass::Tagged,
        }
    }

    pub fn where_filter(&self) -> Option<&Sp<Where>> {
        match self {
            Matcher::Any { filter } | Matcher::Untagged { filter } => filter.as_ref(),
            Matcher::Tagged(t) => t.filter.as_ref(),
        }
    }

    /// Whether the image meets every condition but `where` (the cheap part).
    pub fn matches_tags(&self, image: &Image) -> bool {
        match self {
            Matcher::Any { .. } => true,
            Matcher::Untagged { .. } => !image.is_tagged(),
            Matcher::Tagged(t) => {
                image.is_tagged()
                    && (t.any_of.is_empty()
                        || image
                            .tags
                            .iter()
                            .any(|tag| t.any_of.iter().any(|g| g.matches(tag))))
                    && t.all_of
                        .iter()
                        .all(|g| image.tags.iter().any(|tag| g.matches(tag)))
                    && t.regex
                        .as_ref()
                        .is_none_or(|r| image.tags.iter().any(|tag| r.is_match(tag)))
            }
        }
    }
}

/// Which of its governed images a rule keeps.
#[derive(Debug, Clone, PartialEq)]
pub enum Keep {
    All,
    None,
    /// Alternatives: an image survives if any of them keeps it (at least one is set).
    Retain(Retain),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Retain {
    pub newest: Option<Sp<u32>>,
    pub within: Option<Sp<Duration>>,
    pub pulled_within: Option<Sp<Duration>>,
    pub anchored: Option<Anchored>,
}

impl Retain {
    /// How many alternatives are set.
    pub fn alternatives(&self) -> usize {
        usize::from(self.newest.is_some())
            + usize::from(self.within.is_some())
            + usize::from(self.pulled_within.is_some())
            + usize::from(self.anchored.is_some())
    }
}

/// `within: D, anchor: { oldest_tagged: [...] }, at_least: N`.
#[derive(Debug, Clone, PartialEq)]
pub struct Anchored {
    pub window: Sp<Duration>,
    pub tags: Vec<Sp<Glob>>,
    pub at_least: u32,
    pub span: Span,
}

impl Anchored {
    pub fn is_anchor(&self, image: &Image) -> bool {
        image
            .tags
            .iter()
            .any(|tag| self.tags.iter().any(|g| g.matches(tag)))
    }
}

/// A tag regex, anchored at both ends.
#[derive(Clone)]
pub struct TagRegex {
    pub text: String,
    regex: regex::Regex,
}

impl TagRegex {
    pub fn new(text: &str) -> Result<TagRegex, regex::Error> {
        let regex = regex::RegexBuilder::new(&format!("^(?:{text})$"))
            .size_limit(1 << 20)
            .build()?;
        Ok(TagRegex {
            text: text.to_string(),
            regex,
        })
    }

    pub fn is_match(&self, tag: &str) -> bool {
        self.regex.is_match(tag)
    }
}

impl PartialEq for TagRegex {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Debug for TagRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.text)
    }
}

/// A compiled JMESPath expression over an `imageDetail` object.
#[derive(Clone)]
pub struct Where {
    pub text: String,
    expression: Arc<jmespath::Expression<'static>>,
}

impl Where {
    pub fn new(text: &str) -> Result<Where, jmespath::JmespathError> {
        Ok(Where {
            text: text.to_string(),
            expression: Arc::new(jmespath::compile(text)?),
        })
    }

    /// Whether the expression is truthy on the image; an evaluation error is an `Err` with
    /// its message (for instance a function applied to the wrong type).
    pub fn holds(&self, image: &Image, repository: Option<&str>) -> Result<bool, String> {
        let detail = image.to_detail_json(repository);
        self.expression
            .search(detail)
            .map(|v| v.is_truthy())
            .map_err(|e| e.to_string())
    }
}

impl PartialEq for Where {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Debug for Where {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "where({:?})", self.text)
    }
}
