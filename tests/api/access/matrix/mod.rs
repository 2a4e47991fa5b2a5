//! The access matrix of every other `/api/v1` route — rentals (with import, history and
//! mine), clients with their needs, consents, provisions and matches, inquiries with
//! their steps and events, support sheets with their versions, diff, publication and
//! concerns, webhooks with their deliveries, an office's compliance, add-ons, dashboard,
//! set-up and months, a council's meeting report, meetings, guidance sessions and
//! written reports — called by every demo account and anonymously, on objects of two
//! sides:
//! - side A: office@'s client (shared by consent with corp@, with landlord@ and with
//!   agent@), landlord@'s rental managed by agent@, their inquiry, the client's published
//!   sheet (sections shared with landlord@ and agent@), office@'s webhook, meeting with
//!   corp@, guidance session, written reports to council@, and council@'s report;
//! - side B: the same of office2@ and landlord2@ (no consent to corp@, a meeting with
//!   hsc@), and a council without an account.
//!
//! The expected status is written out per row and caller, not derived from
//! `src/auth/policy.rs`: another organisation's object is 404 (never 403, never data), a
//! role or kind that may not do something to an object it can see is 403, no token is
//! 401. Every refusal is problem+json without the object's data, and leaves the object
//! (read again by its owner) or the table (counted) as it was. A row that writes acts on
//! an object made for that one request when a success would change what later rows see.

mod objects;
mod table;

use std::collections::{BTreeSet, HashMap};

use reqwest::Method;
use serde_json::Value;

use objects::send;
pub use objects::{CLIENT_BORN, CLIENT_NAME, Ctx, Objs, Side};
use table::{Body, Row, table};

use crate::helpers::{TestApp, spawn_app_with};

/// The callers, in the order of the expectation columns.
pub const CALLERS: [Option<&str>; 12] = [
    Some("operator"),
    Some("office"),
    Some("office-staff"),
    Some("office-viewer"),
    Some("office2"),
    Some("corp"),
    Some("hsc"),
    Some("council"),
    Some("landlord"),
    Some("landlord2"),
    Some("agent"),
    None,
];

/// Who reads an object back to prove a refusal changed nothing.
fn owner_of(path: &str, side: Side) -> &'static str {
    if path.starts_with("/api/v1/rentals") {
        side.landlord()
    } else {
        side.office()
    }
}

/// The strings of an object that a refusal must never show: every non-ASCII text of
/// four or more characters (names, addresses, notes), and URLs.
fn markers(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if (!s.is_ascii() && s.chars().count() >= 4) || s.starts_with("http") => {
            out.push(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|x| markers(x, out)),
        Value::Object(m) => m.values().for_each(|x| markers(x, out)),
        _ => {}
    }
}

/// Sends one row as one caller and returns what was wrong, if anything.
async fn check(
    app: &TestApp,
    ctx: &Ctx,
    shared: &HashMap<bool, Objs>,
    row: &Row,
    col: usize,
) -> Result<(), String> {
    let caller = CALLERS[col];
    let side = row.side;
    let o = shared[&(side == Side::A)]
        .fresh(app, ctx, side, row.fresh)
        .await;
    let path = o.fill(row.path);
    let owner = owner_of(row.path, side);
    let before = match row.owner_read {
        Some(p) => {
            let p = o.fill(p);
            let (s, _, text, etag) =
                send(app, Method::GET, &p, Some(owner), None, None, false).await?;
            Some((p, s, text, etag))
        }
        None => None,
    };
    let count = match row.table {
        Some(t) => Some(app.count(t).await),
        None => None,
    };
    let mut marks = Vec::new();
    if let Some((_, _, text, _)) = &before
        && let Ok(v) = serde_json::from_str::<Value>(text)
    {
        markers(&v, &mut marks);
    }
    marks.push(CLIENT_NAME.to_owned());
    let body = match &row.body {
        Body::Json(f) => Some(f(ctx, &o, caller)),
        _ => None,
    };
    let etag = before.as_ref().and_then(|b| b.3.clone());
    let (status, ct, text, _) = send(
        app,
        row.method.clone(),
        &path,
        caller,
        etag.as_deref(),
        body,
        matches!(row.body, Body::Csv),
    )
    .await?;
    let expected = row.expect[col];
    if status != expected {
        return Err(format!("expected {expected}, got {status}: {text}"));
    }
    if (200..300).contains(&status) {
        if let Some((of, shows)) = row.listed {
            for (side, a) in [("A", true), ("B", false)] {
                let seen = text.contains(of(&shared[&a]).as_str());
                if seen != shows[col].contains(side) {
                    return Err(format!(
                        "side {side}'s object {} the list: {text}",
                        if seen { "shows in" } else { "is missing from" }
                    ));
                }
            }
        }
        return Ok(());
    }
    if ct != "application/problem+json" {
        return Err(format!("a refusal as {ct:?}: {text}"));
    }
    let problem: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    if problem["status"].as_u64() != Some(u64::from(status)) {
        return Err(format!("a problem with the wrong status: {text}"));
    }
    if before.is_none() && row.method == Method::GET {
        // What the owner sees here must not show in the refusal.
        let (s, _, owner_text, _) =
            send(app, Method::GET, &path, Some(owner), None, None, false).await?;
        if let (200, Ok(v)) = (s, serde_json::from_str::<Value>(&owner_text)) {
            markers(&v, &mut marks);
        }
    }
    if let Some(m) = marks.iter().find(|m| text.contains(m.as_str())) {
        return Err(format!("the refusal shows {m:?}: {text}"));
    }
    if let Some((p, s, old, _)) = before {
        let (s2, _, new, _) = send(app, Method::GET, &p, Some(owner), None, None, false).await?;
        if s != s2 || old != new {
            return Err(format!("the refusal changed {p}: {old}\n→ {new}"));
        }
    }
    if let (Some(t), Some(n)) = (row.table, count) {
        let now = app.count(t).await;
        if now != n {
            return Err(format!("the refusal changed {t}: {n} → {now} rows"));
        }
    }
    Ok(())
}

/// `{id}`, `{rental}`, … all become `{}`, and the query goes.
fn template(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => {
                inside = true;
                out.push('{');
            }
            '}' => {
                inside = false;
                out.push('}');
            }
            _ if inside => {}
            _ => out.push(c),
        }
    }
    out
}

fn routes_of(rows: &[Row]) -> BTreeSet<(String, String)> {
    rows.iter()
        .map(|r| (r.method.as_str().to_lowercase(), template(r.path)))
        .collect()
}

/// The routes `access.rs` itself covers, and those open to everyone.
const ELSEWHERE: [&str; 5] = [
    "/api/v1/auth/",
    "/api/v1/organizations",
    "/api/v1/users",
    "/api/v1/api-keys",
    "/api/v1/me",
];

#[test]
fn the_matrix_has_a_row_for_every_operation_of_the_openapi_document() {
    let doc = serde_json::to_value(sumai_link::openapi::document()).unwrap();
    let covered = routes_of(&table());
    let mut missing = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") || ELSEWHERE.iter().any(|e| path.starts_with(e)) {
            continue;
        }
        for method in ops.as_object().unwrap().keys() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            if !covered.contains(&(method.clone(), template(path))) {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "no matrix row for: {missing:?}");
}

#[tokio::test]
async fn every_other_route_answers_every_kind_of_caller_as_the_access_rules_say() {
    let started = std::time::Instant::now();
    // The webhook worker stays idle, so that deliveries do not change under the rows.
    let app = spawn_app_with(&[("SUMAI_WEBHOOK_POLL_MS", "60000")]).await;
    let ctx = Ctx::load(&app).await;
    let mut shared = HashMap::new();
    shared.insert(true, Objs::make(&app, &ctx, Side::A).await);
    shared.insert(false, Objs::make(&app, &ctx, Side::B).await);
    let rows = table();
    let mut failures = Vec::new();
    let mut cells = 0;
    for row in &rows {
        for (col, caller) in CALLERS.iter().enumerate() {
            cells += 1;
            if let Err(why) = check(&app, &ctx, &shared, row, col).await {
                failures.push(format!(
                    "{} {} ({:?}) as {}: {why}",
                    row.method,
                    row.path,
                    row.side,
                    caller.unwrap_or("anonymous")
                ));
            }
        }
    }
    let routes = routes_of(&rows);
    eprintln!(
        "access matrix: {} routes, {} rows × {} callers = {cells} cells in {:.1?}",
        routes.len(),
        rows.len(),
        CALLERS.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {cells} cells of the access matrix are wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
