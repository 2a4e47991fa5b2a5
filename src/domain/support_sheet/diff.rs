//! Which fields changed between two versions of a sheet. Contacts are matched by their
//! `key` and scenarios by their `kind`, so adding a contact at the top shows as one
//! added contact, not as every contact below it changed; other lists by position.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::Sections;

/// One changed field: its path (`network[clinic].phone`, `schedule[0].time`), and its
/// value before and after (absent when the field or item was added or removed).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Change {
    pub path: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
}

/// Every leaf that differs between `a` and `b`, in the order of the sheet.
pub fn diff(a: &Sections, b: &Sections) -> Vec<Change> {
    let a = serde_json::to_value(a).unwrap_or(Value::Null);
    let b = serde_json::to_value(b).unwrap_or(Value::Null);
    let mut out = Vec::new();
    walk(String::new(), Some(&a), Some(&b), &mut out);
    out
}

/// The field an item of a list is known by, when every item has a distinct one.
fn identity(items: &[Value]) -> Option<&'static str> {
    ["key", "kind"].into_iter().find(|field| {
        let ids: Vec<&str> = items
            .iter()
            .filter_map(|v| v.get(*field).and_then(Value::as_str))
            .collect();
        ids.len() == items.len() && {
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            sorted.dedup();
            sorted.len() == ids.len()
        }
    })
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

fn walk(path: String, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<Change>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            for (k, va) in x {
                walk(join(&path, k), Some(va), y.get(k), out);
            }
            for (k, vb) in y {
                if !x.contains_key(k) {
                    walk(join(&path, k), None, Some(vb), out);
                }
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            let field = match (x.is_empty(), y.is_empty()) {
                (true, _) => identity(y),
                (_, true) => identity(x),
                _ => identity(x).filter(|f| Some(*f) == identity(y)),
            };
            match field {
                Some(fx) => {
                    let id = |v: &Value| v.get(fx).and_then(Value::as_str).map(str::to_owned);
                    for va in x {
                        let key = id(va).unwrap_or_default();
                        let vb = y.iter().find(|v| id(v).as_deref() == Some(key.as_str()));
                        walk(format!("{path}[{key}]"), Some(va), vb, out);
                    }
                    for vb in y {
                        let key = id(vb).unwrap_or_default();
                        if !x.iter().any(|v| id(v).as_deref() == Some(key.as_str())) {
                            walk(format!("{path}[{key}]"), None, Some(vb), out);
                        }
                    }
                }
                None => {
                    for i in 0..x.len().max(y.len()) {
                        walk(format!("{path}[{i}]"), x.get(i), y.get(i), out);
                    }
                }
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(Change {
            path,
            before: a.filter(|v| !v.is_null()).cloned(),
            after: b.filter(|v| !v.is_null()).cloned(),
        }),
    }
}
