//! The JSON document `PutLifecyclePolicy` accepts, as Rust types.
//!
//! The model holds anything of the right shape, valid or not, so that the validator can say
//! what is wrong in ECR's terms (numbers are `i64` so a `0` or `-1` reaches the validator
//! instead of failing in serde). Reading is strict: unknown members, duplicate members and
//! `null` are errors, because ECR refuses them too. Writing is minimal and stable: absent
//! members are left out and keys come in the order of the AWS documentation.

use serde::{Deserialize, Deserializer, Serialize};

use super::error::NativeError;

/// A whole lifecycle policy: `{"rules": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecyclePolicy {
    pub rules: Vec<NativeRule>,
}

/// One rule: which images it selects and what it does to those it marks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NativeRule {
    pub rule_priority: i64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub description: Option<String>,
    pub selection: Selection,
    pub action: Action,
}

/// The `selection` object: a tag filter, a storage class and a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Selection {
    pub tag_status: TagStatus,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub tag_pattern_list: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub tag_prefix_list: Option<Vec<String>>,
    /// `None` selects standard storage, as ECR does when the member is left out.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub storage_class: Option<StorageClass>,
    pub count_type: CountType,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub count_unit: Option<CountUnit>,
    pub count_number: i64,
}

/// The `action` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Action {
    #[serde(rename = "type")]
    pub action_type: ActionType,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub target_storage_class: Option<StorageClass>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagStatus {
    Tagged,
    Untagged,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CountType {
    ImageCountMoreThan,
    SinceImagePushed,
    SinceImagePulled,
    SinceImageTransitioned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CountUnit {
    Days,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum StorageClass {
    #[default]
    Standard,
    Archive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionType {
    Expire,
    Transition,
}

/// A count type with its number, for building selections in code: the `since*` forms get
/// `countUnit: days` automatically, `MoreThan` gets none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// `imageCountMoreThan N`: keep the N newest, mark the rest.
    MoreThan(i64),
    /// `sinceImagePushed N days`.
    PushedDaysAgo(i64),
    /// `sinceImagePulled N days` (only with a `transition` action).
    PulledDaysAgo(i64),
    /// `sinceImageTransitioned N days` (only on `storageClass: archive`, with `expire`).
    TransitionedDaysAgo(i64),
}

impl Count {
    pub fn count_type(self) -> CountType {
        match self {
            Count::MoreThan(_) => CountType::ImageCountMoreThan,
            Count::PushedDaysAgo(_) => CountType::SinceImagePushed,
            Count::PulledDaysAgo(_) => CountType::SinceImagePulled,
            Count::TransitionedDaysAgo(_) => CountType::SinceImageTransitioned,
        }
    }

    pub fn number(self) -> i64 {
        match self {
            Count::MoreThan(n)
            | Count::PushedDaysAgo(n)
            | Count::PulledDaysAgo(n)
            | Count::TransitionedDaysAgo(n) => n,
        }
    }
}

impl LifecyclePolicy {
    pub fn new(rules: Vec<NativeRule>) -> LifecyclePolicy {
        LifecyclePolicy { rules }
    }

    /// Reads policy text without checking ECR's rules (see `validate::parse_and_validate`).
    pub fn from_json(text: &str) -> Result<LifecyclePolicy, NativeError> {
        serde_json::from_str(text).map_err(|e| NativeError::from_json(&e))
    }

    /// The policy as ECR documents it: 2-space indent, keys in the documented order, no
    /// nulls, no trailing newline. Equal policies always give the same text.
    pub fn to_json_pretty(&self) -> String {
        // Serializing plain strings, integers and unit enums cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The same document on one line, the shortest text ECR would accept for it.
    pub fn to_json_compact(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl NativeRule {
    pub fn new(rule_priority: i64, selection: Selection, action: Action) -> NativeRule {
        NativeRule {
            rule_priority,
            description: None,
            selection,
            action,
        }
    }

    pub fn with_description(mut self, description: impl Into<String>) -> NativeRule {
        self.description = Some(description.into());
        self
    }

    /// The storage class the rule selects (`standard` when the member is absent).
    pub fn storage_class(&self) -> StorageClass {
        self.selection.storage_class.unwrap_or_default()
    }
}

impl Selection {
    /// A selection with no tag list and no storage class.
    pub fn new(tag_status: TagStatus, count: Count) -> Selection {
        let count_type = count.count_type();
        Selection {
            tag_status,
            tag_pattern_list: None,
            tag_prefix_list: None,
            storage_class: None,
            count_type,
            count_unit: (count_type != CountType::ImageCountMoreThan).then_some(CountUnit::Days),
            count_number: count.number(),
        }
    }

    /// Every image of the storage class.
    pub fn any(count: Count) -> Selection {
        Selection::new(TagStatus::Any, count)
    }

    /// Images with no tag.
    pub fn untagged(count: Count) -> Selection {
        Selection::new(TagStatus::Untagged, count)
    }

    /// Tagged images where every pattern (`*` wildcards) matches one of the image's tags.
    pub fn tagged_patterns<S: Into<String>>(
        patterns: impl IntoIterator<Item = S>,
        count: Count,
    ) -> Selection {
        Selection {
            tag_pattern_list: Some(patterns.into_iter().map(Into::into).collect()),
            ..Selection::new(TagStatus::Tagged, count)
        }
    }

    /// Tagged images where every prefix starts one of the image's tags.
    pub fn tagged_prefixes<S: Into<String>>(
        prefixes: impl IntoIterator<Item = S>,
        count: Count,
    ) -> Selection {
        Selection {
            tag_prefix_list: Some(prefixes.into_iter().map(Into::into).collect()),
            ..Selection::new(TagStatus::Tagged, count)
        }
    }

    /// Selects archived images instead of standard ones.
    pub fn in_archive(mut self) -> Selection {
        self.storage_class = Some(StorageClass::Archive);
        self
    }
}

impl Action {
    pub fn expire() -> Action {
        Action {
            action_type: ActionType::Expire,
            target_storage_class: None,
        }
    }

    pub fn transition_to_archive() -> Action {
        Action {
            action_type: ActionType::Transition,
            target_storage_class: Some(StorageClass::Archive),
        }
    }
}

impl TagStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TagStatus::Tagged => "tagged",
            TagStatus::Untagged => "untagged",
            TagStatus::Any => "any",
        }
    }
}

impl CountType {
    pub fn as_str(self) -> &'static str {
        match self {
            CountType::ImageCountMoreThan => "imageCountMoreThan",
            CountType::SinceImagePushed => "sinceImagePushed",
            CountType::SinceImagePulled => "sinceImagePulled",
            CountType::SinceImageTransitioned => "sinceImageTransitioned",
        }
    }

    /// The count types measured in days (`countUnit` required), as opposed to a count of images.
    pub fn is_age(self) -> bool {
        self != CountType::ImageCountMoreThan
    }
}

impl StorageClass {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageClass::Standard => "standard",
            StorageClass::Archive => "archive",
        }
    }
}

impl ActionType {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionType::Expire => "expire",
            ActionType::Transition => "transition",
        }
    }
}

/// Reads an optional member that, when present, must not be `null`: serde's default for
/// `Option` would quietly read `null` as absent, and ECR refuses nulls.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}
