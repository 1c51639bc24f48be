//! `import` then `compile` gives back exactly the applied policy, for every example policy of
//! the AWS page "Examples of lifecycle policies in Amazon ECR", archive examples included.

mod common;

use ecr_lifecycle_compiler::dsl;
use ecr_lifecycle_compiler::import::to_dsl;
use ecr_lifecycle_compiler::native::LifecyclePolicy;
use ecr_lifecycle_compiler::source::SourceFile;
use ecr_lifecycle_compiler::split;

fn canonical(mut p: LifecyclePolicy) -> String {
    p.rules.sort_by_key(|r| r.rule_priority);
    p.to_json_pretty()
}

#[test]
fn every_example_round_trips() {
    let mut examples = common::standard_storage_examples();
    assert_eq!(examples.len(), 10);
    examples.extend(common::archive_examples());
    assert_eq!(examples.len(), 14);
    for (name, text) in examples {
        let applied = LifecyclePolicy::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let yaml = to_dsl(&applied, &["web".to_string()]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let file = SourceFile::new("imported.yaml", yaml.clone());
        let policy = dsl::parse(&file).unwrap_or_else(|e| panic!("{name}: {e:#?}\n{yaml}"));
        let compiled = split::compile(&policy);
        assert!(
            compiled.warnings.is_empty(),
            "{name}: {:?}",
            compiled.warnings
        );
        let native = compiled.native.expect("a native policy").into_policy();
        assert_eq!(canonical(native), canonical(applied), "{name}:\n{yaml}");
    }
}

#[test]
fn archive_rules_the_language_cannot_say_are_refused_with_a_reason() {
    let tagged = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["v*"],"storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":90},"action":{"type":"expire"}}]}"#;
    let err = to_dsl(
        &LifecyclePolicy::from_json(tagged).unwrap(),
        &["web".into()],
    )
    .unwrap_err();
    assert!(err.contains("every archived image"), "{err}");
}

#[test]
fn an_imported_archive_policy_reads_as_archive_rules() {
    let yaml = to_dsl(
        &LifecyclePolicy::from_json(common::ARCHIVE_THEN_EXPIRE).unwrap(),
        &["web".into()],
    )
    .unwrap();
    assert!(yaml.contains("archive:\n  expire_after: 365d\n"), "{yaml}");
    assert!(
        yaml.contains("    keep: { within: 30d }\n    otherwise: archive\n"),
        "{yaml}"
    );
}
