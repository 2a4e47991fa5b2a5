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

use std::collections::HashMap;

use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};
use sumai_link::domain::year_month::YearMonth;

use crate::clients::{client_body, needs_body, today};
use crate::helpers::{TestApp, spawn_app_with};
use crate::meetings::{meeting_body, months_ago, today_start};
use crate::rentals::{sample, with};
use crate::support_sheets::sections;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

impl Side {
    fn office(self) -> &'static str {
        match self {
            Side::A => "office",
            Side::B => "office2",
        }
    }
    fn landlord(self) -> &'static str {
        match self {
            Side::A => "landlord",
            Side::B => "landlord2",
        }
    }
}

/// What a row needs made afresh for each request, because a success would change what
/// later requests see (or because the object may exist only once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fresh {
    No,
    Rental,
    /// A client (with its consents, and its sheet's section consents).
    Client,
    /// A rental and an inquiry of the side's client for it.
    Inquiry,
    /// A client of the side without a sheet yet.
    SheetlessClient,
    /// A new draft version of the side's sheet.
    SheetVersion,
    Concern,
    Webhook,
    Delivery,
    Draft,
}

#[derive(Clone)]
enum Body {
    None,
    Json(fn(&Ctx, &Objs, Option<&str>) -> Value),
    Csv,
}

struct Row {
    method: Method,
    /// `{office}`, `{council}`, `{rental}`, `{client}`, `{consent}`, `{inquiry}`,
    /// `{sheet}`, `{concern}`, `{webhook}`, `{delivery}`, `{meeting}`, `{locked}`,
    /// `{session}`, `{report}`, `{draft}`, `{month}`, `{from}`, `{to}`: objects and
    /// values of the row's side.
    path: &'static str,
    side: Side,
    fresh: Fresh,
    body: Body,
    /// Read by the owner for `If-Match`, and before and after a refused write to prove
    /// nothing changed.
    owner_read: Option<&'static str>,
    /// For creates: a table whose row count a refusal leaves alone.
    table: Option<&'static str>,
    /// operator, office, office-staff, office-viewer, office2, corp, hsc, council,
    /// landlord, landlord2, agent, anonymous
    expect: [u16; 12],
    /// For lists: the object of each side, and per caller which sides' objects the
    /// list shows ("A", "B", "AB" or "").
    listed: Option<(fn(&Objs) -> &String, [&'static str; 12])>,
}

fn r(method: Method, path: &'static str, side: Side, expect: [u16; 12]) -> Row {
    Row {
        method,
        path,
        side,
        fresh: Fresh::No,
        body: Body::None,
        owner_read: None,
        table: None,
        expect,
        listed: None,
    }
}

impl Row {
    fn fresh(mut self, f: Fresh) -> Self {
        self.fresh = f;
        self
    }
    fn json(mut self, f: fn(&Ctx, &Objs, Option<&str>) -> Value) -> Self {
        self.body = Body::Json(f);
        self
    }
    fn csv(mut self) -> Self {
        self.body = Body::Csv;
        self
    }
    fn owner_read(mut self, p: &'static str) -> Self {
        self.owner_read = Some(p);
        self
    }
    fn table(mut self, t: &'static str) -> Self {
        self.table = Some(t);
        self
    }
    fn listing(mut self, of: fn(&Objs) -> &String, shows: [&'static str; 12]) -> Self {
        self.listed = Some((of, shows));
        self
    }
}

/// Ids of every organisation and user of the demo accounts.
pub struct Ctx {
    pub org: HashMap<&'static str, String>,
    pub user: HashMap<&'static str, String>,
    /// A council without an account (side B's council).
    pub other_council: String,
    /// A client of office2@ (from the demo).
    pub other_client: String,
}

/// The objects of one side.
#[derive(Clone, Default)]
pub struct Objs {
    pub office: String,
    pub council: String,
    pub rental: String,
    pub client: String,
    pub client_code: String,
    pub consent: String,
    pub inquiry: String,
    pub sheet: String,
    pub sheet_version: i32,
    pub concern: String,
    pub webhook: String,
    pub delivery: String,
    pub meeting: String,
    pub locked: String,
    pub session: String,
    pub report: String,
    pub draft: String,
}

fn unique() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

async fn ok(
    app: &TestApp,
    method: Method,
    path: &str,
    account: &str,
    body: Option<Value>,
) -> Value {
    let etag_path = match path.strip_suffix("/submit") {
        Some(report) => Some(report),
        None => matches!(method, Method::PATCH | Method::PUT).then_some(path),
    };
    let etag = match etag_path {
        Some(p) => {
            let res = app.get(p, account).await;
            res.headers()
                .get("etag")
                .map(|e| e.to_str().unwrap().to_owned())
        }
        None => None,
    };
    send(
        app,
        method.clone(),
        path,
        Some(account),
        etag.as_deref(),
        body,
        false,
    )
    .await
    .map(|(status, _, text, _)| {
        assert!(
            (200..300).contains(&status),
            "{method} {path} as {account}: {status} {text}"
        );
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    })
    .unwrap()
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

/// Sends one request; returns status, content type and body text.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    account: Option<&str>,
    etag: Option<&str>,
    body: Option<Value>,
    csv: bool,
) -> Result<(u16, String, String, Option<String>), String> {
    let mut req = app.client.request(method, app.url(path));
    if let Some(a) = account {
        req = req.bearer_auth(app.token(a).await);
    }
    if let Some(e) = etag {
        req = req.header("If-Match", e);
    }
    if csv {
        req = req
            .header("content-type", "text/csv; charset=utf-8")
            .body(import_csv());
    } else if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let etag = res
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = res.bytes().await.map_err(|e| e.to_string())?;
    Ok((
        status,
        ct,
        String::from_utf8_lossy(&bytes).into_owned(),
        etag,
    ))
}

/// The header and one row of the example import file, with a registration number of
/// its own.
fn import_csv() -> String {
    let file = include_str!("../../../examples/rentals.csv");
    let mut lines = file.lines();
    let header = lines.next().unwrap();
    let row = lines.next().unwrap();
    let n = u32::from_str_radix(&unique()[24..], 16).unwrap() % 1_000_000;
    let row = row.replacen("01-1000001", &format!("01-{n:06}"), 1);
    format!("{header}\n{row}\n")
}

impl Ctx {
    pub async fn load(app: &TestApp) -> Self {
        let mut org = HashMap::new();
        let mut user = HashMap::new();
        for a in CALLERS.iter().flatten() {
            let me = app.me(a).await;
            org.insert(*a, me["organization_id"].as_str().unwrap().to_owned());
            user.insert(*a, me["id"].as_str().unwrap().to_owned());
        }
        let council = ok(
            app,
            Method::POST,
            "/api/v1/organizations",
            "operator",
            Some(
                json!({"kind": "council", "name": format!("他県自立支援協議会 {}", unique()),
                        "prefecture_code": "02"}),
            ),
        )
        .await;
        let list: Value = app
            .get("/api/v1/clients?limit=1", "office2")
            .await
            .json()
            .await
            .unwrap();
        Self {
            org,
            user,
            other_council: id(&council),
            other_client: id(&list["items"][0]),
        }
    }
}

fn rental_body(ctx: &Ctx, side: Side) -> Value {
    let mut b = with(
        sample(),
        json!({"building_name": format!("試験荘 {}", unique()), "unit_number": unique()[24..].to_owned()}),
    );
    if side == Side::A {
        b["agent_org_id"] = json!(ctx.org["agent"]);
    }
    b
}

async fn new_rental(app: &TestApp, ctx: &Ctx, side: Side) -> String {
    id(&ok(
        app,
        Method::POST,
        "/api/v1/rentals",
        side.landlord(),
        Some(rental_body(ctx, side)),
    )
    .await)
}

fn consent(purpose: &str, recipient: Option<&str>, section: Option<&str>) -> Value {
    json!({"purpose": purpose, "recipient_org_id": recipient, "sheet_section": section,
           "method": "written", "given_on": (today() - Duration::days(1)).to_string()})
}

/// A client of the side's office with its consents: to its landlord (and on side A to
/// agent@ and corp@), to be discussed at meetings, and the sheet sections network,
/// schedule, scenarios and review for its landlord (and network for agent@). Returns the
/// client, the consent to corp@ (A) or to the landlord (B), and the pseudonym.
async fn new_client(app: &TestApp, ctx: &Ctx, side: Side) -> (String, String, String) {
    let office = side.office();
    let code = format!("MX-{}", &unique()[20..]);
    let body = full_client(ctx, side, &code);
    let client = id(&ok(app, Method::POST, "/api/v1/clients", office, Some(body)).await);
    let path = format!("/api/v1/clients/{client}/consents");
    let landlord = &ctx.org[side.landlord()];
    let to_landlord = id(&ok(
        app,
        Method::POST,
        &path,
        office,
        Some(consent("share_with_landlord", Some(landlord), None)),
    )
    .await);
    ok(
        app,
        Method::POST,
        &path,
        office,
        Some(consent("discuss_at_meetings", None, None)),
    )
    .await;
    for s in ["network", "schedule", "scenarios", "review"] {
        ok(
            app,
            Method::POST,
            &path,
            office,
            Some(consent("support_sheet_section", Some(landlord), Some(s))),
        )
        .await;
    }
    if side == Side::B {
        return (client, to_landlord, code);
    }
    let agent = &ctx.org["agent"];
    ok(
        app,
        Method::POST,
        &path,
        office,
        Some(consent("share_with_landlord", Some(agent), None)),
    )
    .await;
    ok(
        app,
        Method::POST,
        &path,
        office,
        Some(consent(
            "support_sheet_section",
            Some(agent),
            Some("network"),
        )),
    )
    .await;
    let to_corp = id(&ok(
        app,
        Method::POST,
        &path,
        office,
        Some(consent("share_with_corp", Some(&ctx.org["corp"]), None)),
    )
    .await);
    (client, to_corp, code)
}

/// A whole client (`PATCH /clients/{id}` takes the whole record).
fn full_client(ctx: &Ctx, side: Side, code: &str) -> Value {
    let responsible = &ctx.user[if side == Side::A {
        "office-staff"
    } else {
        "office2"
    }];
    let mut body = client_body(code, responsible);
    body["name"] = json!(CLIENT_NAME);
    body["date_of_birth"] = json!(CLIENT_BORN);
    body
}

/// The client's name and date of birth: never in a refusal, never to a landlord.
pub const CLIENT_NAME: &str = "行列 試子";
pub const CLIENT_BORN: &str = "1981-02-03";

async fn new_inquiry(app: &TestApp, side: Side, client: &str, rental: &str) -> String {
    id(&ok(
        app,
        Method::POST,
        "/api/v1/inquiries",
        side.office(),
        Some(json!({"client_id": client, "rental_id": rental, "note": "ご提案します"})),
    )
    .await)
}

async fn new_sheet(app: &TestApp, side: Side, client: &str) -> String {
    let sheet = id(&ok(
        app,
        Method::POST,
        "/api/v1/support-sheets",
        side.office(),
        Some(json!({"client_id": client, "sections": sections(), "note": "初版"})),
    )
    .await);
    ok(
        app,
        Method::POST,
        &format!("/api/v1/support-sheets/{sheet}/publish"),
        side.office(),
        Some(json!({"version": 1})),
    )
    .await;
    sheet
}

async fn new_concern(app: &TestApp, side: Side, sheet: &str) -> String {
    id(&ok(
        app,
        Method::POST,
        &format!("/api/v1/support-sheets/{sheet}/concerns"),
        side.landlord(),
        Some(json!({"kind": "noise_complaint", "note": "夜に物音がすると苦情"})),
    )
    .await)
}

async fn new_webhook(app: &TestApp, side: Side) -> String {
    let v = ok(
        app,
        Method::POST,
        "/api/v1/webhooks",
        side.office(),
        Some(json!({"url": format!("http://127.0.0.1:9/hook/{}", unique()), "events": ["*"]})),
    )
    .await;
    v["webhook"]["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| id(&v))
}

async fn new_delivery(app: &TestApp, side: Side, webhook: &str) -> String {
    id(&ok(
        app,
        Method::POST,
        &format!("/api/v1/webhooks/{webhook}/ping"),
        side.office(),
        None,
    )
    .await)
}

fn report_body(council: &str) -> Value {
    json!({"council_org_id": council, "title": "住まいの課題", "issue_categories": ["rent_level"],
           "issues_text": "家賃水準が高い"})
}

async fn new_draft(app: &TestApp, side: Side, council: &str) -> String {
    id(&ok(
        app,
        Method::POST,
        "/api/v1/council-reports",
        side.office(),
        Some(report_body(council)),
    )
    .await)
}

impl Objs {
    pub async fn make(app: &TestApp, ctx: &Ctx, side: Side) -> Self {
        let office = ctx.org[side.office()].clone();
        let council = match side {
            Side::A => ctx.org["council"].clone(),
            Side::B => ctx.other_council.clone(),
        };
        let rental = new_rental(app, ctx, side).await;
        let (client, corp_consent, client_code) = new_client(app, ctx, side).await;
        let needs = format!("/api/v1/clients/{client}/needs");
        ok(app, Method::PUT, &needs, side.office(), Some(needs_body())).await;
        let inquiry = new_inquiry(app, side, &client, &rental).await;
        let sheet = new_sheet(app, side, &client).await;
        let concern = new_concern(app, side, &sheet).await;
        let webhook = new_webhook(app, side).await;
        let delivery = new_delivery(app, side, &webhook).await;
        let partner = match side {
            Side::A => &ctx.org["corp"],
            Side::B => &ctx.org["hsc"],
        };
        let meeting = id(&ok(
            app,
            Method::POST,
            "/api/v1/meetings",
            side.office(),
            Some(meeting_body(partner, &today_start(), &[])),
        )
        .await);
        let locked = id(&ok(
            app,
            Method::POST,
            "/api/v1/meetings",
            side.office(),
            Some(meeting_body(partner, &months_ago(2), &[])),
        )
        .await);
        // Joint guidance needs a corp the client shares with: side B's client shares
        // with nobody, so its session is made for a client consenting to corp@.
        let session_client = match side {
            Side::A => client.clone(),
            Side::B => {
                let (c, _, _) = new_client(app, ctx, Side::B).await;
                ok(
                    app,
                    Method::POST,
                    &format!("/api/v1/clients/{c}/consents"),
                    "office2",
                    Some(consent("share_with_corp", Some(&ctx.org["corp"]), None)),
                )
                .await;
                c
            }
        };
        let session = id(&ok(
            app,
            Method::POST,
            "/api/v1/guidance-sessions",
            side.office(),
            Some(
                json!({"client_id": session_client, "corp_org_id": ctx.org["corp"],
                        "held_on": today().to_string(), "explained": "住まいの説明"}),
            ),
        )
        .await);
        let report = new_draft(app, side, &council).await;
        ok(
            app,
            Method::POST,
            &format!("/api/v1/council-reports/{report}/submit"),
            side.office(),
            None,
        )
        .await;
        let draft = new_draft(app, side, &council).await;
        Objs {
            office,
            council,
            rental,
            client,
            client_code,
            consent: corp_consent,
            inquiry,
            sheet,
            sheet_version: 1,
            concern,
            webhook,
            delivery,
            meeting,
            locked,
            session,
            report,
            draft,
        }
    }

    /// The objects for one request: the shared ones, with the row's fresh one.
    async fn fresh(&self, app: &TestApp, ctx: &Ctx, side: Side, f: Fresh) -> Self {
        let mut o = self.clone();
        match f {
            Fresh::No => {}
            Fresh::Rental => o.rental = new_rental(app, ctx, side).await,
            Fresh::Client => {
                let (c, consent, code) = new_client(app, ctx, side).await;
                let needs = format!("/api/v1/clients/{c}/needs");
                ok(app, Method::PUT, &needs, side.office(), Some(needs_body())).await;
                o.client = c;
                o.consent = consent;
                o.client_code = code;
            }
            Fresh::SheetlessClient => o.client = new_client(app, ctx, side).await.0,
            Fresh::Inquiry => {
                o.rental = new_rental(app, ctx, side).await;
                o.inquiry = new_inquiry(app, side, &o.client, &o.rental).await;
            }
            Fresh::SheetVersion => {
                let v = ok(
                    app,
                    Method::PUT,
                    &format!("/api/v1/support-sheets/{}", o.sheet),
                    side.office(),
                    Some(json!({"sections": sections(), "note": "改訂"})),
                )
                .await;
                o.sheet_version = v["version"].as_i64().unwrap() as i32;
            }
            Fresh::Concern => o.concern = new_concern(app, side, &o.sheet).await,
            Fresh::Webhook => o.webhook = new_webhook(app, side).await,
            Fresh::Delivery => o.delivery = new_delivery(app, side, &o.webhook).await,
            Fresh::Draft => o.draft = new_draft(app, side, &o.council).await,
        }
        o
    }

    fn fill(&self, template: &str) -> String {
        let month = YearMonth::of(today());
        template
            .replace("{office}", &self.office)
            .replace("{council}", &self.council)
            .replace("{rental}", &self.rental)
            .replace("{client}", &self.client)
            .replace("{consent}", &self.consent)
            .replace("{inquiry}", &self.inquiry)
            .replace("{sheet}", &self.sheet)
            .replace("{concern}", &self.concern)
            .replace("{webhook}", &self.webhook)
            .replace("{delivery}", &self.delivery)
            .replace("{meeting}", &self.meeting)
            .replace("{locked}", &self.locked)
            .replace("{session}", &self.session)
            .replace("{report}", &self.report)
            .replace("{draft}", &self.draft)
            .replace("{month}", &month.prev().to_string())
            .replace("{from}", &month.prev().prev().to_string())
            .replace("{to}", &month.to_string())
    }
}

fn meeting_patch(partner: &str) -> Value {
    let mut b = meeting_body(partner, &today_start(), &[]);
    b["agenda"] = json!("住まい探しの状況と見守り");
    b["minutes"] = Value::Null;
    b
}

fn patched_client(ctx: &Ctx, o: &Objs, side: Side) -> Value {
    let mut b = full_client(ctx, side, &o.client_code);
    b["current_place_note"] = json!("退院の日程が決まった");
    b
}

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
        Value::String(s) => {
            if (!s.is_ascii() && s.chars().count() >= 4) || s.starts_with("http") {
                out.push(s.clone());
            }
        }
        Value::Array(a) => a.iter().for_each(|x| markers(x, out)),
        Value::Object(m) => m.values().for_each(|x| markers(x, out)),
        _ => {}
    }
}

/// The matrix. Columns: operator, office, office-staff, office-viewer, office2, corp,
/// hsc, council, landlord, landlord2, agent, anonymous.
fn table() -> Vec<Row> {
    use Side::*;
    let (get, post, patch, put, delete) = (
        Method::GET,
        Method::POST,
        Method::PATCH,
        Method::PUT,
        Method::DELETE,
    );
    // Shorthands for the most common columns.
    const OFFICE_READS_A: [u16; 12] = [404, 200, 200, 200, 404, 404, 404, 404, 404, 404, 404, 401];
    const OFFICE_READS_B: [u16; 12] = [404, 404, 404, 404, 200, 404, 404, 404, 404, 404, 404, 401];
    const OFFICE_WRITES_A: [u16; 12] = [404, 200, 200, 403, 404, 404, 404, 404, 404, 404, 404, 401];
    const OFFICE_WRITES_B: [u16; 12] = [404, 404, 404, 404, 200, 404, 404, 404, 404, 404, 404, 401];
    const EVERYONE: [u16; 12] = [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401];
    vec![
        // --- rentals ---------------------------------------------------------------
        r(get.clone(), "/api/v1/rentals?limit=5", A, EVERYONE),
        r(get.clone(), "/api/v1/rentals/mine?limit=200", A, EVERYONE).listing(
            |o| &o.rental,
            ["", "", "", "", "", "", "", "", "A", "B", "A", ""],
        ),
        r(
            post.clone(),
            "/api/v1/rentals",
            A,
            [403, 403, 403, 403, 403, 403, 403, 403, 201, 201, 422, 401],
        )
        .json(|ctx, _, _| rental_body(ctx, B))
        .table("rentals"),
        r(
            post.clone(),
            "/api/v1/rentals/import",
            A,
            [403, 403, 403, 403, 403, 403, 403, 403, 201, 201, 422, 401],
        )
        .csv()
        .table("rentals"),
        r(
            get.clone(),
            "/api/v1/rentals/{rental}",
            A,
            [200, 200, 200, 200, 200, 200, 200, 200, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/rentals/{rental}",
            B,
            [200, 200, 200, 200, 200, 200, 200, 200, 404, 200, 404, 401],
        ),
        r(
            patch.clone(),
            "/api/v1/rentals/{rental}",
            A,
            [403, 403, 403, 403, 403, 403, 403, 403, 200, 404, 200, 401],
        )
        .fresh(Fresh::Rental)
        .json(|_, _, _| json!({"rent": 43000, "notes": "家賃を改定"}))
        .owner_read("/api/v1/rentals/{rental}"),
        r(
            patch.clone(),
            "/api/v1/rentals/{rental}",
            B,
            [403, 403, 403, 403, 403, 403, 403, 403, 404, 200, 404, 401],
        )
        .fresh(Fresh::Rental)
        .json(|_, _, _| json!({"rent": 43000}))
        .owner_read("/api/v1/rentals/{rental}"),
        r(
            delete.clone(),
            "/api/v1/rentals/{rental}",
            A,
            [403, 403, 403, 403, 403, 403, 403, 403, 204, 404, 204, 401],
        )
        .fresh(Fresh::Rental)
        .owner_read("/api/v1/rentals/{rental}"),
        r(
            get.clone(),
            "/api/v1/rentals/{rental}/history",
            A,
            [403, 403, 403, 403, 403, 403, 403, 403, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/rentals/{rental}/history",
            B,
            [403, 403, 403, 403, 403, 403, 403, 403, 404, 200, 404, 401],
        ),
        // --- clients ---------------------------------------------------------------
        r(
            get.clone(),
            "/api/v1/clients?limit=200",
            A,
            [403, 200, 200, 200, 200, 200, 403, 403, 403, 403, 403, 401],
        )
        .listing(
            |o| &o.client,
            ["", "A", "A", "A", "B", "A", "", "", "", "", "", ""],
        ),
        r(
            post.clone(),
            "/api/v1/clients",
            A,
            [403, 201, 201, 403, 201, 403, 403, 403, 403, 403, 403, 401],
        )
        .json(|ctx, _, caller| {
            let me = caller.and_then(|c| ctx.user.get(c)).cloned();
            let mut b = client_body(&format!("NW-{}", &unique()[20..]), &me.unwrap_or_default());
            b["name"] = json!(CLIENT_NAME);
            b
        })
        .table("clients"),
        r(
            get.clone(),
            "/api/v1/clients/{client}",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 404, 404, 404, 401],
        ),
        r(get.clone(), "/api/v1/clients/{client}", B, OFFICE_READS_B),
        r(
            patch.clone(),
            "/api/v1/clients/{client}",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .fresh(Fresh::Client)
        .json(|ctx, o, _| patched_client(ctx, o, Side::A))
        .owner_read("/api/v1/clients/{client}"),
        r(
            patch.clone(),
            "/api/v1/clients/{client}",
            B,
            OFFICE_WRITES_B,
        )
        .fresh(Fresh::Client)
        .json(|ctx, o, _| patched_client(ctx, o, Side::B))
        .owner_read("/api/v1/clients/{client}"),
        r(
            delete.clone(),
            "/api/v1/clients/{client}",
            A,
            [404, 204, 403, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .fresh(Fresh::Client)
        .owner_read("/api/v1/clients/{client}"),
        r(
            get.clone(),
            "/api/v1/clients/{client}/needs",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/clients/{client}/needs",
            B,
            OFFICE_READS_B,
        ),
        r(
            put.clone(),
            "/api/v1/clients/{client}/needs",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .json(|_, _, _| needs_body())
        .owner_read("/api/v1/clients/{client}/needs"),
        r(
            put.clone(),
            "/api/v1/clients/{client}/needs",
            B,
            OFFICE_WRITES_B,
        )
        .json(|_, _, _| needs_body())
        .owner_read("/api/v1/clients/{client}/needs"),
        r(
            get.clone(),
            "/api/v1/clients/{client}/consents",
            A,
            [404, 200, 200, 200, 404, 403, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/clients/{client}/consents",
            B,
            OFFICE_READS_B,
        ),
        r(
            post.clone(),
            "/api/v1/clients/{client}/consents",
            A,
            [404, 201, 201, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .json(|_, _, _| consent("discuss_at_meetings", None, None))
        .owner_read("/api/v1/clients/{client}/consents"),
        r(
            post.clone(),
            "/api/v1/clients/{client}/consents",
            B,
            [404, 404, 404, 404, 201, 404, 404, 404, 404, 404, 404, 401],
        )
        .json(|_, _, _| consent("discuss_at_meetings", None, None))
        .owner_read("/api/v1/clients/{client}/consents"),
        r(
            post.clone(),
            "/api/v1/clients/{client}/consents/{consent}/withdraw",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .fresh(Fresh::Client)
        .owner_read("/api/v1/clients/{client}/consents"),
        r(
            post.clone(),
            "/api/v1/clients/{client}/consents/{consent}/withdraw",
            B,
            OFFICE_WRITES_B,
        )
        .fresh(Fresh::Client)
        .owner_read("/api/v1/clients/{client}/consents"),
        r(
            get.clone(),
            "/api/v1/clients/{client}/provisions",
            A,
            [404, 200, 200, 200, 404, 403, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/clients/{client}/provisions",
            B,
            OFFICE_READS_B,
        ),
        r(
            get.clone(),
            "/api/v1/clients/{client}/matches",
            A,
            [404, 200, 200, 200, 404, 403, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/clients/{client}/matches",
            B,
            OFFICE_READS_B,
        ),
        // --- inquiries -------------------------------------------------------------
        r(
            get.clone(),
            "/api/v1/inquiries?limit=200",
            A,
            [403, 200, 200, 200, 200, 403, 403, 403, 200, 200, 200, 401],
        )
        .listing(
            |o| &o.inquiry,
            ["", "A", "A", "A", "B", "", "", "", "A", "B", "A", ""],
        ),
        r(
            post.clone(),
            "/api/v1/inquiries",
            A,
            [403, 201, 201, 403, 422, 403, 403, 403, 403, 403, 403, 401],
        )
        .fresh(Fresh::Rental)
        .json(|_, o, _| json!({"client_id": o.client, "rental_id": o.rental, "note": "ご提案"}))
        .table("inquiries"),
        r(
            get.clone(),
            "/api/v1/inquiries/{inquiry}",
            A,
            [404, 200, 200, 200, 404, 404, 404, 404, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/inquiries/{inquiry}",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 200, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/inquiries/{inquiry}/events",
            A,
            [404, 200, 200, 200, 404, 404, 404, 404, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/inquiries/{inquiry}/events",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 200, 404, 401],
        ),
        // The office's step (a withdrawal): the landlord's side may not take it (422).
        r(
            post.clone(),
            "/api/v1/inquiries/{inquiry}/steps",
            A,
            [404, 200, 200, 403, 404, 404, 404, 404, 422, 404, 422, 401],
        )
        .fresh(Fresh::Inquiry)
        .json(|_, _, _| json!({"to": "withdrawn", "withdraw_reason": "location"}))
        .owner_read("/api/v1/inquiries/{inquiry}"),
        // The landlord's step (a decline): the office's side may not take it (422).
        r(
            post.clone(),
            "/api/v1/inquiries/{inquiry}/steps",
            A,
            [404, 422, 422, 403, 404, 404, 404, 404, 200, 404, 200, 401],
        )
        .fresh(Fresh::Inquiry)
        .json(|_, _, _| json!({"to": "declined", "decline_reason": "unpaid_rent"}))
        .owner_read("/api/v1/inquiries/{inquiry}"),
        r(
            post.clone(),
            "/api/v1/inquiries/{inquiry}/steps",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 422, 404, 401],
        )
        .fresh(Fresh::Inquiry)
        .json(|_, _, _| json!({"to": "withdrawn", "withdraw_reason": "location"}))
        .owner_read("/api/v1/inquiries/{inquiry}"),
        // --- support sheets --------------------------------------------------------
        r(get.clone(), "/api/v1/support-sheets?limit=200", A, EVERYONE).listing(
            |o| &o.sheet,
            ["", "A", "A", "A", "B", "A", "", "", "A", "B", "A", ""],
        ),
        r(
            post.clone(),
            "/api/v1/support-sheets",
            A,
            [403, 201, 201, 403, 422, 403, 403, 403, 403, 403, 403, 401],
        )
        .fresh(Fresh::SheetlessClient)
        .json(|_, o, _| json!({"client_id": o.client, "sections": sections(), "note": "初版"}))
        .table("support_sheets"),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}?format=html",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}?format=pdf",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 200, 404, 401],
        ),
        r(
            put.clone(),
            "/api/v1/support-sheets/{sheet}",
            A,
            [404, 200, 200, 403, 404, 200, 404, 404, 403, 404, 403, 401],
        )
        .json(|_, _, _| json!({"sections": sections(), "note": "改訂"}))
        .owner_read("/api/v1/support-sheets/{sheet}"),
        r(
            put.clone(),
            "/api/v1/support-sheets/{sheet}",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 403, 404, 401],
        )
        .json(|_, _, _| json!({"sections": sections(), "note": "改訂"}))
        .owner_read("/api/v1/support-sheets/{sheet}"),
        r(
            post.clone(),
            "/api/v1/support-sheets/{sheet}/publish",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 403, 404, 403, 401],
        )
        .fresh(Fresh::SheetVersion)
        .json(|_, o, _| json!({"version": o.sheet_version}))
        .owner_read("/api/v1/support-sheets/{sheet}"),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}/versions",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}/diff?from=1&to=2",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 403, 404, 403, 401],
        ),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}/concerns",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}/concerns",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 200, 404, 401],
        ),
        r(
            post.clone(),
            "/api/v1/support-sheets/{sheet}/concerns",
            A,
            [404, 403, 403, 403, 404, 201, 404, 404, 201, 404, 201, 401],
        )
        .json(|_, _, _| json!({"kind": "no_answer", "note": "訪問しても応答がない"}))
        .table("support_sheet_concerns"),
        r(
            post.clone(),
            "/api/v1/support-sheets/{sheet}/concerns/{concern}/acknowledge",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 403, 404, 403, 401],
        )
        .fresh(Fresh::Concern)
        .owner_read("/api/v1/support-sheets/{sheet}/concerns"),
        r(
            post.clone(),
            "/api/v1/support-sheets/{sheet}/concerns/{concern}/acknowledge",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 403, 404, 401],
        )
        .fresh(Fresh::Concern)
        .owner_read("/api/v1/support-sheets/{sheet}/concerns"),
        // --- webhooks (an organisation's own administrators only) -------------------
        r(
            get.clone(),
            "/api/v1/webhooks?limit=200",
            A,
            [200, 200, 403, 403, 200, 200, 200, 200, 200, 200, 200, 401],
        )
        .listing(
            |o| &o.webhook,
            ["", "A", "", "", "B", "", "", "", "", "", "", ""],
        ),
        r(
            post.clone(),
            "/api/v1/webhooks",
            A,
            [201, 201, 403, 403, 201, 201, 201, 201, 201, 201, 201, 401],
        )
        .json(|_, _, _| json!({"url": "http://127.0.0.1:9/new", "events": ["inquiry.changed"]}))
        .table("webhook_subscriptions"),
        r(
            get.clone(),
            "/api/v1/webhooks/{webhook}",
            A,
            [404, 200, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/webhooks/{webhook}",
            B,
            OFFICE_WRITES_B,
        ),
        r(
            delete.clone(),
            "/api/v1/webhooks/{webhook}",
            A,
            [404, 204, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        )
        .fresh(Fresh::Webhook)
        .owner_read("/api/v1/webhooks/{webhook}"),
        r(
            post.clone(),
            "/api/v1/webhooks/{webhook}/rotate-secret",
            A,
            [404, 200, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        )
        .owner_read("/api/v1/webhooks/{webhook}"),
        r(
            get.clone(),
            "/api/v1/webhooks/{webhook}/deliveries",
            A,
            [404, 200, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/webhooks/{webhook}/deliveries",
            B,
            OFFICE_WRITES_B,
        ),
        r(
            post.clone(),
            "/api/v1/webhooks/{webhook}/ping",
            A,
            [404, 202, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        )
        .table("webhook_deliveries"),
        r(
            post.clone(),
            "/api/v1/webhooks/{webhook}/deliveries/{delivery}/redeliver",
            A,
            [404, 200, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        )
        .fresh(Fresh::Delivery)
        .owner_read("/api/v1/webhooks/{webhook}/deliveries"),
        r(
            post.clone(),
            "/api/v1/webhooks/{webhook}/deliveries/{delivery}/redeliver",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 404, 404, 401],
        )
        .fresh(Fresh::Delivery)
        .owner_read("/api/v1/webhooks/{webhook}/deliveries"),
        // --- an office's months and set-up: the office alone -----------------------
        r(
            get.clone(),
            "/api/v1/offices/{office}/compliance",
            A,
            OFFICE_READS_A,
        ),
        r(
            get.clone(),
            "/api/v1/offices/{office}/compliance",
            B,
            OFFICE_READS_B,
        ),
        r(
            get.clone(),
            "/api/v1/offices/{office}/add-ons?month={month}",
            A,
            OFFICE_READS_A,
        ),
        r(
            get.clone(),
            "/api/v1/offices/{office}/add-ons?month={month}&format=csv",
            B,
            OFFICE_READS_B,
        ),
        r(
            get.clone(),
            "/api/v1/offices/{office}/dashboard",
            A,
            OFFICE_READS_A,
        ),
        r(
            get.clone(),
            "/api/v1/offices/{office}/dashboard",
            B,
            OFFICE_READS_B,
        ),
        r(
            get.clone(),
            "/api/v1/offices/{office}/setup",
            A,
            OFFICE_READS_A,
        ),
        r(
            get.clone(),
            "/api/v1/offices/{office}/setup",
            B,
            OFFICE_READS_B,
        ),
        r(
            put.clone(),
            "/api/v1/offices/{office}/setup",
            A,
            OFFICE_WRITES_A,
        )
        .json(|ctx, _, _| {
            json!({"partner_org_id": ctx.org["corp"], "partnership_since": "2025-04-01",
                   "services": ["community_transition", "community_settlement"]})
        })
        .owner_read("/api/v1/offices/{office}/setup"),
        r(
            post.clone(),
            "/api/v1/offices/{office}/months/{month}/close",
            A,
            OFFICE_WRITES_A,
        ),
        r(
            post.clone(),
            "/api/v1/offices/{office}/months/{month}/close",
            B,
            OFFICE_WRITES_B,
        ),
        // --- a council's meeting report: the council alone -------------------------
        r(
            get.clone(),
            "/api/v1/councils/{council}/reports/meetings?from={from}&to={to}",
            A,
            [404, 404, 404, 404, 404, 404, 404, 200, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/councils/{council}/reports/meetings?from={from}&to={to}&format=csv",
            B,
            [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 401],
        ),
        // --- meetings, guidance sessions, written reports --------------------------
        r(
            get.clone(),
            "/api/v1/meetings?limit=200",
            A,
            [403, 200, 200, 200, 200, 200, 200, 403, 403, 403, 403, 401],
        )
        .listing(
            |o| &o.meeting,
            ["", "A", "A", "A", "B", "A", "B", "", "", "", "", ""],
        ),
        r(
            post.clone(),
            "/api/v1/meetings",
            A,
            [403, 201, 201, 403, 201, 403, 403, 403, 403, 403, 403, 401],
        )
        .json(|ctx, _, _| meeting_body(&ctx.org["corp"], &today_start(), &[]))
        .table("meetings"),
        r(
            get.clone(),
            "/api/v1/meetings/{meeting}",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/meetings/{meeting}",
            B,
            [404, 404, 404, 404, 200, 404, 200, 404, 404, 404, 404, 401],
        ),
        r(
            patch.clone(),
            "/api/v1/meetings/{meeting}",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .json(|ctx, _, _| meeting_patch(&ctx.org["corp"]))
        .owner_read("/api/v1/meetings/{meeting}"),
        r(
            patch.clone(),
            "/api/v1/meetings/{meeting}",
            B,
            [404, 404, 404, 404, 200, 404, 403, 404, 404, 404, 404, 401],
        )
        .json(|ctx, _, _| meeting_patch(&ctx.org["hsc"]))
        .owner_read("/api/v1/meetings/{meeting}"),
        r(
            get.clone(),
            "/api/v1/meetings/{meeting}/minutes",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 404, 404, 404, 401],
        ),
        r(
            put.clone(),
            "/api/v1/meetings/{meeting}/minutes",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .json(|_, _, _| json!({"text": "議事録の第二版"}))
        .owner_read("/api/v1/meetings/{meeting}"),
        r(
            post.clone(),
            "/api/v1/meetings/{locked}/amendments",
            A,
            [404, 201, 201, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .json(|_, _, _| json!({"fields": ["agenda"], "change": "議題の訂正", "reason": "誤記"}))
        .owner_read("/api/v1/meetings/{locked}"),
        r(
            post.clone(),
            "/api/v1/meetings/{locked}/amendments",
            B,
            [404, 404, 404, 404, 201, 404, 403, 404, 404, 404, 404, 401],
        )
        .json(|_, _, _| json!({"fields": ["agenda"], "change": "議題の訂正", "reason": "誤記"}))
        .owner_read("/api/v1/meetings/{locked}"),
        r(
            get.clone(),
            "/api/v1/guidance-sessions?limit=200",
            A,
            [403, 200, 200, 200, 200, 200, 403, 403, 403, 403, 403, 401],
        )
        .listing(
            |o| &o.session,
            ["", "A", "A", "A", "B", "AB", "", "", "", "", "", ""],
        ),
        r(
            post.clone(),
            "/api/v1/guidance-sessions",
            A,
            [403, 201, 201, 403, 422, 403, 403, 403, 403, 403, 403, 401],
        )
        .json(|ctx, o, _| {
            json!({"client_id": o.client, "corp_org_id": ctx.org["corp"],
                   "held_on": today().to_string(), "explained": "説明"})
        })
        .table("guidance_sessions"),
        r(
            get.clone(),
            "/api/v1/guidance-sessions/{session}",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/guidance-sessions/{session}",
            B,
            [404, 404, 404, 404, 200, 200, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/council-reports?limit=200",
            A,
            [403, 200, 200, 200, 200, 403, 403, 200, 403, 403, 403, 401],
        )
        .listing(
            |o| &o.report,
            ["", "A", "A", "A", "B", "", "", "A", "", "", "", ""],
        ),
        r(
            post.clone(),
            "/api/v1/council-reports",
            A,
            [403, 201, 201, 403, 201, 403, 403, 403, 403, 403, 403, 401],
        )
        .json(|_, o, _| report_body(&o.council))
        .table("council_reports"),
        r(
            get.clone(),
            "/api/v1/council-reports/{report}",
            A,
            [404, 200, 200, 200, 404, 404, 404, 200, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/council-reports/{draft}",
            A,
            [404, 200, 200, 200, 404, 404, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/council-reports/{report}",
            B,
            OFFICE_READS_B,
        ),
        r(
            patch.clone(),
            "/api/v1/council-reports/{draft}",
            A,
            OFFICE_WRITES_A,
        )
        .json(|_, o, _| report_body(&o.council))
        .owner_read("/api/v1/council-reports/{draft}"),
        r(
            post.clone(),
            "/api/v1/council-reports/{draft}/submit",
            A,
            OFFICE_WRITES_A,
        )
        .fresh(Fresh::Draft)
        .owner_read("/api/v1/council-reports/{draft}"),
        r(
            post.clone(),
            "/api/v1/council-reports/{draft}/submit",
            B,
            OFFICE_WRITES_B,
        )
        .fresh(Fresh::Draft)
        .owner_read("/api/v1/council-reports/{draft}"),
    ]
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
        for col in 0..CALLERS.len() {
            cells += 1;
            if let Err(why) = check(&app, &ctx, &shared, row, col).await {
                failures.push(format!(
                    "{} {} ({:?}) as {}: {why}",
                    row.method,
                    row.path,
                    row.side,
                    CALLERS[col].unwrap_or("anonymous")
                ));
            }
        }
    }
    let mut routes: Vec<(String, &str)> = rows
        .iter()
        .map(|r| (r.method.to_string(), r.path.split('?').next().unwrap()))
        .collect();
    routes.sort();
    routes.dedup();
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
