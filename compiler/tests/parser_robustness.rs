//! No input makes the parser panic, and every error it reports has a place in the file.

#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops at the first surprise"
)]

use ecr_lifecycle_compiler::source::SourceFile;
use proptest::prelude::*;
use serde_json::Value;

#[track_caller]
fn check(text: String) -> Result<(), TestCaseError> {
    let file = SourceFile::new("p.yaml", text);
    if let Err(errors) = ecr_lifecycle_compiler::parse(&file) {
        prop_assert!(!errors.is_empty());
        for e in &errors {
            let span = e.span;
            prop_assert!(span.is_some(), "error without a position: {e:?}");
            prop_assert!(span.unwrap().start as usize <= file.text.len());
            // Rendering must not panic either.
            prop_assert!(e.location(&file).starts_with("p.yaml"));
        }
    }
    Ok(())
}

/// Arbitrary JSON-like values; JSON is YAML, so these probe every key with every type.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-z*?_.\\-]{0,8}".prop_map(Value::String),
        prop::sample::select(vec![
            "any",
            "all",
            "none",
            "14d",
            "v*",
            "1",
            "true",
            "90d",
            "2147483647d",
            "ecr"
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        let key = prop::sample::select(vec![
            "version",
            "repositories",
            "exclude",
            "rules",
            "name",
            "match",
            "keep",
            "tags",
            "tags_all",
            "untagged",
            "tag_regex",
            "where",
            "newest",
            "within",
            "pulled_within",
            "anchor",
            "oldest_tagged",
            "at_least",
            "description",
            "archive",
            "expire_after",
            "priority",
            "tag_prefixes",
            "bogus",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..5).prop_map(|m| Value::Object(
                m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        check(text)?;
    }

    #[test]
    fn yaml_like_text_never_panics(text in "[a-z:\\-\\[\\]{}, \n'\"*&!|>#0-9]{0,200}") {
        check(text)?;
    }

    #[test]
    fn arbitrary_values_never_panic(v in value()) {
        check(serde_json::to_string_pretty(&v).unwrap())?;
    }

    #[test]
    fn policy_shaped_values_never_panic(
        rules in prop::collection::vec(value(), 0..4),
        version in value(),
        archive in value(),
        archive_rules in prop::collection::vec(value(), 0..4),
        ecr in any::<bool>(),
    ) {
        let doc = serde_json::json!({"version": version, "rules": rules});
        check(serde_json::to_string(&doc).unwrap())?;
        let doc = serde_json::json!({"version": 1, "rules": rules});
        check(serde_json::to_string(&doc).unwrap())?;
        let evaluation = if ecr { "ecr" } else { "first-match" };
        let doc = serde_json::json!({"version": 1, "evaluation": evaluation, "rules": rules, "archive": archive});
        check(serde_json::to_string(&doc).unwrap())?;
        let doc = serde_json::json!({
            "version": 1, "evaluation": evaluation, "rules": rules,
            "archive": {"expire_after": "90d", "rules": archive_rules},
        });
        check(serde_json::to_string(&doc).unwrap())?;
    }
}
