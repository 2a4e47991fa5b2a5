//! The OpenAPI document, generated from the handlers' annotations. `openapi.yaml` at the
//! repository root is this document; a test fails when the two differ.

use actix_web::App;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem};

mod examples;
mod yaml;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sumai-link (住まいリンク) API",
        description = "The shared system of 相談支援事業所, 居住支援法人 and landlords for housing people with disabilities. Errors are RFC 9457 problem+json; lists are cursor-paginated; updates need If-Match.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    modifiers(&BearerAuth),
    components(schemas(Problem, FieldError)),
    tags(
        (name = "auth", description = "Tokens: password and API-key logins, refresh, logout"),
        (name = "me", description = "The caller"),
        (name = "organizations", description = "Organisations of every kind"),
        (name = "users", description = "Users of an organisation"),
        (name = "api-keys", description = "Credentials for machine clients"),
        (name = "clients", description = "Clients of support offices (要配慮個人情報): needs, consents, provision log, matches"),
        (name = "inquiries", description = "A client's application to a rental: proposal, viewing, application, the landlord's answer (with its reason), move-in or the client's withdrawal (with the client's own reason)"),
        (name = "meetings", description = "Information-sharing meetings (情報連携の場) with a 居住支援法人 or 居住支援協議会: attendees, clients shared (with consent), issues, versioned minutes, amendments once the month is closed"),
        (name = "guidance-sessions", description = "Joint guidance of a client by the office and a 居住支援法人"),
        (name = "council-reports", description = "Written reports of housing issues to a council: draft, then submitted and read-only"),
        (name = "councils", description = "A council's report on the meetings of the support offices in its area: JSON, CSV or PDF"),
        (name = "offices", description = "A support office's set-up for the 居住支援 add-ons and the months it has closed"),
        (name = "rentals", description = "The register of セーフティネット登録住宅: CRUD, search, history"),
        (name = "support-sheets", description = "生活サポートシート: versioned sheets about one tenant (who to call for what, the crisis plan), published to the organisations the client consented to share each section with, as JSON, HTML or an A4 PDF; concerns landlords report against them"),
        (name = "webhooks", description = "Event subscriptions, signed deliveries (HMAC-SHA256) and their status"),
        (name = "operations", description = "Health, readiness, metrics, problem types"),
    ),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".into());
        http.description = Some("An access token from POST /api/v1/auth/token".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// The document as served and committed: what the annotations say, completed by the
/// steps below.
pub fn document() -> serde_json::Value {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    unique_operation_ids(&mut api);
    common_responses(&mut api);
    crate::middleware::contract::describe(&mut api);
    describe_responses(&mut api);
    let mut doc = match serde_json::to_value(&api) {
        Ok(doc) => doc,
        Err(e) => unreachable!("the OpenAPI types serialize: {e}"),
    };
    // The policy is also what `Link: rel="deprecation"` points to (/docs renders it).
    if let Some(description) = doc.pointer_mut("/info/description") {
        let intro = description.as_str().unwrap_or_default();
        *description = format!(
            "{intro}\n\n{}",
            include_str!("../../docs/api-versioning.md").trim_end()
        )
        .into();
    }
    doc["servers"] = serde_json::json!([{
        "url": "/",
        "description": "This installation (the document is served at /openapi.yaml)"
    }]);
    anonymous_without_requirements(&mut doc);
    page_items_by_reference(&mut doc);
    name_union_variants(&mut doc);
    describe_etags(&mut doc);
    describe_parameters(&mut doc);
    short_summaries(&mut doc);
    mark_deprecated(&mut doc);
    links_from_lists(&mut doc);
    examples::add(&mut doc);
    doc
}

/// Every operation of the document, with its path.
fn operations_mut(api: &mut utoipa::openapi::OpenApi) -> Vec<(&str, &mut Operation)> {
    let mut out = Vec::new();
    for (path, item) in api.paths.paths.iter_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            out.push((path.as_str(), op));
        }
    }
    out
}

/// utoipa names an operation after its handler (`read`, `create`), so several would share
/// a name, which OpenAPI forbids and which breaks links and client generators. An API
/// operation's id gets the fixed segments of its path in front, leaving out trailing
/// segments the handler's name already says: `read` of `/api/v1/clients/{id}/needs` is
/// `clients_needs_read`, `matches` of `/api/v1/clients/{id}/matches` is
/// `clients_matches`. An id given in the annotation that already starts with the path's
/// first segment (`auth_token`) is kept as it is: the generated clients name their
/// functions after these ids, so each is chosen once and then kept (README, Versioning).
fn unique_operation_ids(api: &mut utoipa::openapi::OpenApi) {
    for (path, op) in operations_mut(api) {
        let (Some(rest), Some(name)) = (path.strip_prefix("/api/v1/"), &op.operation_id) else {
            continue;
        };
        let first = rest.split('/').next().unwrap_or_default().replace('-', "_");
        if name.starts_with(&format!("{first}_")) {
            continue;
        }
        let mut segments: Vec<String> = rest
            .split('/')
            .filter(|s| !s.is_empty() && !s.starts_with('{'))
            .map(|s| s.replace('-', "_"))
            .collect();
        let words = format!("_{name}_");
        while segments
            .last()
            .is_some_and(|s| words.contains(&format!("_{s}_")))
        {
            segments.pop();
        }
        segments.push(name.clone());
        op.operation_id = Some(segments.join("_"));
    }
}

/// Answers that come from the extractors and middleware rather than the handler, so the
/// handlers' annotations leave them out; each is added where it can happen, unless the
/// annotation already describes it: 400 when a path, query or header parameter or the
/// body cannot be read, 401 without a valid bearer token, 412 and 428 for a stale or
/// missing `If-Match` where the operation takes one, 413 and 415 for a body too large
/// or of another media type.
fn common_responses(api: &mut utoipa::openapi::OpenApi) {
    for (_, op) in operations_mut(api) {
        let params = op.parameters.as_deref().unwrap_or_default();
        let has_params = !params.is_empty();
        let if_match = params.iter().any(|p| match p {
            RefOr::T(p) => p.parameter_in == ParameterIn::Header && p.name == "If-Match",
            RefOr::Ref(_) => false,
        });
        let has_body = op.request_body.is_some();
        // `security: [{}]` is an operation anyone may call: no 401 there.
        let secured = op.security.as_ref().is_some_and(|s| {
            s.iter()
                .any(|r| *r != utoipa::openapi::security::SecurityRequirement::default())
        });
        let mut add = |status: &str, description: &str| {
            op.responses
                .responses
                .entry(status.to_owned())
                .or_insert_with(|| problem_response(description));
        };
        if has_params || has_body {
            add("400", "A parameter, header or the body cannot be read");
        }
        if secured {
            add("401", "No bearer token, or it is invalid or expired");
        }
        if if_match {
            add("412", "The ETag in If-Match is not the current one");
            add("428", "The If-Match header is missing");
        }
        if has_body {
            add("413", "The body is larger than the limit");
            add("415", "The body is not of the documented media type");
        }
    }
}

fn problem_response(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build();
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content("application/problem+json", content)
            .build(),
    )
}

/// OpenAPI requires a description on every response; where the annotation gives none,
/// the status's reason phrase.
fn describe_responses(api: &mut utoipa::openapi::OpenApi) {
    for (_, op) in operations_mut(api) {
        for (status, response) in op.responses.responses.iter_mut() {
            let RefOr::T(response) = response else {
                continue;
            };
            if response.description.is_empty() {
                let reason = status
                    .parse::<u16>()
                    .ok()
                    .and_then(|s| actix_web::http::StatusCode::from_u16(s).ok())
                    .and_then(|s| s.canonical_reason());
                response.description = reason.unwrap_or("Response").to_owned();
            }
        }
    }
}

/// Every operation object of the document, for the steps that work on its JSON.
fn json_operations(
    doc: &mut serde_json::Value,
) -> impl Iterator<Item = &mut serde_json::Map<String, serde_json::Value>> {
    doc.get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(serde_json::Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(serde_json::Value::as_object_mut)
}

/// An operation anyone may call says `security: []` (no requirement), not utoipa's
/// `[{}]` (one empty requirement): both mean the same, but client generators read
/// only the first as "no token", and would otherwise ask for one to sign in.
fn anonymous_without_requirements(doc: &mut serde_json::Value) {
    for op in json_operations(doc) {
        if let Some(security) = op
            .get_mut("security")
            .and_then(serde_json::Value::as_array_mut)
        {
            security.retain(|r| r.as_object().is_none_or(|o| !o.is_empty()));
        }
    }
}

/// utoipa writes a generic `Page<T>` with `T`'s schema copied inline, so a client
/// generator would make a second, oddly named type of every list item; where the copy
/// is exactly a component, it becomes a reference to it.
fn page_items_by_reference(doc: &mut serde_json::Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    let originals = schemas.clone();
    for (name, schema) in schemas.iter_mut() {
        let Some(item) = name.strip_prefix("Page_") else {
            continue;
        };
        let Some(inline) = schema.pointer_mut("/properties/items/items") else {
            continue;
        };
        if originals.get(item) == Some(inline) {
            *inline = serde_json::json!({ "$ref": format!("#/components/schemas/{item}") });
        }
    }
}

/// A tagged enum becomes a `oneOf` of untitled variants, which client generators name
/// `TokenRequestType0`, `TokenRequestType1`… Each variant is titled after the value of
/// its tag instead (`TokenRequestPassword`), whether the variant is that value itself or
/// an object whose one-valued `enum` property carries it.
fn name_union_variants(doc: &mut serde_json::Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        let Some(variants) = schema
            .get_mut("oneOf")
            .and_then(serde_json::Value::as_array_mut)
        else {
            continue;
        };
        let titles: Vec<Option<String>> = variants.iter().map(variant_tag).collect();
        let distinct: std::collections::HashSet<_> = titles.iter().flatten().collect();
        if titles.iter().any(Option::is_none) || distinct.len() != titles.len() {
            continue;
        }
        for (variant, tag) in variants.iter_mut().zip(titles) {
            if let (Some(variant), Some(tag)) = (variant.as_object_mut(), tag) {
                variant.insert(
                    "title".into(),
                    format!("{name}{}", pascal_case(&tag)).into(),
                );
            }
        }
    }
}

/// The value that tells this variant from the others: a one-valued `enum`.
fn variant_tag(variant: &serde_json::Value) -> Option<String> {
    let one = |schema: &serde_json::Value| match schema.get("enum")?.as_array()?.as_slice() {
        [only] => only.as_str().map(str::to_owned),
        _ => None,
    };
    one(variant).or_else(|| {
        let props = variant.get("properties")?.as_object()?;
        let required = variant.get("required")?.as_array()?;
        required
            .iter()
            .filter_map(|r| props.get(r.as_str()?))
            .find_map(one)
    })
}

fn pascal_case(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// One description for every `ETag` the API sends.
fn describe_etags(doc: &mut serde_json::Value) {
    for op in json_operations(doc) {
        let Some(responses) = op
            .get_mut("responses")
            .and_then(serde_json::Value::as_object_mut)
        else {
            continue;
        };
        for response in responses.values_mut() {
            if let Some(etag) = response.pointer_mut("/headers/ETag") {
                const WHAT: &str = "The object's version, a strong ETag such as \"3\". Send it back in If-Match to change the object; a stale one gets 412.";
                // An annotation that says "Only to …" names the callers who get it.
                let only = etag
                    .get("description")
                    .and_then(serde_json::Value::as_str)
                    .filter(|d| d.starts_with("Only "))
                    .map(str::to_owned);
                *etag = serde_json::json!({
                    "description": only.as_ref().map_or_else(|| WHAT.to_owned(), |o| format!("{o}. {WHAT}")),
                    "required": only.is_none(),
                    "schema": { "type": "string" }
                });
            }
        }
    }
}

/// The parameters every list and every update share, described once: pagination and
/// `If-Match`.
fn describe_parameters(doc: &mut serde_json::Value) {
    for op in json_operations(doc) {
        let Some(params) = op
            .get_mut("parameters")
            .and_then(serde_json::Value::as_array_mut)
        else {
            continue;
        };
        for param in params
            .iter_mut()
            .filter_map(serde_json::Value::as_object_mut)
        {
            let name = param.get("name").and_then(serde_json::Value::as_str);
            let place = param.get("in").and_then(serde_json::Value::as_str);
            let own = param
                .get("description")
                .and_then(serde_json::Value::as_str)
                .filter(|d| !d.is_empty() && *d != "the ETag you read")
                .map(str::to_owned);
            let description = match (place, name, own) {
                (Some("query"), Some("limit"), None) => {
                    "How many items a page holds, 1 to 200 (50 when left out).".to_owned()
                }
                (Some("query"), Some("cursor"), None) => "Where the page starts: the `next_cursor` of the page before. Leave it out for the first page; the last page has no `next_cursor`.".to_owned(),
                (Some("header"), Some("If-Match"), own) => {
                    let what = own.map_or_else(
                        || "The `ETag` of the object as you last read it (such as `\"3\"`)".to_owned(),
                        |o| {
                            let mut chars = o.chars();
                            chars.next().map_or_else(String::new, |c| {
                                c.to_uppercase().collect::<String>() + chars.as_str()
                            })
                        },
                    );
                    format!("{what}. A stale one gets 412 and changes nothing: read again, reapply your change, retry.")
                }
                _ => continue,
            };
            param.insert("description".into(), description.into());
        }
    }
}

/// A handler's first paragraph is a whole sentence, too long for a reference's sidebar
/// or a generated function's first docstring line: the summary keeps its head (up to the
/// first parenthesis, semicolon or colon), and the sentence leads the description.
fn short_summaries(doc: &mut serde_json::Value) {
    for op in json_operations(doc) {
        let Some(sentence) = op.get("summary").and_then(serde_json::Value::as_str) else {
            continue;
        };
        let sentence = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
        let short = short_summary(&sentence);
        if short == sentence.trim_end_matches('.') {
            op.insert("summary".into(), short.into());
            continue;
        }
        let description = match op.get("description").and_then(serde_json::Value::as_str) {
            Some(rest) if !rest.is_empty() => format!("{sentence}\n\n{rest}"),
            _ => sentence.clone(),
        };
        op.insert("summary".into(), short.into());
        op.insert("description".into(), description.into());
    }
}

fn short_summary(sentence: &str) -> String {
    let first = sentence
        .find(". ")
        .map_or(sentence, |end| &sentence[..=end]);
    let mut head = first;
    for separator in [" (", "; ", ": ", ", needs "] {
        if let Some(at) = head.find(separator)
            && head[..at].split_whitespace().count() >= 2
        {
            head = &head[..at];
        }
    }
    head.trim_end_matches('.').trim_end().to_owned()
}

/// Links from each list to what its items lead to, so that Schemathesis's stateful phase
/// (and a reader of the reference) goes from a list to an item's own operations with a
/// real id: `$response.body#/items/0/id`.
fn links_from_lists(doc: &mut serde_json::Value) {
    const FROM_LISTS: &[(&str, &[&str])] = &[
        (
            "clients_list",
            &[
                "clients_read",
                "clients_needs_read",
                "clients_consents_list",
                "clients_provisions",
            ],
        ),
        ("meetings_list", &["meetings_read", "meetings_list_minutes"]),
        (
            "support_sheets_list",
            &[
                "support_sheets_read",
                "support_sheets_list_versions",
                "support_sheets_concerns_list",
            ],
        ),
        ("inquiries_list", &["inquiries_read", "inquiries_events"]),
        ("council_reports_list", &["council_reports_read"]),
        ("guidance_sessions_list", &["guidance_sessions_read"]),
        (
            "webhooks_list",
            &["webhooks_read", "webhooks_deliveries_list"],
        ),
        ("users_list", &["users_read"]),
        ("api_keys_list", &["api_keys_read"]),
        ("organizations_list", &["organizations_read"]),
        ("rentals_search", &["rentals_read", "rentals_history"]),
    ];
    for op in json_operations(doc) {
        let Some((_, targets)) = FROM_LISTS.iter().find(|(list, _)| {
            op.get("operationId").and_then(serde_json::Value::as_str) == Some(list)
        }) else {
            continue;
        };
        let Some(ok) = op
            .get_mut("responses")
            .and_then(|r| r.get_mut("200"))
            .and_then(serde_json::Value::as_object_mut)
        else {
            continue;
        };
        let links = ok.entry("links").or_insert_with(|| serde_json::json!({}));
        for target in *targets {
            if links.get(*target).is_none() {
                links[*target] = serde_json::json!({
                    "operationId": target,
                    "parameters": {"id": "$response.body#/items/0/id"},
                    "description": "The first item of the page",
                });
            }
        }
    }
}

/// The operations of `middleware::deprecation` are `deprecated` here too, with the
/// dates and the headers each of their answers carries.
fn mark_deprecated(doc: &mut serde_json::Value) {
    use serde_json::json;
    for entry in crate::middleware::deprecation::all() {
        let method = entry.method.as_str().to_ascii_lowercase();
        let Some(op) = doc
            .get_mut("paths")
            .and_then(|p| p.get_mut(entry.path))
            .and_then(|item| item.get_mut(&method))
            .and_then(serde_json::Value::as_object_mut)
        else {
            continue;
        };
        op.insert("deprecated".into(), json!(true));
        op.insert(
            "summary".into(),
            json!(format!("Deprecated: use {} (PUT)", entry.successor)),
        );
        let note = format!(
            "**Deprecated** since {} and answered until {} (the `Sunset` header): use `{}` instead. {}",
            entry.deprecated_on, entry.sunset_on, entry.successor, entry.why
        );
        let description = match op.get("description").and_then(serde_json::Value::as_str) {
            Some(old) if !old.is_empty() => format!("{note}\n\n{old}"),
            _ => note,
        };
        op.insert("description".into(), json!(description));
        let Some(responses) = op
            .get_mut("responses")
            .and_then(serde_json::Value::as_object_mut)
        else {
            continue;
        };
        for (status, response) in responses.iter_mut() {
            if !status.starts_with('2') {
                continue;
            }
            let Some(response) = response.as_object_mut() else {
                continue;
            };
            let headers = response.entry("headers").or_insert_with(|| json!({}));
            headers["Deprecation"] = json!({
                "description": "RFC 9745: when the operation was deprecated, as @ and seconds since 1970",
                "required": true,
                "schema": {"type": "string", "examples": [entry.deprecation_header()]}
            });
            headers["Sunset"] = json!({
                "description": "RFC 8594: after this time the operation may stop answering",
                "required": true,
                "schema": {"type": "string", "examples": [entry.sunset_header()]}
            });
            headers["Link"] = json!({
                "description": "The successor operation (rel=successor-version) and the deprecation policy (rel=deprecation)",
                "required": true,
                "schema": {"type": "string"}
            });
        }
    }
}

pub fn yaml() -> Result<String, String> {
    Ok(yaml::to_yaml(&document()))
}
