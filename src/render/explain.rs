//! An explanation of one image in words: as text, and as the JSON `explain --format json`
//! prints (the same sentences, one field each).

use ecr_lifecycle_compiler::image::iso;
use ecr_lifecycle_compiler::reference::{Fate, Reason};
use ecr_lifecycle_runtime::explain::{Ecr, Explanation, NativeAct, Runner, Why};
use serde::Serialize;

use super::{bytes, words};

/// The JSON form: the explanation's facts, and its decisions as sentences.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct View<'a> {
    repository: &'a str,
    digest: String,
    tags: Vec<String>,
    pushed_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_file: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    default_policy: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_location: Option<&'a str>,
    /// `keep`, `expire` or `archive`.
    fate: &'static str,
    #[serde(skip_serializing_if = "none")]
    untag: &'a [String],
    reason: String,
    ecr: String,
    runner: String,
}

fn none(tags: &&[String]) -> bool {
    tags.is_empty()
}

fn view(e: &Explanation) -> View<'_> {
    View {
        repository: &e.repository,
        digest: e.image.digest.to_string(),
        tags: e.image.tags.iter().map(|t| t.to_string()).collect(),
        pushed_at: iso(e.image.pushed_at),
        size_bytes: e.image.size_bytes,
        policy_file: e.policy_file.as_deref(),
        default_policy: e.default_policy,
        rule: e.rule.as_deref(),
        rule_location: e.rule_location.as_deref(),
        fate: e.fate.as_str(),
        untag: &e.untag,
        reason: reason(e),
        ecr: ecr(&e.ecr),
        runner: runner(e),
    }
}

/// The explanation as pretty JSON, ending in a newline.
pub(crate) fn json(e: &Explanation) -> String {
    let mut s = serde_json::to_string_pretty(&view(e)).unwrap_or_default();
    s.push('\n');
    s
}

fn reason(e: &Explanation) -> String {
    match &e.why {
        Why::Decided(Reason::Ungoverned) => "no rule matches it, so it is kept".to_string(),
        Why::Decided(r) if e.fate == Fate::Expire && !e.untag.is_empty() => {
            format!("{}; {}", words::last_tags(&e.untag), words::reason(r))
        }
        Why::Decided(r) => words::reason(r),
        Why::NoPolicyFile {
            native_applied: true,
        } => "no policy file governs this repository: its applied native policy decides".into(),
        Why::NoPolicyFile {
            native_applied: false,
        } => "no policy file governs this repository, and no native policy is applied".into(),
    }
}

fn verb(f: Fate) -> &'static str {
    if f == Fate::Expire {
        "expires"
    } else {
        "archives"
    }
}

fn ecr(e: &Ecr) -> String {
    match e {
        Ecr::NoLifecyclePolicies => "nothing: ECR Public has no lifecycle policies".into(),
        Ecr::NoNativePolicy => {
            "no native policy governs this repository, so ECR does nothing".into()
        }
        Ecr::Native(act) => native_act(act),
        Ecr::Applied(act) => format!("the applied native policy: {}", native_act(act)),
        Ecr::AppliedInvalid => {
            "the applied native policy is not one ECR would run, so ECR does nothing".into()
        }
        Ecr::NoneApplied => {
            "no native policy is applied to this repository, so ECR does nothing".into()
        }
    }
}

fn native_act(act: &NativeAct) -> String {
    match act {
        NativeAct::WithSubject { fate, subject } => {
            format!("{} it with its subject {subject}", verb(*fate))
        }
        NativeAct::Acts {
            fate,
            rule: Some(p),
        } => format!("native rule {p} {} it", verb(*fate)),
        NativeAct::Acts { fate, rule: None } => format!("{} it", verb(*fate)),
        NativeAct::KeptByIndex { rule, index } => format!(
            "native rule {rule} marks it, but ECR keeps it while the image index {index} lists it"
        ),
        NativeAct::GovernsAndKeeps { rule } => {
            format!("native rule {rule} governs it and keeps it")
        }
        NativeAct::NotSelected => "no native rule selects it".into(),
    }
}

fn runner(e: &Explanation) -> String {
    match e.runner {
        Runner::Keeps => "keeps it".into(),
        Runner::RemovesTags => words::removes_tags(&e.untag),
        Runner::LeavesToEcr(f) => format!("nothing: ECR {} it", verb(f)),
        Runner::Deletes => "deletes it (`plan` lists it, `apply` deletes it)".into(),
        Runner::Archives => "archives it (`plan` lists it, `apply` archives it)".into(),
        Runner::NoPolicyFile => "nothing: no policy file governs this repository".into(),
    }
}

/// The explanation as text.
pub(crate) fn text(e: &Explanation) -> String {
    let v = view(e);
    let tags = if v.tags.is_empty() {
        "untagged".to_string()
    } else {
        format!("tags {}", v.tags.join(", "))
    };
    let size = v
        .size_bytes
        .map(bytes)
        .map(|b| format!(", {b}"))
        .unwrap_or_default();
    let mut s = format!(
        "{}@{}\n  {tags}; pushed {}{size}\n",
        v.repository, v.digest, v.pushed_at
    );
    // A default file governs the repository only because no other file selects it: say so.
    let of_default =
        |f: &str| format!(" of {f}, the default file: no other file selects this repository");
    match (v.rule, v.policy_file) {
        (Some(r), file) => {
            let at = v
                .rule_location
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            let default = match file {
                Some(f) if v.default_policy => of_default(f),
                _ => String::new(),
            };
            s.push_str(&format!("  governed by rule `{r}`{at}{default}\n"));
        }
        (None, Some(f)) if v.default_policy => {
            s.push_str(&format!("  governed by no rule{}\n", of_default(f)))
        }
        (None, Some(f)) => s.push_str(&format!("  governed by no rule of {f}\n")),
        (None, None) => s.push_str("  governed by no policy file\n"),
    }
    let removed = match e.fate {
        Fate::Keep if !e.untag.is_empty() => format!(" without tags {}", e.untag.join(", ")),
        _ => String::new(),
    };
    s.push_str(&format!(
        "  {}{removed}: {}\n",
        match e.fate {
            Fate::Expire => "expires",
            Fate::Archive => "archived",
            Fate::Keep => "kept",
        },
        v.reason
    ));
    s.push_str(&format!("  ECR:    {}\n  runner: {}\n", v.ecr, v.runner));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecr_lifecycle_compiler::image::{Digest, Image};
    use jiff::Timestamp;

    fn explanation(ecr: Ecr, runner: Runner, why: Why) -> Explanation {
        let mut image = Image::new(Digest::from_bytes([1; 32]), &["v1"], Timestamp::UNIX_EPOCH);
        image.size_bytes = Some(2048);
        Explanation {
            repository: "web".into(),
            image,
            policy_file: None,
            default_policy: false,
            rule: None,
            rule_location: None,
            fate: Fate::Expire,
            untag: Vec::new(),
            why,
            ecr,
            runner,
        }
    }

    #[test]
    fn an_ungoverned_image_says_what_the_applied_policy_does() {
        let index = Digest::from_bytes([2; 32]);
        let e = explanation(
            Ecr::Applied(NativeAct::KeptByIndex { rule: 3, index }),
            Runner::NoPolicyFile,
            Why::NoPolicyFile {
                native_applied: true,
            },
        );
        let v: serde_json::Value = serde_json::from_str(&json(&e)).unwrap_or_default();
        assert_eq!(
            v,
            serde_json::json!({
                "repository": "web",
                "digest": Digest::from_bytes([1; 32]).to_string(),
                "tags": ["v1"],
                "pushedAt": "1970-01-01T00:00:00+00:00",
                "sizeBytes": 2048,
                "fate": "expire",
                "reason": "no policy file governs this repository: its applied native policy decides",
                "ecr": format!("the applied native policy: native rule 3 marks it, but ECR keeps it while the image index {index} lists it"),
                "runner": "nothing: no policy file governs this repository",
            })
        );
        assert!(
            text(&e).contains("\n  governed by no policy file\n  expires: no policy file"),
            "{}",
            text(&e)
        );
    }

    #[test]
    fn a_referrer_goes_with_its_subject_and_the_runner_leaves_it_to_ecr() {
        let subject = Digest::from_bytes([2; 32]);
        let mut e = explanation(
            Ecr::Native(NativeAct::WithSubject {
                fate: Fate::Expire,
                subject,
            }),
            Runner::LeavesToEcr(Fate::Expire),
            Why::Decided(Reason::FollowsSubject { subject }),
        );
        e.policy_file = Some("p.yaml".into());
        e.rule = Some("builds".into());
        e.rule_location = Some("p.yaml:4:11".into());
        let t = text(&e);
        assert!(
            t.contains("  governed by rule `builds` (p.yaml:4:11)\n"),
            "{t}"
        );
        assert!(
            t.ends_with(&format!(
                "  ECR:    expires it with its subject {subject}\n  runner: nothing: ECR expires it\n"
            )),
            "{t}"
        );
    }
}
