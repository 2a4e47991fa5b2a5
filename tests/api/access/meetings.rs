//! The access matrix of the 論点６ routes — meetings, joint guidance, council reports,
//! an office's set-up and month closing — called by every demo account and anonymously.
//! Here the kind of organisation matters more than the role, so every account has its
//! own column. The objects belong to office@; the rules spelled out:
//! - a meeting: office@'s people read it, its staff write it, corp@ (a partner of the
//!   meeting) only reads it; hsc@ (not at this one) and everyone else get 404;
//! - a guidance session: office@ and corp@; a report: office@, and council@ once it is
//!   submitted; the set-up and months: office@ alone;
//! - viewers never write (403); without a token everything is 401.

use reqwest::Method;
use serde_json::{Value, json};

use crate::clients::{consent_to_corp, new_client, today};
use crate::helpers::{TestApp, spawn_app};
use crate::meetings::{create_meeting, meeting_body, months_ago, send, today_start};
use crate::rentals::{etag_of, str_of};
use sumai_link::domain::year_month::YearMonth;

/// The callers, in the order of the expectation columns.
const CALLERS: [Option<&str>; 12] = [
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

#[derive(Clone, Copy)]
enum Etag {
    No,
    /// Read by office@ from this path just before the request.
    From(&'static str),
}

struct Row {
    method: Method,
    path: String,
    body: Option<Value>,
    etag: Etag,
    /// operator, office, office-staff, office-viewer, office2, corp, hsc, council,
    /// landlord, landlord2, agent, anonymous
    expect: [u16; 12],
}

fn row(method: Method, path: String, body: Option<Value>, etag: Etag, expect: [u16; 12]) -> Row {
    Row {
        method,
        path,
        body,
        etag,
        expect,
    }
}

struct Objects {
    meeting: String,
    locked: String,
    session: String,
    draft: String,
    submitted: String,
    office: String,
    corp: String,
    council: String,
    client: String,
}

async fn objects(app: &TestApp) -> Objects {
    let corp = app.org_of("corp").await;
    let council = app.org_of("council").await;
    let (m, _) = create_meeting(app, meeting_body(&corp, &today_start(), &[])).await;
    let (l, _) = create_meeting(app, meeting_body(&corp, &months_ago(2), &[])).await;
    let client = str_of(&new_client(app, "AX-0001").await, "id").to_owned();
    consent_to_corp(app, &client).await;
    let s: Value = app
        .post(
            "/api/v1/guidance-sessions",
            "office",
            json!({"client_id": client, "corp_org_id": corp, "held_on": today().to_string(), "explained": "説明"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let report = |t: &str| json!({"council_org_id": council, "title": t, "issue_categories": ["rent_level"], "issues_text": "家賃水準"});
    let draft: Value = app
        .post("/api/v1/council-reports", "office", report("下書き"))
        .await
        .json()
        .await
        .unwrap();
    let res = app
        .post("/api/v1/council-reports", "office", report("提出"))
        .await;
    let etag = etag_of(&res);
    let sub: Value = res.json().await.unwrap();
    let path = format!("/api/v1/council-reports/{}/submit", str_of(&sub, "id"));
    assert_eq!(
        send(app, Method::POST, &path, "office", Some(&etag), None)
            .await
            .status(),
        200
    );
    Objects {
        meeting: str_of(&m, "id").into(),
        locked: str_of(&l, "id").into(),
        session: str_of(&s, "id").into(),
        draft: str_of(&draft, "id").into(),
        submitted: str_of(&sub, "id").into(),
        office: app.org_of("office").await,
        corp,
        council,
        client,
    }
}

fn table(o: &Objects) -> Vec<Row> {
    let (get, post, patch, put) = (Method::GET, Method::POST, Method::PATCH, Method::PUT);
    let m = format!("/api/v1/meetings/{}", o.meeting);
    let mut patch_body = meeting_body(&o.corp, &today_start(), &[]);
    patch_body["minutes"] = Value::Null;
    let report = json!({"council_org_id": o.council, "title": "t", "issue_categories": ["guarantor"], "issues_text": "x"});
    let session = json!({"client_id": o.client, "corp_org_id": o.corp, "held_on": today().to_string(), "explained": "説明"});
    let setup = json!({"partner_org_id": o.corp, "partnership_since": "2025-04-01", "services": ["community_transition"]});
    let last_month = YearMonth::of(today()).prev();
    vec![
        row(
            get.clone(),
            "/api/v1/meetings".into(),
            None,
            Etag::No,
            [403, 200, 200, 200, 200, 200, 200, 403, 403, 403, 403, 401],
        ),
        row(
            post.clone(),
            "/api/v1/meetings".into(),
            Some(meeting_body(&o.corp, &today_start(), &[])),
            Etag::No,
            [403, 201, 201, 403, 201, 403, 403, 403, 403, 403, 403, 401],
        ),
        row(
            get.clone(),
            m.clone(),
            None,
            Etag::No,
            [404, 200, 200, 200, 404, 200, 404, 404, 404, 404, 404, 401],
        ),
        row(
            patch,
            m.clone(),
            Some(patch_body),
            Etag::From("meeting"),
            [404, 200, 200, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        ),
        row(
            get.clone(),
            format!("{m}/minutes"),
            None,
            Etag::No,
            [404, 200, 200, 200, 404, 200, 404, 404, 404, 404, 404, 401],
        ),
        row(
            put.clone(),
            format!("{m}/minutes"),
            Some(json!({"text": "議事録"})),
            Etag::From("meeting"),
            [404, 200, 200, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        ),
        row(
            post.clone(),
            format!("/api/v1/meetings/{}/amendments", o.locked),
            Some(json!({"fields": ["agenda"], "change": "議題の訂正", "reason": "誤記"})),
            Etag::No,
            [404, 201, 201, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        ),
        row(
            get.clone(),
            "/api/v1/guidance-sessions".into(),
            None,
            Etag::No,
            [403, 200, 200, 200, 200, 200, 403, 403, 403, 403, 403, 401],
        ),
        row(
            post.clone(),
            "/api/v1/guidance-sessions".into(),
            Some(session),
            Etag::No,
            [403, 201, 201, 403, 422, 403, 403, 403, 403, 403, 403, 401],
        ),
        row(
            get.clone(),
            format!("/api/v1/guidance-sessions/{}", o.session),
            None,
            Etag::No,
            [404, 200, 200, 200, 404, 200, 404, 404, 404, 404, 404, 401],
        ),
        row(
            get.clone(),
            "/api/v1/council-reports".into(),
            None,
            Etag::No,
            [403, 200, 200, 200, 200, 403, 403, 200, 403, 403, 403, 401],
        ),
        row(
            post.clone(),
            "/api/v1/council-reports".into(),
            Some(report.clone()),
            Etag::No,
            [403, 201, 201, 403, 201, 403, 403, 403, 403, 403, 403, 401],
        ),
        row(
            get.clone(),
            format!("/api/v1/council-reports/{}", o.draft),
            None,
            Etag::No,
            [404, 200, 200, 200, 404, 404, 404, 404, 404, 404, 404, 401],
        ),
        row(
            get.clone(),
            format!("/api/v1/council-reports/{}", o.submitted),
            None,
            Etag::No,
            [404, 200, 200, 200, 404, 404, 404, 200, 404, 404, 404, 401],
        ),
        row(
            Method::PATCH,
            format!("/api/v1/council-reports/{}", o.draft),
            Some(report),
            Etag::From("draft"),
            [404, 200, 200, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        ),
        row(
            get,
            format!("/api/v1/offices/{}/setup", o.office),
            None,
            Etag::No,
            [404, 200, 200, 200, 404, 404, 404, 404, 404, 404, 404, 401],
        ),
        row(
            put,
            format!("/api/v1/offices/{}/setup", o.office),
            Some(setup),
            Etag::From("setup"),
            [404, 200, 200, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        ),
        row(
            post,
            format!("/api/v1/offices/{}/months/{last_month}/close", o.office),
            None,
            Etag::No,
            [404, 200, 200, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        ),
    ]
}

#[tokio::test]
async fn every_meetings_route_answers_every_kind_of_caller_as_the_access_rules_say() {
    let app = spawn_app().await;
    let o = objects(&app).await;
    let mut failures = Vec::new();
    let mut cells = 0;
    for r in table(&o) {
        for (i, caller) in CALLERS.iter().enumerate() {
            cells += 1;
            let etag = match r.etag {
                Etag::No => None,
                Etag::From(what) => {
                    let path = match what {
                        "meeting" => format!("/api/v1/meetings/{}", o.meeting),
                        "draft" => format!("/api/v1/council-reports/{}", o.draft),
                        _ => format!("/api/v1/offices/{}/setup", o.office),
                    };
                    Some(etag_of(&app.get(&path, "office").await))
                }
            };
            let res = match caller {
                Some(a) => {
                    send(
                        &app,
                        r.method.clone(),
                        &r.path,
                        a,
                        etag.as_deref(),
                        r.body.clone(),
                    )
                    .await
                }
                None => {
                    let mut req = app.client.request(r.method.clone(), app.url(&r.path));
                    if let Some(b) = &r.body {
                        req = req.json(b);
                    }
                    req.send().await.unwrap()
                }
            };
            let status = res.status().as_u16();
            if status != r.expect[i] {
                let text = res.text().await.unwrap_or_default();
                failures.push(format!(
                    "{} {} as {}: expected {}, got {status}: {text}",
                    r.method,
                    r.path,
                    caller.unwrap_or("anonymous"),
                    r.expect[i]
                ));
            } else if status >= 400 {
                let ct = res
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                if ct != "application/problem+json" {
                    failures.push(format!("{} {}: a refusal as {ct}", r.method, r.path));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells are wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
