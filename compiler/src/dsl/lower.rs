//! From the file as written ([`syntax`]) to a checked [`Policy`], collecting every error.

use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::dsl::policy::{
    Account, Anchored, ArchiveKeep, ArchiveRule, ArchiveSettings, Evaluation, InUseSettings, Keep,
    Matcher, Newest, Order, Otherwise, Policy, RegistryKind, RepositorySelector, Retain, Rule,
    TagClass, TagConditions, TagRegex, Where,
};
use crate::dsl::public;
use crate::dsl::syntax::{
    self, ArchiveRuleDoc, ByDoc, ConditionsDoc, KeepDoc, KeepWord, MatchDoc, OtherwiseDoc,
    PolicyDoc, RetainDoc,
};
use crate::duration::Duration;
use crate::glob::{Glob, GlobKind};
use crate::limits::MIN_ARCHIVE_DAYS;
use crate::source::{SourceFile, Sp, Span};

/// Longest rule name; names appear in plans, descriptions and file names.
const MAX_NAME: usize = 64;

pub(crate) fn lower(doc: PolicyDoc, file: &SourceFile) -> Result<Policy, Vec<Diagnostic>> {
    let mut cx = Lower {
        file,
        errors: Vec::new(),
        evaluation: match doc.evaluation.as_ref().map(|e| e.value) {
            Some(syntax::EvaluationDoc::Ecr) => Evaluation::Ecr,
            _ => Evaluation::FirstMatch,
        },
    };
    if *doc.version != 1 {
        cx.errors.push(
            Diagnostic::error(
                format!("unsupported version `{}`", *doc.version),
                doc.version.span,
            )
            .with_label("this file format is version 1")
            .with_help("write `version: 1`"),
        );
    }
    let include = doc.repositories.map(|list| {
        if list.is_empty() {
            cx.errors.push(
                Diagnostic::error(
                    "`repositories` is empty, so the policy governs nothing",
                    list.span,
                )
                .with_help(
                    "list repository globs, or leave `repositories` out to govern every repository",
                ),
            );
        }
        cx.globs(&list, GlobKind::Repository)
    });
    let exclude = cx.globs(&doc.exclude, GlobKind::Repository);
    let registry = doc.registry.map(|r| {
        r.map(|k| match k {
            syntax::RegistryDoc::Ecr => RegistryKind::Ecr,
            syntax::RegistryDoc::EcrPublic => RegistryKind::EcrPublic,
        })
    });
    if let (Some(r), Some(list)) = (&registry, &doc.regions)
        && r.value == RegistryKind::EcrPublic
    {
        cx.errors.push(public::regions_refused(list.span));
    }
    let regions = doc.regions.map(|list| cx.regions(&list));
    let accounts = doc.accounts.map(|list| cx.accounts(list));
    let has_archive = doc.archive.is_some();
    // Names are unique among rules and archive rules alike: plans name either.
    let mut all_names: Vec<&Sp<String>> = doc.rules.iter().map(|r| &r.name).collect();
    if let Some(a) = &doc.archive {
        all_names.extend(a.rules.iter().map(|r| &r.name));
    }
    cx.unique_names(all_names);
    let archive = doc.archive.and_then(|a| cx.archive(a));
    let in_use = doc.in_use.and_then(|u| cx.in_use(u));
    if doc.rules.is_empty() && !has_archive {
        cx.errors.push(
            Diagnostic::error("the policy has no rules", doc.rules.span)
                .with_help("add at least one rule under `rules:`"),
        );
    }
    let mut rules = Vec::new();
    for rule in doc.rules.value {
        if let Some(r) = cx.rule(rule) {
            rules.push(r);
        }
    }
    if cx.evaluation == Evaluation::FirstMatch {
        cx.unreachable_rules(&rules);
        if let Some(a) = &archive {
            cx.unreachable_archive_rules(a);
        }
    }
    if !cx.errors.is_empty() {
        // In the order of the file, whichever check found them.
        cx.errors
            .sort_by_key(|d| d.span.map_or(u32::MAX, |s| s.start));
        return Err(cx.errors);
    }
    let policy = Policy {
        source: file.name.clone(),
        repositories: RepositorySelector { include, exclude },
        default: doc.default.filter(|d| d.value).map(|d| d.span),
        regions,
        accounts,
        registry,
        evaluation: cx.evaluation,
        archive,
        in_use,
        rules,
    };
    // What ECR Public cannot do, refused at its place when the file names that registry (at
    // run time, `--registry ecr-public` refuses the same for files that name none).
    if policy.registry.as_ref().map(|r| r.value) == Some(RegistryKind::EcrPublic) {
        let refused = public::refusals(&policy);
        if !refused.is_empty() {
            return Err(refused);
        }
    }
    Ok(policy)
}

struct Lower<'a> {
    file: &'a SourceFile,
    errors: Vec<Diagnostic>,
    evaluation: Evaluation,
}

impl Lower<'_> {
    /// Each name once, in the order written; a repeat is an error that points at the first.
    fn unique_names(&mut self, mut names: Vec<&Sp<String>>) {
        names.sort_by_key(|n| n.span.start);
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for name in names {
            if let Some(first) = seen.get(name.as_str()) {
                let (line, col) = self.file.line_col(first.start as usize);
                self.errors.push(
                    Diagnostic::error(format!("duplicate rule name `{}`", **name), name.span)
                        .with_label("used again here")
                        .with_note(format!("first used at {}:{line}:{col}", self.file.name))
                        .with_help(
                            "rule names must be unique within a file, archive rules included",
                        ),
                );
            } else {
                seen.insert(name.as_str(), name.span);
            }
        }
    }

    /// A rule's name: letters, digits, `-`, `_` and `.`, at most [`MAX_NAME`] characters.
    fn check_name(&mut self, name: &Sp<String>) {
        let valid = !name.is_empty()
            && name.len() <= MAX_NAME
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            self.errors.push(
                Diagnostic::error(format!("`{}` is not a valid rule name", **name), name.span)
                    .with_help(format!(
                        "use letters, digits, `-`, `_` and `.`, at most {MAX_NAME} characters"
                    )),
            );
        }
    }

    fn globs(&mut self, list: &[Sp<String>], kind: GlobKind) -> Vec<Sp<Glob>> {
        list.iter()
            .filter_map(|text| match Glob::parse(text, kind) {
                Ok(g) => Some(Sp::new(g, text.span)),
                Err(e) => {
                    self.errors
                        .push(Diagnostic::error(e.message, text.span).with_help(e.help));
                    None
                }
            })
            .collect()
    }

    /// Accounts, each by one profile or one role ARN, each once.
    fn accounts(&mut self, list: Sp<Vec<Sp<syntax::AccountDoc>>>) -> Vec<Account> {
        if list.is_empty() {
            self.errors.push(
                Diagnostic::error("`accounts` is empty, so the policy governs nothing", list.span)
                    .with_help("list accounts, or leave `accounts` out to use the credentials given at run time"),
            );
        }
        let mut out: Vec<Account> = Vec::new();
        for entry in list.value {
            let span = entry.span;
            let account = match (entry.value.profile, entry.value.role_arn) {
                (Some(p), None) => {
                    if p.trim().is_empty() || p.chars().any(char::is_whitespace) {
                        self.errors.push(
                            Diagnostic::error(format!("`{}` is not a profile name", *p), p.span)
                                .with_help(
                                    "write the name of a `[profile NAME]` section, without spaces",
                                ),
                        );
                        continue;
                    }
                    Account::Profile(p.value)
                }
                (None, Some(r)) => {
                    if !is_role_arn(&r) {
                        self.errors.push(
                            Diagnostic::error(format!("`{}` is not an IAM role ARN", *r), r.span)
                                .with_help("write `arn:aws:iam::ACCOUNT:role/NAME` (12 digits for the account)"),
                        );
                        continue;
                    }
                    Account::RoleArn(r.value)
                }
                _ => {
                    self.errors.push(
                        Diagnostic::error("an account needs exactly one of `profile` and `role_arn`", span)
                            .with_help("write `{ profile: NAME }` or `{ role_arn: arn:aws:iam::123456789012:role/NAME }`"),
                    );
                    continue;
                }
            };
            if out.contains(&account) {
                self.errors.push(Diagnostic::error(
                    format!("{account} is listed twice"),
                    span,
                ));
            } else {
                out.push(account);
            }
        }
        out
    }

    /// AWS region names, like `eu-west-1` or `us-gov-west-1`, each once.
    fn regions(&mut self, list: &Sp<Vec<Sp<String>>>) -> Vec<String> {
        if list.is_empty() {
            self.errors.push(
                Diagnostic::error(
                    "`regions` is empty, so the policy governs nothing",
                    list.span,
                )
                .with_help(
                    "list regions, or leave `regions` out to use the region given at run time",
                ),
            );
        }
        let mut out: Vec<String> = Vec::new();
        for r in list.iter() {
            let parts: Vec<&str> = r.split('-').collect();
            let valid = parts.len() >= 3
                && parts.iter().all(|p| {
                    !p.is_empty()
                        && p.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                })
                && parts
                    .last()
                    .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
            if !valid {
                self.errors.push(
                    Diagnostic::error(format!("`{}` is not an AWS region", **r), r.span)
                        .with_help("write a region code like `eu-west-1` or `us-east-2`"),
                );
            } else if out.contains(&r.value) {
                self.errors.push(Diagnostic::error(
                    format!("region `{}` is listed twice", **r),
                    r.span,
                ));
            } else {
                out.push(r.value.clone());
            }
        }
        out
    }

    fn rule(&mut self, rule: Sp<syntax::RuleDoc>) -> Option<Rule> {
        let span = rule.span;
        let doc = rule.value;
        let before = self.errors.len();
        self.check_name(&doc.name);
        let priority = self.priority(
            doc.priority.as_ref(),
            "rules are evaluated in the order written; move the rule instead",
        );
        let matcher = self.matcher(doc.matches);
        let keep = self.keep(doc.keep);
        let otherwise = match &doc.otherwise {
            None => Otherwise::Expire,
            Some(o) if o.value == OtherwiseDoc::Expire => Otherwise::Expire,
            Some(o) if o.value == OtherwiseDoc::Untag => {
                self.untag(o.span, matcher.as_ref(), keep.as_ref());
                Otherwise::Untag
            }
            Some(o) => {
                if matches!(keep.as_ref().map(|k| &k.value), Some(Keep::All)) {
                    self.errors.push(
                        Diagnostic::error("`otherwise: archive` has nothing to archive", o.span)
                            .with_label("`keep: all` keeps every image the rule governs")
                            .with_help("remove `otherwise`, or keep fewer images"),
                    );
                }
                Otherwise::Archive
            }
        };
        if self.errors.len() > before {
            return None;
        }
        Some(Rule {
            name: doc.name,
            priority,
            description: doc.description.map(|d| d.value),
            matcher: matcher?,
            keep: keep?,
            otherwise,
            otherwise_at: doc.otherwise.map(|o| o.span),
            span,
        })
    }

    /// `otherwise: untag` (DESIGN.md §3.6) removes the tags the rule's own tag condition
    /// names, so the match must name some; and ECR's own evaluation never removes a tag.
    fn untag(&mut self, at: Span, matcher: Option<&Sp<Matcher>>, keep: Option<&Sp<Keep>>) {
        if self.evaluation == Evaluation::Ecr {
            self.errors.push(
                Diagnostic::error(
                    "`otherwise: untag` does not apply with `evaluation: ecr`",
                    at,
                )
                .with_help("ECR's lifecycle policies delete images, not tags: remove `evaluation: ecr` to have the runner remove tags"),
            );
            return;
        }
        if let Some(m) = matcher
            && !m.names_tags()
        {
            let what = match &m.value {
                Matcher::Any { .. } => "`any` names no tag",
                Matcher::Untagged { .. } => "untagged images have no tag to remove",
                Matcher::Tagged(_) => "the match has no tag condition that names tags",
            };
            self.errors.push(
                Diagnostic::error("`otherwise: untag` needs a match that names tags", m.span)
                    .with_label(what)
                    .with_help("match with `tags`, `tags_all` or `tag_regex`: those are the tags `untag` removes"),
            );
        }
        if matches!(keep.map(|k| &k.value), Some(Keep::All)) {
            self.errors.push(
                Diagnostic::error("`otherwise: untag` has nothing to untag", at)
                    .with_label("`keep: all` keeps every image the rule governs")
                    .with_help("remove `otherwise`, or keep fewer images"),
            );
        }
    }

    /// A native `rulePriority`, which only `evaluation: ecr` files give.
    fn priority(&mut self, p: Option<&Sp<u64>>, first_match_help: &str) -> Option<u32> {
        let p = p?;
        if self.evaluation == Evaluation::FirstMatch {
            self.errors.push(
                Diagnostic::error("`priority` only applies with `evaluation: ecr`", p.span)
                    .with_help(first_match_help.to_string()),
            );
            return None;
        }
        let max = crate::limits::MAX_INTEGER;
        match u32::try_from(p.value) {
            Ok(v) if v >= 1 && i64::from(v) <= max => Some(v),
            _ => {
                self.errors.push(
                    Diagnostic::error(
                        format!("`priority` must be a whole number from 1 to {max}"),
                        p.span,
                    )
                    .with_help("ECR's `rulePriority` starts at 1 and is a 32-bit integer"),
                );
                None
            }
        }
    }

    /// The `in_use` section: at least one source, and no empty file globs.
    fn in_use(&mut self, doc: Sp<syntax::InUseDoc>) -> Option<InUseSettings> {
        let span = doc.span;
        let doc = doc.value;
        if !doc.ecs && !doc.lambda && doc.files.is_empty() {
            self.errors.push(
                Diagnostic::error("`in_use` names no place to look for images in use", span)
                    .with_help(
                        "set `ecs: true`, `lambda: true`, or list `files`; or leave `in_use` out",
                    ),
            );
            return None;
        }
        let before = self.errors.len();
        for f in &doc.files {
            if f.trim().is_empty() {
                self.errors.push(
                    Diagnostic::error("an empty file pattern", f.span).with_help(
                        "write a path or glob relative to this policy file, like `in-use/*.json`",
                    ),
                );
            }
        }
        (self.errors.len() == before).then_some(InUseSettings {
            ecs: doc.ecs,
            lambda: doc.lambda,
            files: doc.files,
        })
    }

    /// The `archive` section: archive rules, and `expire_after` for the archived images they
    /// do not govern.
    fn archive(&mut self, doc: Sp<syntax::ArchiveDoc>) -> Option<ArchiveSettings> {
        let span = doc.span;
        let doc = doc.value;
        let before = self.errors.len();
        let expire_after = doc
            .expire_after
            .as_ref()
            .and_then(|d| self.archive_window(d));
        if doc.expire_after.is_none() {
            if doc.rules.is_empty() {
                self.errors.push(
                    Diagnostic::error(
                        "`archive` says nothing about archived images",
                        widen(span, &self.file.text),
                    )
                        .with_help("give `expire_after: 365d` (for example), archive `rules`, or both; or leave `archive` out to keep archived images"),
                );
            }
            let orphans = [
                ("description", doc.description.as_ref().map(|d| d.span)),
                ("priority", doc.priority.as_ref().map(|p| p.span)),
            ];
            for (key, at) in orphans {
                if let Some(at) = at {
                    self.errors.push(
                        Diagnostic::error(
                            format!(
                                "`archive.{key}` is for `expire_after`'s rule, and there is none"
                            ),
                            at,
                        )
                        .with_help(format!(
                            "add `expire_after`, or give `{key}` to an archive rule instead"
                        )),
                    );
                }
            }
        }
        let priority = self.priority(
            doc.priority.as_ref(),
            "`expire_after` always comes last, after the rules and the archive rules",
        );
        let rules: Vec<ArchiveRule> = doc
            .rules
            .into_iter()
            .filter_map(|r| self.archive_rule(r))
            .collect();
        if self.errors.len() > before {
            return None;
        }
        Some(ArchiveSettings {
            expire_after,
            description: doc.description.map(|d| d.value),
            priority,
            rules,
            span,
        })
    }

    /// One archive rule: a match like a rule's, and exactly one of `expire_after` and
    /// `keep: all`.
    fn archive_rule(&mut self, rule: Sp<ArchiveRuleDoc>) -> Option<ArchiveRule> {
        let span = rule.span;
        let doc = rule.value;
        let before = self.errors.len();
        self.check_name(&doc.name);
        let priority = self.priority(
            doc.priority.as_ref(),
            "archive rules are evaluated in the order written; move the rule instead",
        );
        let matcher = self.matcher(doc.matches);
        let keep = match (&doc.expire_after, &doc.keep) {
            (Some(d), None) => self
                .archive_window(d)
                .map(|w| Sp::new(ArchiveKeep::ExpireAfter(w.value), w.span)),
            (None, Some(k)) => Some(Sp::new(ArchiveKeep::All, k.span)),
            (Some(_), Some(k)) => {
                self.errors.push(
                    Diagnostic::error(
                        "an archive rule has `expire_after` or `keep: all`, not both",
                        k.span,
                    )
                    .with_help("remove `keep: all` to delete the images after `expire_after`, or remove `expire_after` to keep them"),
                );
                None
            }
            (None, None) => {
                self.errors.push(
                    Diagnostic::error(
                        format!(
                            "archive rule `{}` says neither `expire_after` nor `keep: all`",
                            *doc.name
                        ),
                        doc.name.span,
                    )
                    .with_help("add `expire_after: 365d` (for example) or `keep: all`"),
                );
                None
            }
        };
        if self.errors.len() > before {
            return None;
        }
        Some(ArchiveRule {
            name: doc.name,
            priority,
            description: doc.description.map(|d| d.value),
            matcher: matcher?,
            keep: keep?,
            span,
        })
    }

    /// A time in the archive after which images are deleted: at least 90 days.
    fn archive_window(&mut self, d: &Sp<String>) -> Option<Sp<crate::duration::Duration>> {
        let window = self.duration(d)?;
        if window.seconds() < MIN_ARCHIVE_DAYS * 86_400 {
            self.errors.push(
                Diagnostic::error(
                    format!(
                        "`expire_after: {}` is shorter than ECR's 90-day minimum for archived images",
                        **d
                    ),
                    d.span,
                )
                .with_label("archived images are billed for 90 days whenever they are deleted")
                .with_note("ECR refuses lifecycle rules that delete images archived for less than 90 days")
                .with_help("write `expire_after: 90d` or longer, or expire such images instead of archiving them"),
            );
            return None;
        }
        Some(window)
    }

    fn matcher(&mut self, m: Sp<MatchDoc>) -> Option<Sp<Matcher>> {
        let span = widen(m.span, &self.file.text);
        let c: ConditionsDoc = match m.value {
            MatchDoc::Any(_) => return Some(Sp::new(Matcher::Any { filter: None }, span)),
            MatchDoc::Conditions(c) => c,
        };
        let before = self.errors.len();
        let filter = c.where_.as_ref().and_then(|w| self.where_expr(w));
        let any_of = c
            .tags
            .as_ref()
            .map(|t| self.tag_list(t, "tags"))
            .unwrap_or_default();
        let all_of = c
            .tags_all
            .as_ref()
            .map(|t| self.tag_list(t, "tags_all"))
            .unwrap_or_default();
        let regex = c.tag_regex.as_ref().and_then(|r| self.regex(r));
        let prefixes: Vec<Sp<String>> = match (&c.tag_prefixes, self.evaluation) {
            (None, _) => Vec::new(),
            (Some(list), Evaluation::Ecr) => {
                if list.is_empty() {
                    self.errors.push(
                        Diagnostic::error("`tag_prefixes` is an empty list", list.span)
                            .with_help("list at least one prefix, or remove `tag_prefixes`"),
                    );
                }
                list.value.clone()
            }
            (Some(list), Evaluation::FirstMatch) => {
                let globs: Vec<String> = list.iter().map(|p| format!("\"{}*\"", **p)).collect();
                self.errors.push(
                    Diagnostic::error(
                        "`tag_prefixes` only applies with `evaluation: ecr`",
                        widen(list.span, &self.file.text),
                    )
                    .with_help(format!("write `tags_all: [{}]`", globs.join(", "))),
                );
                Vec::new()
            }
        };
        let has_tag_condition = c.tags.is_some()
            || c.tags_all.is_some()
            || c.tag_regex.is_some()
            || c.tag_prefixes.is_some();
        let matcher = match c.untagged.as_ref().map(|u| (u.value, u.span)) {
            Some((true, u_span)) if has_tag_condition => {
                self.errors.push(
                    Diagnostic::error(
                        "`untagged: true` contradicts the tag conditions beside it",
                        u_span,
                    )
                    .with_label("an untagged image has no tag to match")
                    .with_help("split this into two rules, or remove `untagged: true`"),
                );
                return None;
            }
            Some((true, _)) => Matcher::Untagged { filter },
            Some((false, _)) => Matcher::Tagged(TagConditions {
                any_of,
                all_of,
                regex,
                filter,
                prefixes,
            }),
            None if has_tag_condition => Matcher::Tagged(TagConditions {
                any_of,
                all_of,
                regex,
                filter,
                prefixes,
            }),
            None if c.where_.is_some() => Matcher::Any { filter },
            None => {
                self.errors.push(
                    Diagnostic::error("this match has no conditions", span)
                        .with_help("write `match: any` to match every image"),
                );
                return None;
            }
        };
        (self.errors.len() == before).then(|| Sp::new(matcher, span))
    }

    fn regex(&mut self, r: &Sp<String>) -> Option<Sp<TagRegex>> {
        match TagRegex::new(r) {
            Ok(re) => Some(Sp::new(re, r.span)),
            Err(e) => {
                let detail = e.to_string();
                let last = detail.lines().last().unwrap_or("").trim().to_string();
                self.errors.push(
                    Diagnostic::error(format!("`{}` is not a valid regular expression", **r), r.span)
                        .with_label(last)
                        .with_help("the syntax is Rust's `regex` crate (like RE2); the expression is anchored at both ends"),
                );
                None
            }
        }
    }

    /// `per`: a regex whose captures name each tag's group.
    fn per(&mut self, p: &Sp<String>) -> Option<Sp<TagRegex>> {
        let re = self.regex(p)?;
        if re.capture_groups() == 0 {
            self.errors.push(
                Diagnostic::error("`per` has no capture group", p.span)
                    .with_label("a tag's group is named by what the parentheses capture")
                    .with_help(r"put the part of the tag that names its group in parentheses, like `v?(\d+\.\d+)\..*` for release lines or `feature-(.+)-[0-9a-f]{7}` for branches (`(?:…)` captures nothing)"),
            );
            return None;
        }
        Some(re)
    }

    fn tag_list(&mut self, list: &Sp<Vec<Sp<String>>>, key: &str) -> Vec<Sp<Glob>> {
        if list.is_empty() {
            self.errors.push(
                Diagnostic::error(format!("`{key}` is an empty list"), list.span)
                    .with_help(format!("list at least one tag glob, or remove `{key}`")),
            );
        }
        if self.evaluation == Evaluation::Ecr {
            // ECR's own patterns, verbatim: `import` writes whatever the native policy holds.
            return list
                .iter()
                .map(|t| Sp::new(Glob::verbatim(t), t.span))
                .collect();
        }
        self.globs(list, GlobKind::Tag)
    }

    fn where_expr(&mut self, w: &Sp<String>) -> Option<Sp<Where>> {
        match Where::new(w) {
            Ok(expr) => Some(Sp::new(expr, w.span)),
            Err(e) => {
                // Point into the expression: skip the opening quote when the scalar is quoted.
                let raw = self.file.slice(w.span);
                let quote = usize::from(raw.starts_with('"') || raw.starts_with('\''));
                let at = w.span.start as usize + quote + e.offset.min(w.len());
                let reason = e.reason.to_string();
                self.errors.push(
                    Diagnostic::error(format!("`where` is not a valid JMESPath expression: {reason}"), Span::new(at, at + 1))
                        .with_help("the expression sees the image's DescribeImages `imageDetail`, for example \"imageSizeInBytes > `1000000000`\""),
                );
                None
            }
        }
    }

    fn keep(&mut self, k: Sp<KeepDoc>) -> Option<Sp<Keep>> {
        let span = widen(k.span, &self.file.text);
        let r: RetainDoc = match k.value {
            KeepDoc::Word(KeepWord::All) => return Some(Sp::new(Keep::All, span)),
            KeepDoc::Word(KeepWord::None) => return Some(Sp::new(Keep::None, span)),
            KeepDoc::Some(r) => r,
        };
        let before = self.errors.len();
        let by = r.by.as_ref().map(|b| match b.value {
            ByDoc::Push => Order::Push,
            ByDoc::Version => Order::Version,
        });
        let per = r.per.as_ref().and_then(|p| self.per(p));
        if r.newest.is_none() {
            // `by` and `per` say how `newest` ranks and counts; alone they say nothing.
            let keys = [
                ("by", r.by.as_ref().map(|b| b.span)),
                ("per", r.per.as_ref().map(|p| p.span)),
            ];
            for (key, at) in keys {
                if let Some(at) = at {
                    self.errors.push(
                        Diagnostic::error(format!("`{key}` only applies with `newest`"), at)
                            .with_label(format!(
                                "`{key}` says how `newest` ranks and counts the images it keeps"
                            ))
                            .with_help(format!("add `newest: 3` (for example) beside `{key}`")),
                    );
                }
            }
        }
        let newest = r
            .newest
            .as_ref()
            .and_then(|n| self.count(n, "newest"))
            .map(|count| Newest {
                count,
                by: by.unwrap_or_default(),
                per,
            });
        let within = r.within.as_ref().and_then(|d| self.duration(d));
        let pulled_within = r.pulled_within.as_ref().and_then(|d| self.duration(d));
        let at_least = r.at_least.as_ref().and_then(|n| {
            if n.value == 0 {
                Some(0)
            } else {
                self.count(n, "at_least").map(|c| c.value)
            }
        });
        let mut retain = Retain {
            newest,
            within,
            pulled_within,
            anchored: None,
        };
        match (&r.anchor, r.at_least.as_ref()) {
            (Some(anchor), _) => {
                let tags = self.tag_list(&anchor.oldest_tagged, "oldest_tagged");
                match retain.within.take() {
                    Some(window) => {
                        retain.anchored = Some(Anchored {
                            window,
                            tags,
                            at_least: at_least.unwrap_or(0),
                            span: anchor.span,
                        })
                    }
                    None if r.within.is_none() => self.errors.push(
                        Diagnostic::error("`anchor` needs `within`", anchor.span)
                            .with_label("the window kept before the anchor is not given")
                            .with_help("add `within: 365d` (for example) beside `anchor`"),
                    ),
                    None => {}
                }
            }
            (None, Some(n)) => self.errors.push(
                Diagnostic::error("`at_least` only applies with `anchor`", n.span).with_help(
                    format!(
                        "to keep the {} newest images, write `newest: {}`",
                        n.value, n.value
                    ),
                ),
            ),
            (None, None) => {}
        }
        if self.errors.len() == before && retain.alternatives() == 0 {
            self.errors.push(
                Diagnostic::error("`keep` is empty", span)
                    .with_help("give `newest`, `within`, `pulled_within` or `anchor`, or write `keep: all` / `keep: none`"),
            );
        }
        (self.errors.len() == before).then(|| Sp::new(Keep::Retain(retain), span))
    }

    fn count(&mut self, n: &Sp<u64>, key: &str) -> Option<Sp<u32>> {
        match u32::try_from(n.value) {
            Ok(0) => {
                self.errors.push(
                    Diagnostic::error(format!("`{key}: 0` keeps nothing"), n.span)
                        .with_help("write `keep: none` to keep no image"),
                );
                None
            }
            Ok(v) => Some(Sp::new(v, n.span)),
            Err(_) => {
                self.errors.push(
                    Diagnostic::error(format!("`{key}` is too large"), n.span)
                        .with_help(format!("the largest count is {}", u32::MAX)),
                );
                None
            }
        }
    }

    fn duration(&mut self, d: &Sp<String>) -> Option<Sp<Duration>> {
        match Duration::parse(d) {
            Ok(v) => Some(Sp::new(v, d.span)),
            Err(e) => {
                self.errors
                    .push(Diagnostic::error(e.message(d), d.span).with_help(e.help()));
                None
            }
        }
    }

    /// A rule is unreachable when one rule before it already governs every image it could
    /// match (see [`unreachable`]).
    fn unreachable_rules(&mut self, rules: &[Rule]) {
        let matchers: Vec<&Matcher> = rules.iter().map(|r| &r.matcher.value).collect();
        for (i, earlier, why) in unreachable(&matchers) {
            let rule = &rules[i];
            let by = &rules[earlier].name;
            let mut d = Diagnostic::error(
                format!("rule `{}` can never match an image", *rule.name),
                rule.name.span,
            )
            .with_label("unreachable")
            .with_note(format!(
                "rule `{}` at {} before it already governs every image this rule could match",
                **by,
                self.position(by.span)
            ));
            if let Some(why) = why.words() {
                d = d.with_note(why);
            }
            self.errors
                .push(d.with_help("move this rule above that one, or remove it"));
        }
    }

    /// `file:line:col` of a place in this file.
    fn position(&self, span: Span) -> String {
        let (line, col) = self.file.line_col(span.start as usize);
        format!("{}:{line}:{col}", self.file.name)
    }

    /// The same for archive rules, and for `expire_after` after them (which governs what they
    /// leave: every archived image, as `match: any` would).
    fn unreachable_archive_rules(&mut self, archive: &ArchiveSettings) {
        let any = Matcher::Any { filter: None };
        let mut matchers: Vec<&Matcher> = archive.rules.iter().map(|r| &r.matcher.value).collect();
        if archive.expire_after.is_some() {
            matchers.push(&any);
        }
        for (i, earlier, why) in unreachable(&matchers) {
            let by = &archive.rules[earlier].name;
            let (message, span, help) = match archive.rules.get(i) {
                Some(rule) => (
                    format!("archive rule `{}` can never match an image", *rule.name),
                    rule.name.span,
                    "move this archive rule above that one, or remove it",
                ),
                None => (
                    "`expire_after` can never govern an archived image".to_string(),
                    archive
                        .expire_after
                        .as_ref()
                        .map_or(archive.span, |d| d.span),
                    "remove `expire_after`, or narrow that archive rule",
                ),
            };
            let mut d = Diagnostic::error(message, span)
                .with_label("unreachable")
                .with_note(format!(
                    "archive rule `{}` at {} before it already governs every archived image this could govern",
                    **by,
                    self.position(by.span)
                ));
            if let Some(why) = why.words() {
                d = d.with_note(why);
            }
            self.errors.push(d.with_help(help));
        }
    }
}

/// Why an earlier matcher covers a later one.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Covered {
    /// The earlier matcher selects every image of the later one's tag class (or classes).
    WholeClass,
    /// Each condition of the earlier matcher holds for every image the later one matches:
    /// each pair is a glob of the later matcher and the glob of the earlier one it is included in.
    Globs(Vec<(String, String)>),
}

impl Covered {
    fn words(&self) -> Option<String> {
        let Covered::Globs(pairs) = self else {
            return None;
        };
        let pairs: Vec<String> = pairs
            .iter()
            .map(|(inner, outer)| {
                if inner == outer {
                    format!("both rules have the glob `{inner}`")
                } else {
                    format!("every tag `{inner}` matches, `{outer}` matches too")
                }
            })
            .collect();
        Some(pairs.join("; "))
    }
}

/// The matchers (by position) that one earlier matcher already covers, each with the first
/// such earlier matcher and why:
/// - after `match: any`, after `untagged: true` for untagged images, and after
///   `untagged: false` (or `tags: ["*"]`) for tagged ones, every matcher of that class;
/// - a matcher of tag globs alone (`tags`, `tags_all`) after one of tag globs alone whose
///   every condition its images meet: each glob of its `tags` included in a glob of the
///   earlier `tags` (`prod-eu-*` after `prod*`), or one of its `tags_all` globs included in it.
///
/// Inclusion is decided on the globs' automata ([`Glob::included_in`], as lint decides it for
/// native patterns). Only what is proved is reported: a matcher with `tag_regex` or `where`,
/// before or after, is never compared by its globs.
fn unreachable(matchers: &[&Matcher]) -> Vec<(usize, usize, Covered)> {
    let mut untagged_by: Option<usize> = None;
    let mut tagged_by: Option<usize> = None;
    let mut out = Vec::new();
    for (i, m) in matchers.iter().enumerate() {
        let blocker = match m.class() {
            TagClass::Untagged => untagged_by,
            TagClass::Tagged => tagged_by,
            TagClass::Both => untagged_by.and(tagged_by),
        };
        if let Some(earlier) = blocker {
            out.push((i, earlier, Covered::WholeClass));
            continue;
        }
        if let Some((earlier, pairs)) = matchers[..i]
            .iter()
            .enumerate()
            .find_map(|(j, e)| globs_cover(e, m).map(|pairs| (j, pairs)))
        {
            out.push((i, earlier, Covered::Globs(pairs)));
            continue;
        }
        let whole = m.whole_class();
        let covers_untagged = whole.is_some_and(|c| c != TagClass::Tagged);
        let covers_tagged = whole.is_some_and(|c| c != TagClass::Untagged);
        if covers_untagged && untagged_by.is_none() {
            untagged_by = Some(i);
        }
        if covers_tagged && tagged_by.is_none() {
            tagged_by = Some(i);
        }
    }
    out
}

/// The tag conditions of a matcher that has nothing but globs (`tags`, `tags_all`).
fn globs_only(m: &Matcher) -> Option<&TagConditions> {
    match m {
        Matcher::Tagged(t)
            if t.regex.is_none()
                && t.filter.is_none()
                && t.prefixes.is_empty()
                && !(t.any_of.is_empty() && t.all_of.is_empty()) =>
        {
            Some(t)
        }
        _ => None,
    }
}

/// Whether every image `later` matches meets every condition of `earlier`, both of globs
/// alone; the proof as (later glob, earlier glob) pairs, one per condition of `earlier`.
fn globs_cover(earlier: &Matcher, later: &Matcher) -> Option<Vec<(String, String)>> {
    let (e, l) = (globs_only(earlier)?, globs_only(later)?);
    // A tag the later matcher's image is sure to carry that `outer` matches: every glob of its
    // `tags` included in `outer` (one of them matches a tag), or one of its `tags_all` globs.
    let sure = |outer: &[Sp<Glob>]| -> Option<Vec<(String, String)>> {
        let within = |g: &Sp<Glob>| outer.iter().find(|o| g.included_in(o));
        if let Some((g, o)) = l.all_of.iter().find_map(|g| within(g).map(|o| (g, o))) {
            return Some(vec![(g.to_string(), o.to_string())]);
        }
        if l.any_of.is_empty() {
            return None;
        }
        l.any_of
            .iter()
            .map(|g| within(g).map(|o| (g.to_string(), o.to_string())))
            .collect()
    };
    let mut pairs = Vec::new();
    if !e.any_of.is_empty() {
        pairs.extend(sure(&e.any_of)?);
    }
    for h in &e.all_of {
        pairs.extend(sure(std::slice::from_ref(h))?);
    }
    pairs.dedup();
    Some(pairs)
}

/// A flow collection's span covers only its opening bracket: extend it to the closing one on
/// the same line, so a diagnostic underlines the whole `{ ... }`.
fn widen(span: Span, text: &str) -> Span {
    let start = span.start as usize;
    let open = match text.as_bytes().get(start) {
        Some(b'{') => b'{',
        Some(b'[') => b'[',
        _ => return span,
    };
    let close = if open == b'{' { b'}' } else { b']' };
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    for (i, &b) in text.as_bytes()[start..].iter().enumerate() {
        match (quote, b) {
            (_, b'\n') => break,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, c) if c == open => depth += 1,
            (None, c) if c == close => {
                depth -= 1;
                if depth == 0 {
                    return Span::new(start, start + i + 1);
                }
            }
            _ => {}
        }
    }
    span
}

/// Whether a matcher selects every untagged image, and every tagged image.
/// `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`.
fn is_role_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, iam, region, account, resource] = parts.as_slice() else {
        return false;
    };
    *arn == "arn"
        && partition.starts_with("aws")
        && *iam == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource
            .strip_prefix("role/")
            .is_some_and(|name| !name.is_empty() && !name.ends_with('/'))
}
