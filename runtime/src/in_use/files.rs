//! Listing files: what `kubectl get pods -A -o json` prints (or any Kubernetes object or list:
//! deployments, cron jobs), or a JSON array of image references.

use serde_json::Value;

use super::{Source, Usage};

/// Reads one listing file's text; `name` is how plans name it.
pub fn parse(text: &str, name: &str) -> Result<Usage, String> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| format!("{name}:{}:{}: not JSON: {e}", e.line(), e.column()))?;
    let source = Source::File(name.to_string());
    let mut usage = Usage::default();
    match &value {
        Value::Array(items) if items.iter().all(Value::is_string) => {
            let consumer = format!("file {name}");
            for item in items.iter().filter_map(Value::as_str) {
                usage.add(item, &consumer, &source);
            }
        }
        Value::Object(map) if map.contains_key("items") || map.contains_key("kind") => {
            walk(&value, None, &source, &mut usage);
        }
        _ => {
            return Err(format!(
                "{name}: expected the output of `kubectl get … -o json` (an object with `items`) or a JSON array of image references"
            ));
        }
    }
    Ok(usage)
}

/// Collects `image` and `imageID` strings, each named by the nearest Kubernetes object around
/// it (`kubernetes pod NAMESPACE/NAME`).
fn walk(value: &Value, owner: Option<&str>, source: &Source, usage: &mut Usage) {
    match value {
        Value::Object(map) => {
            let named = object_name(map);
            let owner = named.as_deref().or(owner);
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("image" | "imageID", Value::String(s)) if !s.is_empty() => {
                        let consumer = owner.unwrap_or("kubernetes object");
                        // A pod's `imageID` may carry the runtime's scheme.
                        let s = s
                            .strip_prefix("docker-pullable://")
                            .or_else(|| s.strip_prefix("docker://"))
                            .unwrap_or(s);
                        usage.add(s, consumer, source);
                    }
                    _ => walk(v, owner, source, usage),
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                walk(v, owner, source, usage);
            }
        }
        _ => {}
    }
}

fn object_name(map: &serde_json::Map<String, Value>) -> Option<String> {
    let kind = map.get("kind")?.as_str()?;
    if kind == "List" || kind.ends_with("List") {
        return None;
    }
    let meta = map.get("metadata")?;
    let name = meta.get("name")?.as_str()?;
    let kind = kind.to_ascii_lowercase();
    Some(match meta.get("namespace").and_then(Value::as_str) {
        Some(ns) => format!("kubernetes {kind} {ns}/{name}"),
        None => format!("kubernetes {kind} {name}"),
    })
}
