//! Examples for every JSON request and response body of the document, built from the
//! schemas: a value the schema names (`example`, `examples`, `const`, `default`, the
//! first of an `enum`) where it has one, else one that fits the type, format and bounds,
//! with realistic Japanese values for the properties this API uses. Redocly's
//! `no-invalid-media-type-examples` rule checks each against its schema in CI, so an
//! example cannot drift from the type it shows.

use serde_json::{Map, Value, json};

use crate::error::PROBLEM_TYPES;

/// How deep a sample follows nesting; the document's deepest body (a match's rental's
/// support housing's connections) is well within it. A schema that refers to itself
/// stops at the second visit instead.
const MAX_DEPTH: usize = 64;

pub fn add(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].clone();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            if let Some(content) = op
                .pointer_mut("/requestBody/content")
                .and_then(Value::as_object_mut)
            {
                fill(content, &schemas, None);
            }
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            for (status, response) in responses.iter_mut() {
                let status = status.parse::<u16>().ok();
                if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
                    fill(content, &schemas, status);
                }
            }
        }
    }
}

fn fill(content: &mut Map<String, Value>, schemas: &Value, status: Option<u16>) {
    for (media_type, body) in content.iter_mut() {
        if !media_type.ends_with("json")
            || body.get("example").is_some()
            || body.get("examples").is_some()
        {
            continue;
        }
        let Some(schema) = body.get("schema") else {
            continue;
        };
        let mut example = Sampler {
            schemas,
            following: Default::default(),
        }
        .sample(schema, None, 0);
        // A problem reads as the API writes it for this status; a schema that extends
        // Problem (the import's report) keeps its own fields beside.
        if let (Some(status), "application/problem+json", Value::Object(fields)) =
            (status, media_type.as_str(), &mut example)
            && let Value::Object(problem) = problem(status)
        {
            fields.extend(problem);
        }
        if let Some(body) = body.as_object_mut() {
            body.insert("example".into(), example);
        }
    }
}

/// A problem document as the API writes it for this status: the slug and title of the
/// first problem type with that status, and a detail such as the API gives.
fn problem(status: u16) -> Value {
    let slug = match status {
        400 => "invalid-parameter",
        409 => "conflict",
        _ => "",
    };
    let kind = PROBLEM_TYPES
        .iter()
        .find(|p| p.slug == slug)
        .or_else(|| PROBLEM_TYPES.iter().find(|p| p.status == status));
    let (slug, title) = kind.map_or(("internal", "Internal error"), |p| (p.slug, p.title));
    let (detail, errors) = match slug {
        "validation" => (
            "municipality_code: must be a 6-digit 全国地方公共団体コード",
            json!([{"field": "municipality_code", "message": "must be a 6-digit 全国地方公共団体コード"}]),
        ),
        "invalid-parameter" => (
            "limit must be between 1 and 200",
            json!([{"field": "limit", "message": "limit must be between 1 and 200"}]),
        ),
        "not-found" => ("no such resource, or you may not see it", json!([])),
        "unauthorized" => ("the access token is missing, invalid or expired", json!([])),
        "precondition-failed" => (
            "the resource was changed since it was read; read it again and retry",
            json!([]),
        ),
        "too-many-requests" => (
            "too many requests; retry after Retry-After seconds",
            json!([]),
        ),
        _ => (
            kind.map_or("an unexpected error", |p| p.description),
            json!([]),
        ),
    };
    json!({
        "type": format!("/problems/{slug}"),
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors,
    })
}

struct Sampler<'a> {
    schemas: &'a Value,
    /// The references being followed, to stop at a cycle.
    following: std::cell::RefCell<Vec<String>>,
}

impl Sampler<'_> {
    fn sample(&self, schema: &Value, property: Option<&str>, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        let Some(obj) = schema.as_object() else {
            return Value::Null;
        };
        if let Some(given) = obj
            .get("examples")
            .and_then(|e| e.as_array())
            .and_then(|e| e.first())
            .or_else(|| obj.get("example"))
            .or_else(|| obj.get("const"))
        {
            return given.clone();
        }
        if let Some(first) = obj
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return first.clone();
        }
        if let Some(default) = obj.get("default").filter(|d| !d.is_null()) {
            return default.clone();
        }
        if let Some(target) = obj.get("$ref").and_then(Value::as_str) {
            let name = target.trim_start_matches("#/components/schemas/");
            if self.following.borrow().iter().any(|n| n == name) {
                return Value::Null;
            }
            self.following.borrow_mut().push(name.to_owned());
            let value = self.sample(&self.schemas[name], property, depth + 1);
            self.following.borrow_mut().pop();
            return value;
        }
        if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
            let mut merged = Map::new();
            for part in all {
                match self.sample(part, property, depth + 1) {
                    Value::Object(map) => merged.extend(map),
                    other if all.len() == 1 => return other,
                    _ => {}
                }
            }
            return Value::Object(merged);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(variants) = obj.get(key).and_then(Value::as_array) {
                let chosen = variants
                    .iter()
                    .find(|v| v.get("type").and_then(Value::as_str) != Some("null"))
                    .or_else(|| variants.first());
                if let Some(chosen) = chosen {
                    return self.sample(chosen, property, depth + 1);
                }
            }
        }
        match schema_type(obj) {
            Some("object") => self.object(obj, depth),
            Some("array") => {
                let item = obj
                    .get("items")
                    .map(|items| self.sample(items, property, depth + 1))
                    .unwrap_or(Value::Null);
                let min = obj.get("minItems").and_then(Value::as_u64).unwrap_or(1);
                let max = obj
                    .get("maxItems")
                    .and_then(Value::as_u64)
                    .unwrap_or(u64::MAX);
                let count = min.max(1).min(max);
                Value::Array(vec![item; usize::try_from(count).unwrap_or(1)])
            }
            Some("integer") => json!(integer(obj, property)),
            Some("number") => json!(number(obj, property)),
            Some("boolean") => json!(boolean(property)),
            Some("string") => {
                let following = self.following.borrow();
                json!(string(obj, following.last().map(String::as_str), property))
            }
            Some("null") => Value::Null,
            _ if obj.contains_key("properties") => self.object(obj, depth),
            _ => json!({}),
        }
    }

    fn object(&self, obj: &Map<String, Value>, depth: usize) -> Value {
        let mut out = Map::new();
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (name, schema) in props {
                out.insert(name.clone(), self.sample(schema, Some(name), depth + 1));
            }
        }
        if out.is_empty()
            && let Some(values) = obj.get("additionalProperties").filter(|v| v.is_object())
        {
            let key = obj
                .get("propertyNames")
                .map(|names| self.sample(names, None, depth + 1))
                .and_then(|k| k.as_str().map(str::to_owned))
                .unwrap_or_else(|| "example".to_owned());
            out.insert(key, self.sample(values, None, depth + 1));
        }
        Value::Object(out)
    }
}

/// The first non-null type of `type: X` or `type: [X, "null"]`.
fn schema_type(obj: &Map<String, Value>) -> Option<&str> {
    match obj.get("type")? {
        Value::String(t) => Some(t),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .or(Some("null")),
        _ => None,
    }
}

fn bounded(obj: &Map<String, Value>, wanted: f64) -> f64 {
    let min = obj.get("minimum").and_then(Value::as_f64);
    let max = obj.get("maximum").and_then(Value::as_f64);
    let mut value = wanted;
    if let Some(min) = min {
        value = value.max(min);
    }
    if let Some(max) = max {
        value = value.min(max);
    }
    value
}

fn integer(obj: &Map<String, Value>, property: Option<&str>) -> i64 {
    let wanted = match property.unwrap_or_default() {
        "rent_yen" | "rent" | "max_rent_yen" | "deposit" | "deposit_yen" => 42_000.0,
        "management_fee_yen" | "common_fee_yen" | "common_fee" => 3_000.0,
        "max_monthly_total" => 46_000.0,
        "housing_allowance_limit" => 36_000.0,
        "rent_reduction_yen" => 4_000.0,
        "key_money" => 0.0,
        "floors_total" => 3.0,
        "unit_floor" => 1.0,
        "area_sqm" | "floor_area" => 25.0,
        "floor" => 2.0,
        "built_year" | "year" => 1998.0,
        "version" | "minutes_version" => 1.0,
        "status" => 200.0,
        "score" => 87.0,
        "units" => 1.0,
        "walk_minutes" | "minutes" => 8.0,
        "radius_m" => 2_000.0,
        "limit" => 50.0,
        _ => 1.0,
    };
    // Bounds are whole numbers in this document; the cast only drops a zero fraction.
    #[allow(clippy::cast_possible_truncation)]
    let value = bounded(obj, wanted).round() as i64;
    value
}

fn number(obj: &Map<String, Value>, property: Option<&str>) -> f64 {
    let wanted = match property.unwrap_or_default() {
        "lat" | "latitude" => 43.0621,
        "lon" | "lng" | "longitude" => 141.3544,
        "area_sqm" | "floor_area_m2" => 25.5,
        "min_area_m2" => 20.0,
        "distance_km" => 1.2,
        "distance_m" => 850.0,
        "rate" | "compliance_rate" => 0.75,
        _ => 1.0,
    };
    bounded(obj, wanted)
}

fn boolean(property: Option<&str>) -> bool {
    !matches!(
        property.unwrap_or_default(),
        "locked" | "revoked" | "is_removed" | "removed" | "replayed"
    )
}

fn string(obj: &Map<String, Value>, component: Option<&str>, property: Option<&str>) -> String {
    let property = property.unwrap_or_default();
    let named = component
        .and_then(|c| in_context(c, property))
        .unwrap_or_else(|| named_string(property));
    let is_date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok();
    let value = match obj.get("format").and_then(Value::as_str) {
        Some("uuid") => uuid_for(property),
        Some("date-time") if chrono::DateTime::parse_from_rfc3339(named).is_ok() => {
            named.to_owned()
        }
        Some("date-time") => "2026-12-07T10:30:00+09:00".to_owned(),
        Some("date") if is_date(named) => named.to_owned(),
        Some("date") => "2026-12-07".to_owned(),
        Some("email") => "office@demo.example".to_owned(),
        Some("uri" | "url") => "https://hooks.example.jp/sumai-link".to_owned(),
        _ => named.to_owned(),
    };
    let min = obj.get("minLength").and_then(Value::as_u64).unwrap_or(0);
    let mut value = value;
    while (value.chars().count() as u64) < min {
        value.push('x');
    }
    value
}

/// Where one property name means different things in different objects.
fn in_context(component: &str, property: &str) -> Option<&'static str> {
    Some(match (component, property) {
        ("ClientInput" | "ClientView" | "ClientSummary", "name") => "北海 太郎",
        ("ClientInput" | "ClientView" | "ClientSummary", "name_kana") => "ホッカイ タロウ",
        ("ClientInput" | "ClientView", "date_of_birth") => "1978-05-14",
        ("ClientInput" | "ClientView", "target_move_date") => "2027-03-31",
        ("NeedsInput" | "NeedsView", "municipalities") => "011002",
        ("NeedsInput" | "NeedsView", "preferred_layouts") => "1K",
        ("PlaceInput" | "PlaceView", "name") => "市立病院 精神科外来",
        ("RentalInput" | "RentalView", "accepted_categories") => "disability_mental",
        ("RentalInput" | "RentalView", "guarantee_companies") => "すまいサポート札幌 家賃債務保証",
        ("RentalInput" | "RentalView", "photos") => {
            "https://photos.example.jp/yamada-heights/203.jpg"
        }
        ("RentalInput" | "RentalView", "notes") => "1階角部屋。最寄りのバス停まで徒歩3分。",
        ("NewConsent" | "ConsentView", "note") => "本人が同意書に署名(面談で説明済み)",
        ("NewConsent" | "ConsentView", "sheet_section") => "network",
        ("NewInquiry" | "InquiryView", "note") => "見守りは すまいサポート札幌 が週1回訪問します。",
        ("UserInput" | "NewUser" | "UserView", "display_name") => "佐藤 花子",
        ("SupportConnection", "name") => "すまいサポート札幌 見守り窓口",
        ("NewApiKey" | "ApiKeyView" | "CreatedApiKey", "name") => "ケース記録システム連携",
        _ => return None,
    })
}

/// A uuid per property name, so the same id reads the same across examples.
fn uuid_for(property: &str) -> String {
    let hash = property.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!(
        "0193f1c2-7a4e-7{:03x}-8{:03x}-{:012x}",
        hash & 0xfff,
        (hash >> 12) & 0xfff,
        hash >> 16 & 0xffff_ffff_ffff
    )
}

fn named_string(property: &str) -> &'static str {
    match property {
        "access_token" | "refresh_token" => "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl",
        "token_type" => "Bearer",
        "api_key" | "secret" => "sk_live_3f9a1c0e7b2d4e6f8a9b0c1d2e3f4a5b",
        "prefix" => "sk_live_3f9a",
        "email" | "contact_email" => "office@demo.example",
        "password" | "new_password" => "a-long-passphrase-2026",
        "current_password" => "demo-pass-2026",
        "display_name" | "person" | "contact" => "佐藤 花子",
        "name" | "organization_name" | "office_name" | "organization" => "相談支援事業所 ひだまり",
        "name_ja" | "label" | "title" => "見守りサービス",
        "name_kana" => "ソウダンシエンジギョウショ ヒダマリ",
        "display_code" | "client_display_code" => "HM-0001",
        "prefecture_code" => "01",
        "municipality_code" => "011002",
        "municipality_name" => "札幌市",
        "postal_code" => "060-0001",
        "address_line" => "札幌市中央区北1条西2丁目1-1",
        "building_name" => "山田ハイツ",
        "unit_number" => "203",
        "layout" => "1K",
        "structure" => "木造",
        "phone" | "night_phone" => "011-123-4567",
        "registration_number" => "01-0000123",
        "month" => "2026-11",
        "held_at" | "time" | "viewing_at" => "2026-11-20T14:00:00+09:00",
        "expires_at" => "2027-12-31T23:59:59+09:00",
        "held_on" | "given_on" | "observed_on" | "published_on" | "notified_on" | "reviewed_on"
        | "starts_on" | "registration_date" | "partnership_since" | "vacant_from" => "2026-11-20",
        "next_review_on" | "target_move_date" | "ends_on" => "2027-03-31",
        "from" => "2026-04",
        "to" => "2027-03",
        "date_of_birth" => "1980-04-01",
        "next_cursor" | "cursor" => "eyJhZnRlciI6IjAxOTNmMWMyIn0",
        "note" | "notes" | "current_place_note" | "issues_note" => {
            "退院後の住まいを探しています。日中は就労継続支援B型に通所。"
        }
        "own_words" => "一人で静かに暮らしたい。病院の近くがいい。",
        "issues_text" | "text" | "message" => "夜間の見守り体制について家主から相談があった。",
        "agenda" | "purpose" | "description" => "退院予定者3名の住まい探しの状況共有",
        "minutes" => "出席: ひだまり 佐藤、すまいサポート札幌 鈴木。3名の状況を共有した。",
        "decline_note" | "reason" => "同じ建物の他の入居者との調整が必要なため",
        "current_place" => "市立病院 精神科病棟",
        "guarantor" => "NPO法人 すまいサポート札幌(家賃債務保証)",
        "action" | "what" => "主治医と相談支援専門員に連絡する",
        "detail" | "explained" | "change" => "家賃が予算内(42,000円 ≤ 45,000円)",
        "url" => "https://hooks.example.jp/sumai-link",
        "event_type" => "inquiry.updated",
        "slug" | "type" => "validation",
        "field" | "column" | "path" | "key" | "contact_key" | "sheet_section" | "part" => {
            "municipality_code"
        }
        "code" => "A01",
        "role" => "staff",
        "status" | "status_label_ja" => "申込中",
        "decline_reason_label_ja" => "家賃の支払いへの不安",
        "service" => "見守り",
        "vacancy" => "vacant",
        "format" => "in_person",
        "kind" => "support_office",
        "geocode_detail" => "国土地理院 住所検索で一致",
        "last_error" => "HTTP 503 from the receiver",
        "items" => "見守り",
        _ => "例",
    }
}
