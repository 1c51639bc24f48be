//! The policy file as written: serde types that mirror the YAML exactly, with a span on
//! every value a later check can refuse. The JSON Schema is generated from these types.
//!
//! `match` and `keep` take either a keyword or a map. They are read by hand-written visitors
//! rather than `#[serde(untagged)]`, which would lose the spans inside and give vague errors.

use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor, value::MapAccessDeserializer};
use serde::{Deserialize, Serialize};

use crate::source::Sp;

/// A retention policy: which repositories it governs and the ordered rules that decide which
/// of their images are kept. The first rule that matches an image governs it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ecr-lifecycle policy")]
// `rules` may be left out when `archive` is given: one of the two is required.
#[schemars(extend("anyOf" = [{ "required": ["rules"] }, { "required": ["archive"] }]))]
pub struct PolicyDoc {
    /// The format version of this file. Always `1`.
    #[schemars(range(min = 1, max = 1))]
    pub version: Sp<u64>,
    /// Globs over repository names (`*` any run, `?` one character; `*` crosses `/`).
    /// Default: every repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repositories: Option<Sp<Vec<Sp<String>>>>,
    /// Globs over repository names removed from `repositories`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<Sp<String>>,
    /// `true`: the file is a default. It governs the repositories its `repositories` and
    /// `exclude` select that no other file selects (in the same account and region), so an
    /// org-wide default and team files that override it need no excludes. Two default files
    /// that could select one repository are refused, as two ordinary files are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Sp<bool>>,
    /// How the rules are evaluated: `first-match` (the default: the first rule that matches
    /// an image governs it) or `ecr` (exactly as ECR evaluates a native policy; every rule must
    /// be one ECR can express, and the file compiles to that native policy verbatim — what
    /// `import` writes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<Sp<EvaluationDoc>>,
    /// AWS regions whose registries the policy governs, each planned as its own unit of work.
    /// Default: the region of the command line or environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<Sp<Vec<Sp<String>>>>,
    /// AWS accounts whose registries the policy governs, each reached with its own
    /// credentials; every account in every region is a unit of work, planned concurrently.
    /// Default: the credentials of the command line or environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Sp<Vec<Sp<AccountDoc>>>>,
    /// The registry the policy governs: `ecr` (Amazon ECR's private registries) or
    /// `ecr-public` (Amazon ECR Public, served in us-east-1 only; it has no lifecycle policies,
    /// pull times or archive, so every rule runs at runtime). Default: the `--registry` given at
    /// run time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<Sp<RegistryDoc>>,
    /// What happens to images in ECR's archive storage class. Rules govern active images only;
    /// archived images are kept unless this says when to delete them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<Sp<ArchiveDoc>>,
    /// Images that something runs, kept whatever the rules say (with the images they list and
    /// their signatures), and named in plans with what runs them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_use: Option<Sp<InUseDoc>>,
    /// The rules, highest priority first. At least one, unless `archive` is given.
    #[serde(default)]
    pub rules: Sp<Vec<Sp<RuleDoc>>>,
}

/// One account, by exactly one of `profile` or `role_arn`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountDoc {
    /// A named profile of the AWS configuration files, as `aws --profile NAME` uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Sp<String>>,
    /// An IAM role to assume with the default credentials, like
    /// `arn:aws:iam::123456789012:role/ecr-lifecycle`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<Sp<String>>,
}

/// Where to look for images in use. References by tag count for the image the tag names when
/// the registry is read; references to other registries are ignored.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InUseDoc {
    /// Amazon ECS, in the registry's region: the images of running tasks, of every deployment
    /// of every service, and of the latest 5 revisions of each active task definition family.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ecs: bool,
    /// AWS Lambda, in the registry's region: the image of every version of every function
    /// (aliases point at versions), both as deployed (by digest) and as configured.
    #[serde(default, skip_serializing_if = "is_false")]
    pub lambda: bool,
    /// Files listing more images in use, as globs relative to this policy file: the output of
    /// `kubectl get pods -A -o json` (any Kubernetes object list), or a JSON array of image
    /// references (`123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:…` or `…/web:v1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<Sp<String>>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The archive storage class: when archived images are deleted. Archive rules govern archived
/// images first-match, like rules govern active ones; `expire_after` governs the rest.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveDoc {
    /// Delete archived images no archive rule governs once they have been in the archive this
    /// long (`365d`), measured from `lastArchivedAt`. At least `90d`: ECR bills 90 days of
    /// archive storage in any case. Default: keep them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+[hdw]$"))]
    pub expire_after: Option<Sp<String>>,
    /// Free text, copied into the native rule's `description` (of `expire_after`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Sp<String>>,
    /// With `evaluation: ecr`: the `rulePriority` of `expire_after`'s native rule (default:
    /// after every other rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Sp<u64>>,
    /// Archive rules, highest priority first: each governs the archived images it matches that
    /// no earlier archive rule governs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Sp<ArchiveRuleDoc>>,
}

/// One archive rule: the archived images it matches and when they are deleted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRuleDoc {
    /// Unique within the file (among rules and archive rules); shown in plans.
    pub name: Sp<String>,
    /// With `evaluation: ecr`: the native rule's `rulePriority` (default: after the rules and
    /// the archive rules before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Sp<u64>>,
    /// Free text, copied into the native rule's `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Sp<String>>,
    /// Which archived images the rule governs (those no earlier archive rule governs).
    #[serde(rename = "match")]
    pub matches: Sp<MatchDoc>,
    /// Delete the governed images once they have been in the archive this long (at least
    /// `90d`). Give this or `keep: all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+[hdw]$"))]
    pub expire_after: Option<Sp<String>>,
    /// `all`: keep every governed image in the archive. Give this or `expire_after`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep: Option<Sp<ArchiveKeepDoc>>,
}

/// What an archive rule keeps without `expire_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ArchiveKeepDoc {
    /// Keep every governed image in the archive (a protection rule).
    All,
}

/// What happens to the images a rule governs and does not keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OtherwiseDoc {
    /// Delete them.
    Expire,
    /// Move them to ECR's archive storage class (cheaper above 150 TB, not pullable until
    /// restored, billed for 90 days at least).
    Archive,
    /// Remove the tags the rule's own tag condition names, and keep the image; an image left
    /// with no tag is deleted (as ECR deletes an image with its last tag).
    Untag,
}

/// How a policy's rules are evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EvaluationDoc {
    /// The first rule that matches an image governs it.
    FirstMatch,
    /// As ECR evaluates a native lifecycle policy.
    Ecr,
}

/// Which registry a policy governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RegistryDoc {
    /// Amazon ECR (private repositories).
    Ecr,
    /// Amazon ECR Public.
    EcrPublic,
}

/// One rule: the images it matches and which of them it keeps.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    /// Unique within the file; shown in plans and explanations.
    pub name: Sp<String>,
    /// With `evaluation: ecr`: the native rule's `rulePriority` (default: its position).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Sp<u64>>,
    /// Free text, copied into the native rule's `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Sp<String>>,
    /// Which images the rule governs (those no earlier rule governs).
    #[serde(rename = "match")]
    pub matches: Sp<MatchDoc>,
    /// Which governed images survive; the others expire (or, with `otherwise: archive`, are
    /// archived; with `otherwise: untag`, lose the tags the match names).
    pub keep: Sp<KeepDoc>,
    /// What happens to the governed images `keep` does not keep: `expire` (the default),
    /// `archive` or `untag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otherwise: Option<Sp<OtherwiseDoc>>,
}

/// `any`, or conditions that must all hold.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum MatchDoc {
    /// Every image.
    Any(AnyWord),
    Conditions(ConditionsDoc),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AnyWord {
    /// Every image.
    Any,
}

/// Conditions on an image; all given conditions must hold.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionsDoc {
    /// `true`: images with no tag. `false`: images with at least one tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub untagged: Option<Sp<bool>>,
    /// At least one tag matches at least one of these globs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Sp<Vec<Sp<String>>>>,
    /// For every glob, some tag matches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags_all: Option<Sp<Vec<Sp<String>>>>,
    /// With `evaluation: ecr`: for every prefix, some tag starts with it (ECR's `tagPrefixList`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_prefixes: Option<Sp<Vec<Sp<String>>>>,
    /// At least one tag matches this regular expression (anchored at both ends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_regex: Option<Sp<String>>,
    /// A JMESPath expression, truthy on the image's DescribeImages `imageDetail` object.
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub where_: Option<Sp<String>>,
}

/// `all`, `none`, or a map of alternatives: an image survives if any of them keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum KeepDoc {
    Word(KeepWord),
    Some(RetainDoc),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeepWord {
    /// Keep every governed image (a protection rule).
    All,
    /// Keep no governed image.
    None,
}

/// Alternatives: an image survives if any of them keeps it.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("dependentRequired" = { "by": ["newest"], "per": ["newest"] }))]
pub struct RetainDoc {
    /// Keep the N most recently pushed images (with `by: version`, the N with the highest
    /// versions; with `per`, N in each group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub newest: Option<Sp<u64>>,
    /// With `newest`: how images are ranked. `push` (the default): by push time. `version`: by
    /// the highest version among their tags (SemVer 2.0 precedence; a leading `v` and a
    /// missing minor or patch allowed), images without a version after every image with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Sp<ByDoc>>,
    /// With `newest`: count in groups. A regular expression (anchored at both ends, with at
    /// least one capture group) matched against each tag; a matching tag puts the image in the
    /// group its captures name, and `newest` keeps N in each group. Images none of whose tags
    /// match form one group of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<Sp<String>>,
    /// Keep images pushed less than this long ago (`12h`, `14d`, `2w`). With `anchor`: the
    /// window before the anchor instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+[hdw]$"))]
    pub within: Option<Sp<String>>,
    /// Keep images pulled less than this long ago; an image never pulled counts from its push.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+[hdw]$"))]
    pub pulled_within: Option<Sp<String>>,
    /// Measure `within` back from the push of the oldest image carrying one of these tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<Sp<AnchorDoc>>,
    /// With `anchor`: also keep this many images pushed just before the anchor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<Sp<u64>>,
}

/// How `newest` ranks images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ByDoc {
    /// By push time, newest first.
    Push,
    /// By the highest version among the image's tags, highest first.
    Version,
}

/// The image a window is measured back from.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnchorDoc {
    /// The oldest governed image with a tag matching one of these globs (`*`: any tag).
    pub oldest_tagged: Sp<Vec<Sp<String>>>,
}

impl<'de> Deserialize<'de> for MatchDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MatchDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`any` or a map of conditions (`untagged`, `tags`, `tags_all`, `tag_regex`, `where`)")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<MatchDoc, E> {
                match s {
                    "any" => Ok(MatchDoc::Any(AnyWord::Any)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(s), &self)),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<MatchDoc, A::Error> {
                ConditionsDoc::deserialize(MapAccessDeserializer::new(m)).map(MatchDoc::Conditions)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for KeepDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeepDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`all`, `none` or a map (`newest`, `by`, `per`, `within`, `pulled_within`, `anchor`, `at_least`)")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<KeepDoc, E> {
                match s {
                    "all" => Ok(KeepDoc::Word(KeepWord::All)),
                    "none" => Ok(KeepDoc::Word(KeepWord::None)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(s), &self)),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<KeepDoc, A::Error> {
                RetainDoc::deserialize(MapAccessDeserializer::new(m)).map(KeepDoc::Some)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for ArchiveKeepDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ArchiveKeepDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`all` (an archive rule deletes with `expire_after`)")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<ArchiveKeepDoc, E> {
                match s {
                    "all" => Ok(ArchiveKeepDoc::All),
                    _ => Err(E::invalid_value(de::Unexpected::Str(s), &self)),
                }
            }
        }
        d.deserialize_any(V)
    }
}
