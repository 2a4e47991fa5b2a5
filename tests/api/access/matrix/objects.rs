//! The objects of the matrix's two sides, made through the API as their owners.

use std::collections::HashMap;

use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};
use sumai_link::domain::year_month::YearMonth;

use super::CALLERS;
use crate::clients::{client_body, needs_body, today};
use crate::helpers::TestApp;
use crate::meetings::{meeting_body, months_ago, today_start};
use crate::rentals::{sample, with};
use crate::support_sheets::sections;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

impl Side {
    pub fn office(self) -> &'static str {
        match self {
            Side::A => "office",
            Side::B => "office2",
        }
    }
    pub fn landlord(self) -> &'static str {
        match self {
            Side::A => "landlord",
            Side::B => "landlord2",
        }
    }
}

/// What a row needs made afresh for each request, because a success would change what
/// later requests see (or because the object may exist only once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fresh {
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

pub fn unique() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

pub async fn ok(
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

pub fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

/// Sends one request; returns status, content type and body text.
pub async fn send(
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
pub fn import_csv() -> String {
    let file = include_str!("../../../../examples/rentals.csv");
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

pub fn rental_body(ctx: &Ctx, side: Side) -> Value {
    let mut b = with(
        sample(),
        json!({"building_name": format!("試験荘 {}", unique()), "unit_number": unique()[24..].to_owned()}),
    );
    if side == Side::A {
        b["agent_org_id"] = json!(ctx.org["agent"]);
    }
    b
}

pub async fn new_rental(app: &TestApp, ctx: &Ctx, side: Side) -> String {
    id(&ok(
        app,
        Method::POST,
        "/api/v1/rentals",
        side.landlord(),
        Some(rental_body(ctx, side)),
    )
    .await)
}

pub fn consent(purpose: &str, recipient: Option<&str>, section: Option<&str>) -> Value {
    json!({"purpose": purpose, "recipient_org_id": recipient, "sheet_section": section,
           "method": "written", "given_on": (today() - Duration::days(1)).to_string()})
}

/// A client of the side's office with its consents: to its landlord (and on side A to
/// agent@ and corp@), to be discussed at meetings, and the sheet sections network,
/// schedule, scenarios and review for its landlord (and network for agent@). Returns the
/// client, the consent to corp@ (A) or to the landlord (B), and the pseudonym.
pub async fn new_client(app: &TestApp, ctx: &Ctx, side: Side) -> (String, String, String) {
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
pub fn full_client(ctx: &Ctx, side: Side, code: &str) -> Value {
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

pub async fn new_inquiry(app: &TestApp, side: Side, client: &str, rental: &str) -> String {
    id(&ok(
        app,
        Method::POST,
        "/api/v1/inquiries",
        side.office(),
        Some(json!({"client_id": client, "rental_id": rental, "note": "ご提案します"})),
    )
    .await)
}

pub async fn new_sheet(app: &TestApp, side: Side, client: &str) -> String {
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

pub async fn new_concern(app: &TestApp, side: Side, sheet: &str) -> String {
    id(&ok(
        app,
        Method::POST,
        &format!("/api/v1/support-sheets/{sheet}/concerns"),
        side.landlord(),
        Some(json!({"kind": "noise_complaint", "note": "夜に物音がすると苦情"})),
    )
    .await)
}

pub async fn new_webhook(app: &TestApp, side: Side) -> String {
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

pub async fn new_delivery(app: &TestApp, side: Side, webhook: &str) -> String {
    id(&ok(
        app,
        Method::POST,
        &format!("/api/v1/webhooks/{webhook}/ping"),
        side.office(),
        None,
    )
    .await)
}

pub fn report_body(council: &str) -> Value {
    json!({"council_org_id": council, "title": "住まいの課題", "issue_categories": ["rent_level"],
           "issues_text": "家賃水準が高い"})
}

pub async fn new_draft(app: &TestApp, side: Side, council: &str) -> String {
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
    pub async fn fresh(&self, app: &TestApp, ctx: &Ctx, side: Side, f: Fresh) -> Self {
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

    pub fn fill(&self, template: &str) -> String {
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
