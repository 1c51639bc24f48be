use crate::native::{
    Action, ActionType, Count, CountType, CountUnit, LifecyclePolicy, NativeErrorKind, NativeRule,
    Selection, StorageClass, TagStatus,
};

fn two_rules() -> LifecyclePolicy {
    LifecyclePolicy::new(vec![
        NativeRule::new(
            1,
            Selection::tagged_patterns(["prod*"], Count::MoreThan(5)),
            Action::expire(),
        )
        .with_description("keep five releases"),
        NativeRule::new(
            2,
            Selection::any(Count::PulledDaysAgo(90)),
            Action::transition_to_archive(),
        ),
        NativeRule::new(
            3,
            Selection::any(Count::TransitionedDaysAgo(365)).in_archive(),
            Action::expire(),
        ),
    ])
}

#[test]
fn writes_keys_in_documented_order_without_absent_members() {
    let expected = r#"{
  "rules": [
    {
      "rulePriority": 1,
      "description": "keep five releases",
      "selection": {
        "tagStatus": "tagged",
        "tagPatternList": [
          "prod*"
        ],
        "countType": "imageCountMoreThan",
        "countNumber": 5
      },
      "action": {
        "type": "expire"
      }
    },
    {
      "rulePriority": 2,
      "selection": {
        "tagStatus": "any",
        "countType": "sinceImagePulled",
        "countUnit": "days",
        "countNumber": 90
      },
      "action": {
        "type": "transition",
        "targetStorageClass": "archive"
      }
    },
    {
      "rulePriority": 3,
      "selection": {
        "tagStatus": "any",
        "storageClass": "archive",
        "countType": "sinceImageTransitioned",
        "countUnit": "days",
        "countNumber": 365
      },
      "action": {
        "type": "expire"
      }
    }
  ]
}"#;
    assert_eq!(two_rules().to_json_pretty(), expected);
    assert!(!two_rules().to_json_compact().contains("null"));
}

#[test]
fn text_round_trips() {
    let policy = two_rules();
    let back = LifecyclePolicy::from_json(&policy.to_json_pretty()).unwrap();
    assert_eq!(back, policy);
    let back = LifecyclePolicy::from_json(&policy.to_json_compact()).unwrap();
    assert_eq!(back, policy);
}

#[test]
fn builders_fill_count_unit_only_for_ages() {
    let count = Selection::untagged(Count::MoreThan(1));
    assert_eq!(count.count_type, CountType::ImageCountMoreThan);
    assert_eq!(count.count_unit, None);
    let age = Selection::tagged_prefixes(["v"], Count::PushedDaysAgo(14));
    assert_eq!(age.count_unit, Some(CountUnit::Days));
    assert_eq!(age.tag_status, TagStatus::Tagged);
    assert_eq!(age.tag_prefix_list, Some(vec!["v".to_string()]));
    let archived = Selection::any(Count::TransitionedDaysAgo(90)).in_archive();
    assert_eq!(archived.storage_class, Some(StorageClass::Archive));
    assert_eq!(
        Action::transition_to_archive().action_type,
        ActionType::Transition
    );
}

#[test]
fn explicit_standard_storage_class_is_kept() {
    let text = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","storageClass":"standard","countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#;
    let policy = LifecyclePolicy::from_json(text).unwrap();
    assert_eq!(
        policy.rules[0].selection.storage_class,
        Some(StorageClass::Standard)
    );
    assert_eq!(policy.to_json_compact(), text);
}

#[test]
fn refuses_nulls_unknown_and_duplicate_members_with_positions() {
    let null = "{\"rules\":[{\"rulePriority\":1,\n\"description\":null,\"selection\":{\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1},\"action\":{\"type\":\"expire\"}}]}";
    let err = LifecyclePolicy::from_json(null).unwrap_err();
    assert_eq!(err.kind, NativeErrorKind::Null);
    assert_eq!(err.position.map(|p| p.line), Some(2));

    let null_in_list = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":[null],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#;
    let err = LifecyclePolicy::from_json(null_in_list).unwrap_err();
    assert_eq!(err.kind, NativeErrorKind::Null);

    let unknown = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1,"tagList":["x"]},"action":{"type":"expire"}}]}"#;
    let err = LifecyclePolicy::from_json(unknown).unwrap_err();
    assert!(err.to_string().contains("unknown field `tagList`"), "{err}");
    assert!(err.position.is_some());

    let twice = r#"{"rules":[{"rulePriority":1,"rulePriority":2,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#;
    let err = LifecyclePolicy::from_json(twice).unwrap_err();
    assert!(err.to_string().contains("duplicate field"), "{err}");
}

#[test]
fn syntax_errors_give_line_and_column() {
    // The AWS page itself once printed a rule without the comma after `rulePriority`.
    let text =
        "{\n  \"rules\": [\n    {\n      \"rulePriority\": 1\n      \"description\": \"Rule 1\"";
    let err = LifecyclePolicy::from_json(text).unwrap_err();
    let pos = err.position.unwrap();
    assert_eq!((pos.line, pos.column), (5, 7));
    assert!(err.to_string().starts_with("5:7: "), "{err}");
}

#[test]
fn numbers_out_of_range_or_fractional_are_type_errors() {
    for bad in ["1.5", "99999999999999999999", "\"1\""] {
        let text = format!(
            r#"{{"rules":[{{"rulePriority":{bad},"selection":{{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1}},"action":{{"type":"expire"}}}}]}}"#
        );
        let err = LifecyclePolicy::from_json(&text).unwrap_err();
        assert!(
            matches!(err.kind, NativeErrorKind::Syntax { .. }),
            "{bad}: {err}"
        );
    }
    // Zero and negative numbers are well-formed: the validator explains them.
    let text = r#"{"rules":[{"rulePriority":-3,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":0},"action":{"type":"expire"}}]}"#;
    let policy = LifecyclePolicy::from_json(text).unwrap();
    assert_eq!(policy.rules[0].rule_priority, -3);
    assert_eq!(policy.rules[0].selection.count_number, 0);
}
