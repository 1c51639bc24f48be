//! A checked policy: what the rules mean, with every value parsed and every constraint
//! enforced. Only [`crate::dsl::parse`] makes one, so holding a [`Policy`] proves it is valid.

use std::collections::BTreeSet;
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
    /// `default: true`, at its value: the file governs only the repositories it selects that
    /// no other file selects ([`crate::dsl::claims::governing`]).
    pub default: Option<Span>,
    /// The AWS regions it governs; `None`: the region given at run time.
    pub regions: Option<Vec<String>>,
    /// The AWS accounts it governs; `None`: the credentials given at run time.
    pub accounts: Option<Vec<Account>>,
    /// `registry:` as written; `None`: the registry given at run time.
    pub registry: Option<Sp<RegistryKind>>,
    pub evaluation: Evaluation,
    /// When archived images are deleted; `None`: archived images are kept.
    pub archive: Option<ArchiveSettings>,
    /// Where to look for images in use; `None`: nowhere.
    pub in_use: Option<InUseSettings>,
    pub rules: Vec<Rule>,
}

/// The kind of registry a policy governs (DESIGN.md §5.1).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum RegistryKind {
    /// Amazon ECR: lifecycle policies, pull times, the archive class.
    #[default]
    Ecr,
    /// Amazon ECR Public: none of those, so every rule is the runner's; us-east-1 only.
    EcrPublic,
}

impl RegistryKind {
    /// Whether the registry runs lifecycle policies itself.
    pub fn has_lifecycle_policies(self) -> bool {
        self == RegistryKind::Ecr
    }
}

impl fmt::Display for RegistryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RegistryKind::Ecr => "ecr",
            RegistryKind::EcrPublic => "ecr-public",
        })
    }
}

/// How to reach an AWS account's registries.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Account {
    /// A named profile of the AWS configuration files.
    Profile(String),
    /// A role assumed with the default credentials.
    RoleArn(String),
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::Profile(p) => write!(f, "profile {p}"),
            Account::RoleArn(r) => write!(f, "role {r}"),
        }
    }
}

/// The policy's `in_use` section: which consumers keep images.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InUseSettings {
    pub ecs: bool,
    pub lambda: bool,
    /// Globs relative to the policy file, as written (finding the files is I/O).
    pub files: Vec<Sp<String>>,
}

/// The policy's `archive` section (DESIGN.md §2.1).
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveSettings {
    /// When the archived images no archive rule governs are deleted (at least 90 days, checked
    /// when the file is read); `None`: they are kept.
    pub expire_after: Option<Sp<Duration>>,
    pub description: Option<String>,
    /// With `evaluation: ecr`, the native `rulePriority` of `expire_after`.
    pub priority: Option<u32>,
    /// First-match rules over archived images, before `expire_after`.
    pub rules: Vec<ArchiveRule>,
    pub span: Span,
}

/// One archive rule: the archived images it governs and what becomes of them.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveRule {
    pub name: Sp<String>,
    /// With `evaluation: ecr`, the native `rulePriority`.
    pub priority: Option<u32>,
    pub description: Option<String>,
    pub matcher: Sp<Matcher>,
    /// The span is that of `expire_after` or `keep`, as written.
    pub keep: Sp<ArchiveKeep>,
    /// The whole rule, for diagnostics about it.
    pub span: Span,
}

/// What an archive rule does with the archived images it governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKeep {
    /// Keep them all (`keep: all`).
    All,
    /// Delete them once they have been in the archive this long (at least 90 days).
    ExpireAfter(Duration),
}

/// Names one rule of a policy: a rule, an archive rule, or the `archive` section's
/// `expire_after`. Ordered as their native rules are: rules, then archive rules, then
/// `expire_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleId {
    /// `rules[i]`.
    Rule(usize),
    /// `archive.rules[i]`.
    Archive(usize),
    /// `archive.expire_after`: the archived images no archive rule governs.
    ArchiveDefault,
}

/// What plans and reports call `archive.expire_after`, which has no name of its own.
pub const ARCHIVE_DEFAULT_NAME: &str = "archive";

/// How a policy's rules are evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Evaluation {
    /// DESIGN.md §3.1: the first rule that matches an image governs it.
    #[default]
    FirstMatch,
    /// As ECR evaluates the native policy the rules translate to one by one.
    Ecr,
}

impl Policy {
    /// The archive rules (none without an `archive` section).
    pub fn archive_rules(&self) -> &[ArchiveRule] {
        self.archive.as_ref().map_or(&[], |a| a.rules.as_slice())
    }

    /// The name of a rule and where it is written (for `expire_after`: [`ARCHIVE_DEFAULT_NAME`]
    /// at its value); `None` when the policy has no such rule.
    pub fn rule_name(&self, id: RuleId) -> Option<(&str, Span)> {
        match id {
            RuleId::Rule(i) => self.rules.get(i).map(|r| (r.name.as_str(), r.name.span)),
            RuleId::Archive(i) => self
                .archive_rules()
                .get(i)
                .map(|r| (r.name.as_str(), r.name.span)),
            RuleId::ArchiveDefault => self
                .archive
                .as_ref()
                .and_then(|a| a.expire_after.as_ref())
                .map(|d| (ARCHIVE_DEFAULT_NAME, d.span)),
        }
    }

    /// Whether the policy governs the registry of `account` in `region` (`None`: the
    /// run-time default).
    pub fn covers(&self, account: Option<&Account>, region: Option<&str>) -> bool {
        let account_ok = match (&self.accounts, account) {
            (None, a) => a.is_none(),
            (Some(list), Some(a)) => list.contains(a),
            (Some(_), None) => false,
        };
        account_ok && self.covers_region(region)
    }

    /// Whether it is a default file (`default: true`).
    pub fn is_default(&self) -> bool {
        self.default.is_some()
    }

    /// Whether the policy may govern the registry of `account` in `region` (`None`: the
    /// run-time default) when the run-time defaults are unknown: a file without `accounts`
    /// (or `regions`) may meet any account (or region), and any file may meet the run-time
    /// default one.
    pub fn may_cover(&self, account: Option<&Account>, region: Option<&str>) -> bool {
        let account_ok = match (&self.accounts, account) {
            (Some(list), Some(a)) => list.contains(a),
            _ => true,
        };
        let region_ok = match (&self.regions, region) {
            (Some(list), Some(r)) => list.iter().any(|x| x == r),
            _ => true,
        };
        account_ok && region_ok
    }

    /// Whether the policy governs a registry in `region` (`None`: the run-time default).
    pub fn covers_region(&self, region: Option<&str>) -> bool {
        match (&self.regions, region) {
            (None, _) => region.is_none(),
            (Some(list), Some(r)) => list.iter().any(|x| x == r),
            (Some(_), None) => false,
        }
    }
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
    /// With `evaluation: ecr`, the native `rulePriority`.
    pub priority: Option<u32>,
    pub description: Option<String>,
    pub matcher: Sp<Matcher>,
    pub keep: Sp<Keep>,
    /// What happens to the governed images `keep` does not keep.
    pub otherwise: Otherwise,
    /// Where `otherwise` is written, if it is.
    pub otherwise_at: Option<Span>,
    /// The whole rule, for diagnostics about it.
    pub span: Span,
}

/// What a rule does with the images it governs and does not keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Otherwise {
    #[default]
    Expire,
    Archive,
    /// Remove the tags the rule's tag condition names (DESIGN.md §3.6).
    Untag,
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
    /// For each prefix, some tag starts with it (`evaluation: ecr` only).
    pub prefixes: Vec<Sp<String>>,
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

    /// The tag class this match selects whole, with no other condition (`Both` for a plain
    /// `any`): a rule with such a match governs every image of the class no earlier rule governs.
    pub fn whole_class(&self) -> Option<TagClass> {
        let every_tag = |g: &Sp<Glob>| g.as_str().chars().all(|c| c == '*');
        match self {
            Matcher::Any { filter: None } => Some(TagClass::Both),
            Matcher::Untagged { filter: None } => Some(TagClass::Untagged),
            Matcher::Tagged(t)
                if t.filter.is_none()
                    && t.regex.is_none()
                    && t.prefixes.is_empty()
                    && t.all_of.iter().all(every_tag)
                    && (t.any_of.is_empty() || t.any_of.iter().any(every_tag)) =>
            {
                Some(TagClass::Tagged)
            }
            _ => None,
        }
    }

    pub fn where_filter(&self) -> Option<&Sp<Where>> {
        match self {
            Matcher::Any { filter } | Matcher::Untagged { filter } => filter.as_ref(),
            Matcher::Tagged(t) => t.filter.as_ref(),
        }
    }

    /// Whether `otherwise: untag` would remove this tag: one of the match's `tags` or
    /// `tags_all` globs, or its `tag_regex`, matches it (`false` for matches with no tag
    /// condition, which `otherwise: untag` refuses).
    pub fn names_tag(&self, tag: &str) -> bool {
        match self {
            Matcher::Tagged(t) => {
                t.any_of.iter().chain(&t.all_of).any(|g| g.matches(tag))
                    || t.regex.as_ref().is_some_and(|r| r.is_match(tag))
            }
            Matcher::Any { .. } | Matcher::Untagged { .. } => false,
        }
    }

    /// Whether the match has a tag condition that names tags (`tags`, `tags_all`, `tag_regex`).
    pub fn names_tags(&self) -> bool {
        match self {
            Matcher::Tagged(t) => !t.any_of.is_empty() || !t.all_of.is_empty() || t.regex.is_some(),
            Matcher::Any { .. } | Matcher::Untagged { .. } => false,
        }
    }

    /// Whether the image meets every condition but `where` (the cheap part).
    pub fn matches_tags(&self, image: &Image) -> bool {
        self.matches_tag_names(&image.tags)
    }

    /// [`Matcher::matches_tags`] over an image's tags alone, however they are held.
    pub fn matches_tag_names<S: AsRef<str>>(&self, tags: &[S]) -> bool {
        let tagged = !tags.is_empty();
        let any = |f: &dyn Fn(&str) -> bool| tags.iter().any(|t| f(t.as_ref()));
        match self {
            Matcher::Any { .. } => true,
            Matcher::Untagged { .. } => !tagged,
            Matcher::Tagged(t) => {
                tagged
                    && (t.any_of.is_empty() || any(&|tag| t.any_of.iter().any(|g| g.matches(tag))))
                    && t.all_of.iter().all(|g| any(&|tag| g.matches(tag)))
                    && t.regex.as_ref().is_none_or(|r| any(&|tag| r.is_match(tag)))
                    && t.prefixes
                        .iter()
                        .all(|p| any(&|tag| tag.starts_with(p.as_str())))
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
    pub newest: Option<Newest>,
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

/// `newest: N`, with how images are ranked (`by`) and counted (`per`), DESIGN.md §3.5.
#[derive(Debug, Clone, PartialEq)]
pub struct Newest {
    pub count: Sp<u32>,
    pub by: Order,
    /// Count in the groups this regex's captures name; `None`: one count over all.
    pub per: Option<Sp<TagRegex>>,
}

impl Newest {
    /// Plain `newest: N`: one count by push time, the only count ECR has.
    pub fn by_push_time_alone(&self) -> bool {
        self.by == Order::Push && self.per.is_none()
    }
}

/// How `newest` ranks images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// By push time, newest first.
    #[default]
    Push,
    /// By the highest version among the image's tags (crate::version), highest first.
    Version,
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
        self.is_anchor_by_tags(&image.tags)
    }

    /// [`Anchored::is_anchor`] over an image's tags alone, however they are held.
    pub fn is_anchor_by_tags<S: AsRef<str>>(&self, tags: &[S]) -> bool {
        tags.iter()
            .any(|tag| self.tags.iter().any(|g| g.matches(tag.as_ref())))
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

    /// How many capture groups the expression has (named or not).
    pub fn capture_groups(&self) -> usize {
        self.regex.captures_len() - 1
    }

    /// What the capture groups hold when the tag matches (`None` for a group that takes no
    /// part in the match).
    pub fn captures(&self, tag: &str) -> Option<Vec<Option<String>>> {
        let c = self.regex.captures(tag)?;
        Some(
            c.iter()
                .skip(1)
                .map(|m| m.map(|m| m.as_str().to_string()))
                .collect(),
        )
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
    /// The members of the document the expression can read; `None` when it can read the
    /// whole object (through `@` or `*` at the top level).
    fields: Option<Arc<BTreeSet<String>>>,
}

impl Where {
    pub fn new(text: &str) -> Result<Where, jmespath::JmespathError> {
        let expression = jmespath::compile(text)?;
        let mut fields = BTreeSet::new();
        let whole = reads_whole_root(expression.as_ast(), true, &mut fields);
        Ok(Where {
            text: text.to_string(),
            expression: Arc::new(expression),
            fields: (!whole).then(|| Arc::new(fields)),
        })
    }

    /// Whether the expression is truthy on the image; an evaluation error is an `Err` with
    /// its message (for instance a function applied to the wrong type).
    pub fn holds(&self, image: &Image, repository: Option<&str>) -> Result<bool, String> {
        self.expression
            .search(detail_variable(image, repository, self.fields.as_deref()))
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

/// The image's `imageDetail` as a JMESPath value, built directly (the same document as
/// [`Image::to_detail_json`], without a detour through `serde_json::Value` on the hot path).
/// Only the members in `fields` are built (all when `None`): a member the expression never
/// names cannot change its value.
fn detail_variable(
    image: &Image,
    repository: Option<&str>,
    fields: Option<&BTreeSet<String>>,
) -> jmespath::Variable {
    use jmespath::{Rcvar, Variable};
    use std::collections::BTreeMap;
    let s = |v: &str| Rcvar::new(Variable::String(v.to_string()));
    let wanted = |name: &str| fields.is_none_or(|f| f.contains(name));
    let mut m: BTreeMap<String, Rcvar> = BTreeMap::new();
    if let Some(raw) = &image.extra
        && fields.is_none_or(|f| f.iter().any(|n| !BUILT.contains(&n.as_str())))
        && let Ok(Variable::Object(extra)) = Variable::from_json(raw)
    {
        m = extra;
    }
    let mut insert = |name: &str, value: &dyn Fn() -> Rcvar| {
        if wanted(name) {
            m.insert(name.to_string(), value());
        }
    };
    if let Some(r) = repository {
        insert("repositoryName", &|| s(r));
    }
    insert("imageDigest", &|| s(&image.digest.to_string()));
    if !image.tags.is_empty() {
        insert("imageTags", &|| {
            Rcvar::new(Variable::Array(image.tags.iter().map(|t| s(t)).collect()))
        });
    }
    insert("imagePushedAt", &|| s(&crate::image::iso(image.pushed_at)));
    if let Some(t) = image.last_pulled_at {
        insert("lastRecordedPullTime", &|| s(&crate::image::iso(t)));
    }
    if let Some(n) = image.size_bytes {
        insert("imageSizeInBytes", &|| {
            Rcvar::new(Variable::Number(n.into()))
        });
    }
    if let Some(t) = &image.manifest_media_type {
        insert("imageManifestMediaType", &|| s(t));
    }
    if let Some(t) = &image.artifact_media_type {
        insert("artifactMediaType", &|| s(t));
    }
    insert("imageStatus", &|| s(image.status.as_str()));
    if let Some(t) = image.archived_at {
        insert("lastArchivedAt", &|| s(&crate::image::iso(t)));
    }
    if let Some(t) = image.activated_at {
        insert("lastActivatedAt", &|| s(&crate::image::iso(t)));
    }
    if let Some(d) = image.subject {
        insert("subjectManifestDigest", &|| s(&d.to_string()));
    }
    if !image.children.is_empty() {
        insert("childManifestDigests", &|| {
            Rcvar::new(Variable::Array(
                image.children.iter().map(|d| s(&d.to_string())).collect(),
            ))
        });
    }
    Variable::Object(m)
}

/// The members [`detail_variable`] builds from the image itself.
const BUILT: [&str; 13] = [
    "repositoryName",
    "imageDigest",
    "imageTags",
    "imagePushedAt",
    "lastRecordedPullTime",
    "imageSizeInBytes",
    "imageManifestMediaType",
    "artifactMediaType",
    "imageStatus",
    "lastArchivedAt",
    "lastActivatedAt",
    "subjectManifestDigest",
    "childManifestDigests",
];

/// Collects the top-level members an expression names; true when it can read the whole
/// top-level object (`@` or `*` evaluated against it).
fn reads_whole_root(
    ast: &jmespath::ast::Ast,
    at_root: bool,
    fields: &mut BTreeSet<String>,
) -> bool {
    use jmespath::ast::Ast;
    match ast {
        Ast::Identity { .. } => at_root,
        Ast::Field { name, .. } => {
            if at_root {
                fields.insert(name.clone());
            }
            false
        }
        Ast::Literal { .. } | Ast::Index { .. } | Ast::Slice { .. } => false,
        // The right-hand side sees the left-hand side's value (or each of its elements).
        Ast::Subexpr { lhs, rhs, .. } | Ast::Projection { lhs, rhs, .. } => {
            let l = reads_whole_root(lhs, at_root, fields);
            reads_whole_root(rhs, false, fields) | l
        }
        Ast::Expref { ast, .. } => reads_whole_root(ast, false, fields),
        Ast::Flatten { node, .. } | Ast::ObjectValues { node, .. } | Ast::Not { node, .. } => {
            reads_whole_root(node, at_root, fields)
        }
        Ast::Comparison { lhs, rhs, .. } | Ast::And { lhs, rhs, .. } | Ast::Or { lhs, rhs, .. } => {
            let l = reads_whole_root(lhs, at_root, fields);
            reads_whole_root(rhs, at_root, fields) | l
        }
        Ast::Condition {
            predicate, then, ..
        } => {
            let p = reads_whole_root(predicate, at_root, fields);
            reads_whole_root(then, at_root, fields) | p
        }
        Ast::Function { args, .. } | Ast::MultiList { elements: args, .. } => args
            .iter()
            .fold(false, |acc, a| reads_whole_root(a, at_root, fields) | acc),
        Ast::MultiHash { elements, .. } => elements.iter().fold(false, |acc, kv| {
            reads_whole_root(&kv.value, at_root, fields) | acc
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Digest;

    #[test]
    fn an_expression_sees_the_same_answer_with_only_the_members_it_names() {
        let mut img = Image::new(
            Digest::from_bytes([7; 32]),
            &["v1", "prod"],
            jiff::Timestamp::UNIX_EPOCH,
        );
        img.size_bytes = Some(1200);
        img.extra =
            Some(r#"{"imageScanFindingsSummary":{"findingSeverityCounts":{"CRITICAL":2}}}"#.into());
        for (expr, expect) in [
            ("imageSizeInBytes > `1000`", true),
            ("contains(imageTags, 'prod')", true),
            ("imageTags[?starts_with(@, 'v')] | length(@) == `1`", true),
            (
                "imageScanFindingsSummary.findingSeverityCounts.CRITICAL > `1`",
                true,
            ),
            ("length(keys(@)) > `3`", true),
            ("*.CRITICAL | length(@) == `0`", true),
            ("repositoryName == 'web'", true),
            ("imageStatus == 'ARCHIVED'", false),
        ] {
            let w = Where::new(expr).unwrap();
            assert_eq!(w.holds(&img, Some("web")), Ok(expect), "{expr}");
        }
        assert!(
            Where::new("length(keys(@)) > `3`")
                .unwrap()
                .fields
                .is_none()
        );
        let w = Where::new("imageTags[?starts_with(@, 'v')]").unwrap();
        assert_eq!(
            w.fields.as_deref(),
            Some(&BTreeSet::from(["imageTags".to_string()]))
        );
    }

    #[test]
    fn the_jmespath_document_is_the_detail_json() {
        let mut img = Image::new(
            Digest::from_bytes([7; 32]),
            &["v1"],
            jiff::Timestamp::UNIX_EPOCH,
        );
        img.size_bytes = Some(12);
        img.subject = Some(Digest::from_bytes([1; 32]));
        img.extra =
            Some(r#"{"imageScanFindingsSummary":{"findingSeverityCounts":{"HIGH":2}}}"#.into());
        let direct = detail_variable(&img, Some("web"), None);
        let via_json =
            jmespath::Variable::from_json(&img.to_detail_json(Some("web")).to_string()).unwrap();
        assert_eq!(direct, via_json);
    }
}
