//! The lifecycle policies of the AWS page "Examples of lifecycle policies in Amazon ECR",
//! shared by the simulator's example tests and the import round trip.
#![allow(dead_code, reason = "each test crate uses some of the examples")]

pub(crate) const IMAGE_AGE: &str = r#"{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Expire images older than 14 days",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["prod*"],
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 14
            },
            "action": {
                "type": "expire"
            }
        }
    ]
}"#;

pub(crate) const LAST_PULLED: &str = r#"{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Archive images not pulled in 90 days",
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
        }
    ]
}"#;

pub(crate) const ARCHIVE_TRANSITION_TIME: &str = r#"{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Expire images archived for more than 365 days",
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

pub(crate) const IMAGE_COUNT: &str = r#"{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Keep only one untagged image, expire all others",
            "selection": {
                "tagStatus": "untagged",
                "countType": "imageCountMoreThan",
                "countNumber": 1
            },
            "action": {
                "type": "expire"
            }
        }
    ]
}"#;

pub(crate) const ALL_IMAGES_A: &str = r#"{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Rule 1",
            "selection": {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countNumber": 1
            },
            "action": {
                "type": "expire"
            }
        }
    ]
}"#;

pub(crate) const ALL_IMAGES_B: &str = r#"{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Rule 1",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["alpha*"],
                "countType": "imageCountMoreThan",
                "countNumber": 1
            },
            "action": {
                "type": "expire"
            }
        },
        {
            "rulePriority": 2,
            "description": "Rule 2",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 1
            },
            "action": {
                "type": "expire"
            }
        },
        {
            "rulePriority": 3,
            "description": "Rule 3",
            "selection": {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countNumber": 1
            },
            "action": {
                "type": "expire"
            }
        }
    ]
}"#;

pub(crate) fn two_count_rules(list: &str, first: &str, second: &str) -> String {
    let rule = |priority: u8, entry: &str| {
        format!(
            r#"{{
            "rulePriority": {priority},
            "description": "Rule {priority}",
            "selection": {{
                "tagStatus": "tagged",
                "{list}": ["{entry}"],
                "countType": "imageCountMoreThan",
                "countNumber": 1
            }},
            "action": {{
                "type": "expire"
            }}
        }}"#
        )
    };
    format!(r#"{{"rules": [{}, {}]}}"#, rule(1, first), rule(2, second))
}

pub(crate) fn alpha_and_beta(count: &str) -> String {
    format!(
        r#"{{
    "rules": [
        {{
            "rulePriority": 1,
            "description": "Rule 1",
            "selection": {{
                "tagStatus": "tagged",
                "tagPatternList": ["alpha*", "beta*"],
                {count}
            }},
            "action": {{
                "type": "expire"
            }}
        }}
    ]
}}"#
    )
}

/// Every example policy that uses only standard storage, by name.
pub(crate) fn standard_storage_examples() -> Vec<(&'static str, String)> {
    vec![
        ("image age", IMAGE_AGE.to_string()),
        ("image count", IMAGE_COUNT.to_string()),
        (
            "multiple rules A",
            two_count_rules("tagPatternList", "prod*", "beta*"),
        ),
        (
            "multiple rules A, prefix lists",
            two_count_rules("tagPrefixList", "prod", "beta"),
        ),
        (
            "multiple rules B",
            two_count_rules("tagPatternList", "beta*", "prod*"),
        ),
        (
            "multiple rules B, prefix lists",
            two_count_rules("tagPrefixList", "beta", "prod"),
        ),
        (
            "multiple tags A",
            alpha_and_beta(
                r#""countType": "sinceImagePushed", "countNumber": 5, "countUnit": "days""#,
            ),
        ),
        (
            "multiple tags B",
            alpha_and_beta(r#""countType": "imageCountMoreThan", "countNumber": 1"#),
        ),
        ("all images A", ALL_IMAGES_A.to_string()),
        ("all images B", ALL_IMAGES_B.to_string()),
    ]
}

pub(crate) const ARCHIVE_OLDER_THAN: &str = r#"{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Archive production images older than 30 days",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["prod*"],
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 30
            },
            "action": {
                "type": "transition",
                "targetStorageClass": "archive"
            }
        }
    ]
}"#;

pub(crate) const ARCHIVE_THEN_EXPIRE: &str = r#"{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Archive images older than 30 days",
            "selection": {
                "tagStatus": "any",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 30
            },
            "action": {
                "type": "transition",
                "targetStorageClass": "archive"
            }
        },
        {
            "rulePriority": 2,
            "description": "Expire images archived for more than 365 days",
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

/// The examples of the page that archive images or act on archived ones.
pub(crate) fn archive_examples() -> Vec<(&'static str, String)> {
    vec![
        ("last pulled time", LAST_PULLED.to_string()),
        (
            "archive transition time",
            ARCHIVE_TRANSITION_TIME.to_string(),
        ),
        ("archiving by age", ARCHIVE_OLDER_THAN.to_string()),
        ("archive and expire", ARCHIVE_THEN_EXPIRE.to_string()),
    ]
}
