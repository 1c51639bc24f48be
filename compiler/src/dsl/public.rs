//! What a policy may say for Amazon ECR Public (DESIGN.md §5.1). ECR Public keeps no pull
//! times and has no archive class, so the parts of a policy that need either are refused at
//! their place: whether the file says `registry: ecr-public` or `--registry ecr-public` names
//! it at run time, this is the one check.

use crate::diagnostic::Diagnostic;
use crate::dsl::policy::{Keep, Otherwise, Policy};
use crate::source::Span;

/// The region ECR Public's API is served in, whatever else is configured.
pub const REGION: &str = "us-east-1";

/// Every part of `policy` ECR Public cannot carry out, in the order of the file.
pub fn refusals(policy: &Policy) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rule in &policy.rules {
        if let Keep::Retain(r) = &*rule.keep
            && let Some(p) = &r.pulled_within
        {
            out.push(
                Diagnostic::error(
                    format!(
                        "rule `{}`: ECR Public does not record when an image was pulled",
                        rule.name.as_str()
                    ),
                    p.span,
                )
                .with_label("`pulled_within` needs pull times")
                .with_help("keep by push time (`within`) or by count (`newest`)"),
            );
        }
        if rule.otherwise == Otherwise::Untag {
            // Whether ECR Public's BatchDeleteImage removes only the tag of a digest-and-tag
            // id, as ECR does, is not documented: nothing is removed on a guess.
            out.push(
                Diagnostic::error(
                    format!(
                        "rule `{}`: tags are not removed on ECR Public",
                        rule.name.as_str()
                    ),
                    rule.otherwise_at.unwrap_or(rule.span),
                )
                .with_label("removes tags the rule names")
                .with_help("use `otherwise: expire` (the default): the images are then deleted"),
            );
        }
        if rule.otherwise == Otherwise::Archive {
            out.push(
                Diagnostic::error(
                    format!(
                        "rule `{}`: ECR Public has no archive storage class",
                        rule.name.as_str()
                    ),
                    rule.otherwise_at.unwrap_or(rule.span),
                )
                .with_label("archives what the rule does not keep")
                .with_help("remove `otherwise: archive`: the images are then deleted"),
            );
        }
    }
    if let Some(a) = &policy.archive {
        out.push(
            Diagnostic::error("ECR Public has no archive storage class", a.span)
                .with_label("`archive` governs archived images, which ECR Public never holds")
                .with_help("remove the `archive` section"),
        );
    }
    out.sort_by_key(|d| d.span.map_or(u32::MAX, |s| s.start));
    out
}

/// `regions` in a file for ECR Public, whose API is served in us-east-1 only.
pub(crate) fn regions_refused(span: Span) -> Diagnostic {
    Diagnostic::error(format!("ECR Public is served in {REGION} only"), span)
        .with_label("`regions` names registries of private ECR")
        .with_help("remove `regions`: an ECR Public file governs the account's public registry")
}

#[cfg(test)]
mod tests {
    use crate::source::SourceFile;

    fn errors(text: &str) -> Vec<String> {
        let file = SourceFile::new("p.yaml", text);
        match crate::dsl::parse(&file) {
            Ok(_) => Vec::new(),
            Err(e) => e
                .iter()
                .map(|d| format!("{}@{}", d.message, &text[d.span.unwrap().range()]))
                .collect(),
        }
    }

    const RULES: &str = "rules:
  - name: hot
    match: { tags: ['v*'] }
    keep: { pulled_within: 30d, newest: 3 }
  - name: cold
    match: any
    keep: { within: 90d }
    otherwise: archive
archive: { expire_after: 365d }
";

    #[test]
    fn what_ecr_public_lacks_is_refused_at_its_place() {
        let public = format!("version: 1\nregistry: ecr-public\n{RULES}");
        let got = errors(&public);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(
            got[0].starts_with("rule `hot`: ECR Public does not record")
                && got[0].ends_with("@30d")
        );
        assert!(
            got[1].starts_with("rule `cold`: ECR Public has no archive")
                && got[1].ends_with("@archive")
        );
        // A mapping's span is its opening brace.
        assert_eq!(got[2], "ECR Public has no archive storage class@{");
        // The same file for private ECR is fine.
        assert_eq!(
            errors(&format!("version: 1\nregistry: ecr\n{RULES}")),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(&format!("version: 1\n{RULES}")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn untag_is_refused_for_ecr_public() {
        let rules = "rules:\n  - { name: prs, match: { tags: ['pr-*'] }, keep: { within: 30d }, otherwise: untag }\n";
        let got = errors(&format!("version: 1\nregistry: ecr-public\n{rules}"));
        assert_eq!(
            got,
            ["rule `prs`: tags are not removed on ECR Public@untag"]
        );
        assert_eq!(
            errors(&format!("version: 1\n{rules}")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn regions_are_refused_for_ecr_public() {
        let got = errors(
            "version: 1\nregistry: ecr-public\nregions: [eu-west-1]\nrules:\n  - { name: a, match: any, keep: { newest: 3 } }\n",
        );
        // A sequence's span is its opening bracket.
        assert_eq!(got, ["ECR Public is served in us-east-1 only@["]);
    }

    #[test]
    fn the_registry_is_read_as_written() {
        use crate::dsl::policy::RegistryKind;
        let read = |r: &str| {
            let text = format!(
                "version: 1\n{r}rules:\n  - {{ name: a, match: any, keep: {{ newest: 3 }} }}\n"
            );
            crate::dsl::parse(&SourceFile::new("p.yaml", &text))
                .unwrap()
                .registry
                .map(|r| r.value)
        };
        assert_eq!(read(""), None);
        assert_eq!(read("registry: ecr\n"), Some(RegistryKind::Ecr));
        assert_eq!(
            read("registry: ecr-public\n"),
            Some(RegistryKind::EcrPublic)
        );
    }
}
