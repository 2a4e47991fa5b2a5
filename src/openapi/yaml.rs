//! YAML for the OpenAPI document. The generic serializer writes a string such as `on`,
//! `yes` or `no` unquoted, which YAML 1.2 reads as a string but YAML 1.1 (PyYAML, and so
//! openapi-spec-validator, openapi-python-client and Schemathesis) reads as a boolean:
//! the property `on` of a schema became `true` there. This writer quotes every string
//! that any YAML version could read as something else.

use serde_json::Value;
use std::fmt::Write;

/// The document's top-level keys in the order readers expect (the rest of the maps
/// come sorted, as `serde_json` keeps them).
const TOP_LEVEL: &[&str] = &["openapi", "info", "servers", "security", "tags", "paths"];

pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut out_map: Vec<(&String, &Value)> = TOP_LEVEL
                .iter()
                .filter_map(|k| map.get_key_value(*k))
                .collect();
            out_map.extend(map.iter().filter(|(k, _)| !TOP_LEVEL.contains(&k.as_str())));
            for (key, value) in out_map {
                let _ = write!(out, "{}:", scalar(key));
                write_value(&mut out, value, 0, 2);
            }
        }
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        other => {
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (key, value) in map {
        let _ = write!(out, "{:indent$}{}:", "", scalar(key));
        write_value(out, value, indent, indent + 2);
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        let _ = write!(out, "{:indent$}-", "");
        match item {
            // A map in a list starts on the dash's line: `- key: value`.
            Value::Object(map) if !map.is_empty() => {
                let mut nested = String::new();
                write_map(&mut nested, map, indent + 2);
                out.push(' ');
                out.push_str(&nested[indent + 2..]);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(out, inner, indent + 2);
            }
            _ => write_value(out, item, indent, indent + 2),
        }
    }
}

/// The rest of a line after `key:` or `-`: a scalar on the same line, or a block below.
/// A list under a key sits at the key's own indentation, as the usual style has it.
fn write_value(out: &mut String, value: &Value, indent: usize, nested: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, nested);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, indent);
        }
        Value::String(s) if is_block(s) => {
            out.push_str(" |-\n");
            for line in s.split('\n') {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "{:nested$}{line}", "");
                }
            }
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

fn inline(value: &Value) -> String {
    match value {
        Value::String(s) => scalar(s),
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
        other => other.to_string(),
    }
}

/// A multi-line text reads best as a literal block; only when every line survives it
/// unchanged (no trailing blanks, no tabs, no leading blank on the first line).
fn is_block(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\n'])
        && !s.ends_with('\n')
        && !s.contains('\t')
        && !s.contains('\r')
        && s.split('\n').all(|l| !l.ends_with(' '))
}

/// A string plain when nothing can misread it, else double-quoted (a JSON string is a
/// valid YAML double-quoted scalar).
fn scalar(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_owned()
    } else {
        Value::String(s.to_owned()).to_string()
    }
}

fn is_plain_safe(s: &str) -> bool {
    const RESERVED: &[&str] = &[
        "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", "=", "<<",
    ];
    let Some(first) = s.chars().next() else {
        return false;
    };
    if RESERVED.contains(&s.to_ascii_lowercase().as_str()) {
        return false;
    }
    // Anything that starts like a number, a date or a time (`1`, `.5`, `-3`, `0x1F`,
    // `2026-12-07`, `12:30`) is quoted rather than judged by each YAML version's rules.
    // A version such as `3.1.0` (two dots) reads as a string everywhere.
    let is_version = s.split('.').count() == 3
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if (first.is_ascii_digit() || matches!(first, '.' | '-' | '+')) && !is_version {
        return false;
    }
    let indicator = "!&*?|>'\"%@`#,[]{}:";
    if indicator.contains(first) || first == ' ' || s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    !s.contains(": ")
        && !s.contains(" #")
        && !s.contains('\n')
        && !s.contains('\t')
        && s.chars().all(|c| !c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: &Value) -> Value {
        let text = to_yaml(value);
        yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    #[test]
    fn words_yaml_1_1_reads_as_booleans_or_numbers_are_quoted() {
        for word in [
            "on",
            "On",
            "off",
            "yes",
            "no",
            "y",
            "N",
            "true",
            "null",
            "~",
            "1",
            "1.5",
            ".5",
            "-1",
            "0x1F",
            "1e3",
            "2026-12-07",
            "12:30",
            "",
            " lead",
            "trail ",
            "#x",
            "a: b",
            "a #b",
            "- x",
            "*ref",
            "&anchor",
            "!tag",
            "%x",
            "@x",
            "`x",
            "{x}",
            "[x]",
        ] {
            let text = to_yaml(&json!({ "k": word, "list": [word] }));
            assert!(
                text.contains(&format!("k: {}", serde_json::to_string(word).unwrap())),
                "{word:?} left plain:\n{text}"
            );
        }
    }

    #[test]
    fn documents_survive_a_round_trip() {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "住まいリンク", "description": "line one\nline two\n\nafter a blank", "version": "0.1.0"},
            "empty_map": {}, "empty_list": [], "number": 12.5, "flag": true, "nothing": null,
            "required": ["on", "kind", "yes"],
            "nested": [{"name": "on", "in": "query", "schema": {"type": ["string", "null"]}}, [1, [2]], "x"],
            "paths": {"/api/v1/clients/{id}": {"get": {"operationId": "clients_read"}}},
            "trailing": "ends with a blank line\n", "tabbed": "a\tb\nc", "crlf": "a\r\nb"
        });
        assert_eq!(round_trip(&doc), doc);
    }

    #[test]
    fn the_document_starts_as_openapi_documents_do() {
        let text = to_yaml(
            &json!({"paths": {}, "components": {}, "info": {"version": "0.1.0"}, "openapi": "3.1.0"}),
        );
        assert!(
            text.starts_with(
                "openapi: 3.1.0\ninfo:\n  version: 0.1.0\npaths: {}\ncomponents: {}\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn keys_that_read_as_booleans_are_quoted() {
        let text = to_yaml(&json!({"on": {"type": "string"}, "kind": 1}));
        assert!(text.contains("\"on\":\n  type: string\n"), "{text}");
        assert!(text.contains("kind: 1\n"), "{text}");
    }
}
