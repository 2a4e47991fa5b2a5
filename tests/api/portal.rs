//! The landlord portal over HTTP, as a browser without JavaScript uses it: cookies,
//! forms, redirects. The headless-Chromium tests are in `portal_browser.rs`.

use std::collections::HashMap;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;

use crate::helpers::{DEMO_PASSWORD, TestApp, email, spawn_app};

/// A cookie jar and the forms of one person's browser.
pub struct Browser<'a> {
    app: &'a TestApp,
    cookies: HashMap<String, String>,
    pub csrf: String,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
    pub set_cookies: Vec<String>,
    pub content_type: String,
}

fn hidden(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')?;
    Some(body[start..start + end].to_owned())
}

fn encode(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: HashMap::new(),
            csrf: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn page(&mut self, res: reqwest::Response) -> Page {
        let status = res.status();
        let location = res
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let content_type = res
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let set_cookies: Vec<String> = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let body = if content_type.starts_with("application/pdf") {
            String::new()
        } else {
            res.text().await.unwrap()
        };
        if let Some(t) = hidden(&body, "csrf_token") {
            self.csrf = t;
        }
        Page {
            status,
            location,
            body,
            set_cookies,
            content_type,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let res = self
            .app
            .client
            .get(self.app.url(path))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.page(res).await
    }

    /// Posts a form; the session's CSRF token is added unless `csrf` is false.
    pub async fn post(&mut self, path: &str, pairs: &[(&str, &str)], csrf: bool) -> Page {
        let mut all: Vec<(&str, &str)> = pairs.to_vec();
        let token = self.csrf.clone();
        if csrf {
            all.push(("csrf_token", &token));
        }
        let res = self
            .app
            .client
            .post(self.app.url(path))
            .header(COOKIE, self.cookie_header())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(encode(&all))
            .send()
            .await
            .unwrap();
        self.page(res).await
    }

    pub async fn login(&mut self, account: &str) -> Page {
        let form = self.get("/portal/login").await;
        assert_eq!(form.status, StatusCode::OK);
        self.post(
            "/portal/login",
            &[("email", &email(account)), ("password", DEMO_PASSWORD)],
            true,
        )
        .await
    }

    pub fn has_session(&self) -> bool {
        self.cookies.contains_key("sumai_portal")
    }
}

/// A browser logged in as a demo account.
pub async fn logged_in<'a>(app: &'a TestApp, account: &str) -> Browser<'a> {
    let mut b = Browser::new(app);
    let page = b.login(account).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/portal/rentals"));
    b.get("/portal/rentals").await;
    b
}

/// A valid rental form for landlord@ (札幌市中央区).
pub fn rental_form<'f>(
    registration: &'f str,
    rent: &'f str,
    unit_floor: &'f str,
) -> Vec<(&'f str, &'f str)> {
    vec![
        ("registration_number", registration),
        ("registration_date", "2024-04-01"),
        ("postal_code", "060-0001"),
        ("prefecture_code", "01"),
        ("municipality_code", "011011"),
        ("municipality_name", "札幌市中央区"),
        ("address_line", "北1条西9丁目3-10"),
        ("latitude", "43.0605"),
        ("longitude", "141.3428"),
        ("building_name", "ポータル荘"),
        ("unit_number", "201"),
        ("structure", "wood"),
        ("year_built", "1999"),
        ("quake_resistant", "on"),
        ("floors_total", "2"),
        ("unit_floor", unit_floor),
        ("floor_area_m2", "24.5"),
        ("layout", "1K"),
        ("rent", rent),
        ("common_fee", "3,000"),
        ("deposit", "0"),
        ("key_money", "0"),
        ("guarantee_company_accepted", "on"),
        ("accepted_categories", "disability_mental"),
        ("accepted_categories", "disability_physical"),
        ("accessibility", "handrails"),
        ("conditions", "support_sheet"),
        ("vacancy", "vacant"),
    ]
}

async fn mine(app: &TestApp, account: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = if cursor.is_empty() {
            "/api/v1/rentals/mine?limit=200".to_owned()
        } else {
            format!("/api/v1/rentals/mine?limit=200&cursor={cursor}")
        };
        let page: Value = app.get(&path, account).await.json().await.unwrap();
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return out,
        }
    }
}

#[tokio::test]
async fn a_landlord_registers_a_rental_after_fixing_the_errors_shown_in_japanese() {
    let app = spawn_app().await;
    let mut b = logged_in(&app, "landlord").await;
    let before = mine(&app, "landlord").await.len();

    // Without the form's token nothing is stored.
    let page = b
        .post(
            "/portal/rentals",
            &rental_form("01-777001", "45000", "2"),
            false,
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // A rent that is not a number and a floor above the building's: both shown, in
    // Japanese, next to their fields, with what was typed kept.
    let page = b
        .post(
            "/portal/rentals",
            &rental_form("01-777001", "四万五千", "5"),
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("入力内容に誤りがあります"),
        "{}",
        page.body
    );
    assert!(page.body.contains("半角数字（整数）で入力してください。"));
    assert!(
        page.body
            .contains("建物の階数（2階）より上の階は入力できません。")
    );
    assert!(page.body.contains("id=\"rent-error\""));
    assert!(
        page.body
            .contains("aria-invalid=\"true\" aria-describedby=\"unit_floor-error\"")
    );
    assert!(page.body.contains("value=\"四万五千\""));
    assert!(page.body.contains("value=\"ポータル荘\""));
    assert_eq!(mine(&app, "landlord").await.len(), before, "nothing stored");

    // Fixed: stored, and the list says so.
    let page = b
        .post(
            "/portal/rentals",
            &rental_form("01-777001", "45,000", "2"),
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let all = mine(&app, "landlord").await;
    assert_eq!(all.len(), before + 1);
    let r = all
        .iter()
        .find(|r| r["registration_number"] == "01-777001")
        .expect("the new rental");
    assert_eq!(r["rent"], 45000);
    assert_eq!(r["common_fee"], 3000);
    assert_eq!(r["building_name"], "ポータル荘");
    assert_eq!(r["accepted_categories"].as_array().unwrap().len(), 2);
    let id = r["id"].as_str().unwrap().to_owned();
    let created = format!("/portal/rentals/{id}/edit?done=created");
    assert_eq!(page.location.as_deref(), Some(created.as_str()));
    assert!(b.get(&created).await.body.contains("物件を登録しました。"));

    // The same registration again is the store's error, on its field.
    let page = b
        .post(
            "/portal/rentals",
            &rental_form("01-777001", "45000", "2"),
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("すでに登録されています"));

    // Searchable by support offices at once.
    let found: Value = app
        .get(
            "/api/v1/rentals?near=43.0605,141.3428&radius_m=200&vacant=true",
            "office",
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id.as_str())
    );

    // Edit: the form comes filled; a change is saved as a new version.
    let page = b.get(&format!("/portal/rentals/{id}/edit")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"45000\""));
    let version = hidden(&page.body, "version").unwrap();
    let mut edited = rental_form("01-777001", "47000", "2");
    edited.push(("version", &version));
    let page = b
        .post(&format!("/portal/rentals/{id}"), &edited, true)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let r: Value = app
        .get(&format!("/api/v1/rentals/{id}"), "landlord")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["rent"], 47000);
    assert_eq!(r["version"], 2);

    // A stale version is refused and nothing changes.
    let page = b
        .post(&format!("/portal/rentals/{id}"), &edited, true)
        .await;
    assert_eq!(page.status, StatusCode::PRECONDITION_FAILED);

    // Occupied, then vacant again, from the list.
    let page = b
        .post(
            &format!("/portal/rentals/{id}/vacancy"),
            &[("vacancy", "occupied"), ("version", "2")],
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let r: Value = app
        .get(&format!("/api/v1/rentals/{id}"), "landlord")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["vacancy"], "occupied");
    let history: Value = app
        .get(&format!("/api/v1/rentals/{id}/history"), "landlord")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history.as_array().unwrap().len(), 3);
    let list = b.get("/portal/rentals?done=occupied").await;
    assert!(list.body.contains("入居中にしました。"));
    // The list pages through every rental; the new one offers to be made vacant again.
    let mut page = list;
    let mut pages = 1;
    while !page.body.contains("ポータル荘 201号室 を空室にする") {
        let next = page
            .body
            .split("href=\"/portal/rentals?cursor=")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the new rental on some page")
            .to_owned();
        page = b.get(&format!("/portal/rentals?cursor={next}")).await;
        pages += 1;
        assert!(pages < 20);
    }
    assert!(pages > 1, "50 rentals a page");
}

#[tokio::test]
async fn login_is_refused_for_wrong_passwords_and_for_organisations_outside_the_portal() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    b.get("/portal/login").await;
    let page = b
        .post(
            "/portal/login",
            &[
                ("email", &email("landlord")),
                ("password", "wrong-password-1"),
            ],
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(
        page.body
            .contains("メールアドレスまたはパスワードが違います。")
    );
    assert!(!b.has_session());

    // The login form's token is bound to its cookie.
    let mut other = Browser::new(&app);
    other.csrf = "forged".into();
    let page = other
        .post(
            "/portal/login",
            &[("email", &email("landlord")), ("password", DEMO_PASSWORD)],
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!other.has_session());

    for account in ["office", "corp", "council", "operator"] {
        let mut b = Browser::new(&app);
        let page = b.login(account).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{account}");
        assert!(page.body.contains("家主・管理会社"));
        assert!(!b.has_session(), "{account} got a session");
    }

    // Pages without a session go to the login, and back after it.
    let mut b = Browser::new(&app);
    let page = b.get("/portal/inquiries").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/portal/login?next=%2Fportal%2Finquiries")
    );
    b.get("/portal/login?next=%2Fportal%2Finquiries").await;
    let page = b
        .post(
            "/portal/login",
            &[
                ("email", &email("agent")),
                ("password", DEMO_PASSWORD),
                ("next", "/portal/inquiries"),
            ],
            true,
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/portal/inquiries"));
    // …but never to another site.
    let mut b = Browser::new(&app);
    b.get("/portal/login").await;
    let page = b
        .post(
            "/portal/login",
            &[
                ("email", &email("landlord")),
                ("password", DEMO_PASSWORD),
                ("next", "//evil.example/portal"),
            ],
            true,
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/portal/rentals"));
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_and_secure_behind_tls_and_logout_ends_it() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    b.get("/portal/login").await;
    let page = b
        .post(
            "/portal/login",
            &[("email", &email("landlord")), ("password", DEMO_PASSWORD)],
            true,
        )
        .await;
    let cookie = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("sumai_portal="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/portal"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");

    // Behind a TLS-terminating proxy the cookie is Secure.
    let res = app
        .client
        .get(app.url("/portal/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let c = res.headers().get(SET_COOKIE).unwrap().to_str().unwrap();
    assert!(c.contains("Secure"), "{c}");

    let old_cookie = b.cookie_header();
    let list = b.get("/portal/rentals").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.body.matches("name=\"csrf_token\"").count(),
        list.body.matches("<form method=\"post\"").count(),
        "every form carries the token"
    );
    let page = b.post("/portal/logout", &[], true).await;
    assert_eq!(page.location.as_deref(), Some("/portal/login?done=logout"));
    // The old cookie opens nothing any more.
    let res = app
        .client
        .get(app.url("/portal/rentals"))
        .header(COOKIE, old_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// The landlord@ inquiries of the demo that are still open, by status.
async fn open_inquiries(app: &TestApp) -> Vec<Value> {
    let page: Value = app
        .get("/api/v1/inquiries?limit=200", "landlord")
        .await
        .json()
        .await
        .unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            ["proposed", "viewing_scheduled", "applied"].contains(&i["status"].as_str().unwrap())
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_landlord_sees_what_the_client_shared_and_accepts_declines_or_schedules_a_viewing() {
    let app = spawn_app().await;
    let mut b = logged_in(&app, "landlord").await;
    let open = open_inquiries(&app).await;
    assert!(open.len() >= 3, "{open:?}");
    let list = b.get("/portal/inquiries").await;
    assert_eq!(list.status, StatusCode::OK);
    for i in &open {
        assert!(list.body.contains(i["id"].as_str().unwrap()));
    }

    let applied = open.iter().find(|i| i["status"] == "applied").unwrap();
    let id = applied["id"].as_str().unwrap();
    let page = b.get(&format!("/portal/inquiries/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // The pseudonym and age band, never the name.
    let office_view: Value = app
        .get(&format!("/api/v1/inquiries/{id}"), "office")
        .await
        .json()
        .await
        .unwrap();
    let client_id = office_view["client"]["id"].as_str().unwrap();
    let client: Value = app
        .get(&format!("/api/v1/clients/{client_id}"), "office")
        .await
        .json()
        .await
        .unwrap();
    assert!(page.body.contains(client["display_code"].as_str().unwrap()));
    assert!(!page.body.contains(client["name"].as_str().unwrap()));
    assert!(page.body.contains("入居を承諾する"));

    // Declining needs a reason: refused without one, nothing changes.
    let version = hidden(&page.body, "version").unwrap();
    let refused = b
        .post(
            &format!("/portal/inquiries/{id}/step"),
            &[("to", "declined"), ("version", &version)],
            true,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("お断りの理由を選んでください。"));
    let same: Value = app
        .get(&format!("/api/v1/inquiries/{id}"), "landlord")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(same["status"], "applied");

    let done = b
        .post(
            &format!("/portal/inquiries/{id}/step"),
            &[
                ("to", "accepted"),
                ("version", &version),
                ("note", "よろしくお願いします"),
            ],
            true,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after: Value = app
        .get(&format!("/api/v1/inquiries/{id}"), "office")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["status"], "accepted");
    let shown = b.get(done.location.as_deref().unwrap()).await;
    assert!(shown.body.contains("入居を承諾しました。"));
    assert!(!shown.body.contains("入居を承諾する</button>"));

    // Decline another with a reason from the concern list.
    let other = open.iter().find(|i| i["status"] == "proposed").unwrap();
    let oid = other["id"].as_str().unwrap();
    let page = b.get(&format!("/portal/inquiries/{oid}")).await;
    let version = hidden(&page.body, "version").unwrap();
    let done = b
        .post(
            &format!("/portal/inquiries/{oid}/step"),
            &[
                ("to", "declined"),
                ("version", &version),
                ("decline_reason", "death_in_flat"),
                ("decline_note", "前に孤独死があり不安です"),
            ],
            true,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after: Value = app
        .get(&format!("/api/v1/inquiries/{oid}"), "office")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["status"], "declined");
    assert_eq!(after["decline_reason"], "death_in_flat");
    assert_eq!(after["withdraw_reason"], Value::Null);

    // A viewing, typed in Tokyo time.
    let viewing = open
        .iter()
        .find(|i| i["status"] == "viewing_scheduled")
        .unwrap();
    let vid = viewing["id"].as_str().unwrap();
    let page = b.get(&format!("/portal/inquiries/{vid}")).await;
    let version = hidden(&page.body, "version").unwrap();
    let past = b
        .post(
            &format!("/portal/inquiries/{vid}/step"),
            &[
                ("to", "viewing_scheduled"),
                ("version", &version),
                ("viewing_at", "2020-01-01T10:00"),
            ],
            true,
        )
        .await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(past.body.contains("これから先の日時を入力してください。"));
    let when = (chrono::Utc::now() + chrono::Duration::days(5))
        .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap())
        .format("%Y-%m-%dT10:30")
        .to_string();
    let done = b
        .post(
            &format!("/portal/inquiries/{vid}/step"),
            &[
                ("to", "viewing_scheduled"),
                ("version", &version),
                ("viewing_at", &when),
            ],
            true,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after: Value = app
        .get(&format!("/api/v1/inquiries/{vid}"), "landlord")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        after["viewing_at"].as_str().unwrap().ends_with("01:30:00Z"),
        "{after}"
    );
}

/// The demo's tenant HM-0001, whose sheet landlord@ may partly see.
async fn demo_sheet(app: &TestApp) -> String {
    let sheets: Value = app
        .get("/api/v1/support-sheets", "landlord")
        .await
        .json()
        .await
        .unwrap();
    sheets["items"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_landlord_sees_the_tenants_emergency_contacts_opens_the_pdf_and_reports_a_concern() {
    let app = spawn_app().await;
    let sheet = demo_sheet(&app).await;
    let mut b = logged_in(&app, "landlord").await;
    let page = b.get("/portal/tenants").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("id=\"tenant-{sheet}\"")));
    assert!(page.body.contains("緊急時の連絡先"));
    assert!(page.body.contains("href=\"tel:"));
    // His own words and his payment are not shared with landlord@.
    let full: Value = app
        .get(&format!("/api/v1/support-sheets/{sheet}"), "office")
        .await
        .json()
        .await
        .unwrap();
    let own_words = full["sections"]["person"]["own_words"].as_str().unwrap();
    assert!(!page.body.contains(own_words));

    let pdf = b.get(&format!("/portal/sheets/{sheet}/pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.content_type, "application/pdf");

    let before: Value = app
        .get(
            &format!("/api/v1/support-sheets/{sheet}/concerns"),
            "office",
        )
        .await
        .json()
        .await
        .unwrap();
    let done = b
        .post(
            &format!("/portal/tenants/{sheet}/concerns"),
            &[("kind", "no_answer"), ("note", "3日続けて応答がありません")],
            true,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after: Value = app
        .get(
            &format!("/api/v1/support-sheets/{sheet}/concerns"),
            "office",
        )
        .await
        .json()
        .await
        .unwrap();
    let items = after["items"].as_array().unwrap();
    assert_eq!(items.len(), before["items"].as_array().unwrap().len() + 1);
    assert_eq!(items[0]["kind"], "no_answer");
    assert_eq!(items[0]["note"], "3日続けて応答がありません");
    let page = b.get("/portal/tenants?done=concern").await;
    assert!(page.body.contains("お知らせしました。"));
    assert!(page.body.contains("訪問しても応答がない →"));

    // A bad kind is refused and nothing is stored.
    let bad = b
        .post(
            &format!("/portal/tenants/{sheet}/concerns"),
            &[("kind", "fire")],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let again: Value = app
        .get(
            &format!("/api/v1/support-sheets/{sheet}/concerns"),
            "office",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["items"].as_array().unwrap().len(), items.len());

    // The views were recorded in the client's provision log.
    let client = full["client_id"].as_str().unwrap();
    let provisions: Value = app
        .get(&format!("/api/v1/clients/{client}/provisions"), "office")
        .await
        .json()
        .await
        .unwrap();
    let landlord_org: Value = app
        .get("/api/v1/me", "landlord")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        provisions
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["recipient_org_id"] == landlord_org["organization_id"]),
        "{provisions}"
    );
}

#[tokio::test]
async fn another_landlord_reaches_none_of_the_first_landlords_pages() {
    let app = spawn_app().await;
    let rental = mine(&app, "landlord").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let inquiry = open_inquiries(&app).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sheet = demo_sheet(&app).await;
    let mut b = logged_in(&app, "landlord2").await;
    for path in [
        format!("/portal/rentals/{rental}/edit"),
        format!("/portal/inquiries/{inquiry}"),
        format!("/portal/sheets/{sheet}/pdf"),
        format!("/portal/sheets/{sheet}"),
    ] {
        let page = b.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.body.contains("ページが見つかりません"), "{path}");
    }
    let page = b
        .post(
            &format!("/portal/rentals/{rental}/vacancy"),
            &[("vacancy", "occupied"), ("version", "1")],
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = b
        .post(
            &format!("/portal/inquiries/{inquiry}/step"),
            &[("to", "accepted"), ("version", "1")],
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = b
        .post(
            &format!("/portal/tenants/{sheet}/concerns"),
            &[("kind", "rent_late")],
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let tenants = b.get("/portal/tenants").await;
    assert!(!tenants.body.contains(&sheet));
    let list = b.get("/portal/rentals").await;
    assert!(!list.body.contains(&rental));
    let inquiries = b.get("/portal/inquiries").await;
    assert!(!inquiries.body.contains(&inquiry));
    // Nothing changed.
    let r: Value = app
        .get(&format!("/api/v1/rentals/{rental}"), "landlord")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["version"], 1);
}

#[tokio::test]
async fn passwords_are_changed_by_their_user_and_reset_by_the_organisations_admin() {
    let app = spawn_app().await;
    let mut b = logged_in(&app, "landlord").await;
    let page = b.get("/portal/account").await;
    assert!(page.body.contains("組織のユーザー"));
    let bad = b
        .post(
            "/portal/account/password",
            &[
                ("current_password", "not-my-password"),
                ("new_password", "short"),
                ("new_password_again", "other"),
            ],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("現在のパスワードが正しくありません。"));
    assert!(bad.body.contains("10文字以上にしてください。"));
    assert!(bad.body.contains("同じパスワードをもう一度"));
    let new = "portal-new-pass-2026";
    let ok = b
        .post(
            "/portal/account/password",
            &[
                ("current_password", DEMO_PASSWORD),
                ("new_password", new),
                ("new_password_again", new),
            ],
            true,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    // This browser goes on; the API needs the new password.
    assert_eq!(
        b.get("/portal/account?done=password").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.login_response(&email("landlord"), DEMO_PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login_response(&email("landlord"), new).await.status(),
        StatusCode::OK
    );

    // A user who is not the admin sees no user list and cannot reset anyone.
    let staff_id = {
        let users: Value = app
            .get("/api/v1/users", "landlord2")
            .await
            .json()
            .await
            .unwrap();
        users["items"][0]["id"].as_str().unwrap().to_owned()
    };
    let page = b
        .post(
            &format!("/portal/users/{staff_id}/password"),
            &[("new_password", "another-pass-2026")],
            true,
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::NOT_FOUND,
        "another organisation's user"
    );
}

fn multipart(csrf: &str, mode: &str, csv: &str) -> (String, Vec<u8>) {
    let boundary = "----sumaiportaltest7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in [("csrf_token", csrf), ("mode", mode)] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rentals.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(csv.as_bytes());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Browser<'_> {
    async fn upload(&mut self, csrf: &str, mode: &str, csv: &str) -> Page {
        let (content_type, body) = multipart(csrf, mode, csv);
        let res = self
            .app
            .client
            .post(self.app.url("/portal/rentals/import"))
            .header(COOKIE, self.cookie_header())
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        self.page(res).await
    }
}

#[tokio::test]
async fn a_csv_upload_stores_every_row_or_none_and_shows_the_row_report() {
    let app = spawn_app().await;
    let mut b = logged_in(&app, "landlord").await;
    let page = b.get("/portal/rentals/import").await;
    assert_eq!(page.status, StatusCode::OK);
    let example = b.get("/portal/rentals/import/example.csv").await;
    assert!(example.content_type.starts_with("text/csv"));
    assert!(example.body.starts_with("所有者ID,"));
    let before = mine(&app, "landlord").await.len();
    let csrf = b.csrf.clone();

    // Without the token nothing is imported.
    let csv = example.body.replace("01-10000", "01-55500");
    let page = b.upload("forged", "all", &csv).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(mine(&app, "landlord").await.len(), before);

    // One bad row in all-or-nothing mode: nothing stored, the row and column named.
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    let mut cells: Vec<&str> = lines[3].split(',').collect();
    assert_eq!(lines[0].split(',').nth(21), Some("間取り"));
    cells[21] = "9ZZ";
    lines[3] = cells.join(",");
    let bad = lines.join("\n");
    let page = b.upload(&csrf, "all", &bad).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains("何も登録していません"), "{}", page.body);
    assert!(page.body.contains("id=\"import-report\""));
    assert!(
        page.body.contains("<td data-label=\"行\">3行目</td>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<td data-label=\"列\">間取り</td>"));
    assert!(page.body.contains("間取りを選んでください"));
    assert_eq!(mine(&app, "landlord").await.len(), before);

    // The same file keeping the good rows.
    let page = b.upload(&csrf, "partial", &bad).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("9件を登録しました。"), "{}", page.body);
    assert_eq!(mine(&app, "landlord").await.len(), before + 9);

    // A good file in all-or-nothing mode.
    let page = b
        .upload(&csrf, "all", &example.body.replace("01-10000", "01-66600"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("10件の物件を登録しました。"));
    assert_eq!(mine(&app, "landlord").await.len(), before + 19);

    // No file chosen.
    let page = b.upload(&csrf, "all", "").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("CSVファイルを選んでください。"));
}

#[tokio::test]
async fn an_agent_registers_a_rental_for_the_landlord_it_names() {
    let app = spawn_app().await;
    let landlord: Value = app
        .get("/api/v1/me", "landlord")
        .await
        .json()
        .await
        .unwrap();
    let agent: Value = app.get("/api/v1/me", "agent").await.json().await.unwrap();
    let landlord_org = landlord["organization_id"].as_str().unwrap();
    let mut b = logged_in(&app, "agent").await;
    let page = b.get("/portal/rentals/new").await;
    assert!(
        page.body
            .contains(&format!("<option value=\"{landlord_org}\""))
    );

    // Without the landlord it acts for: the field's error, nothing stored.
    let page = b
        .post(
            "/portal/rentals",
            &rental_form("01-777101", "45000", "1"),
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("家主を選んでください。"),
        "{}",
        page.body
    );

    let mut form = rental_form("01-777101", "45000", "1");
    form.push(("owner_org_id", landlord_org));
    // An agent field in the form is ignored: the agent is the one who registers.
    form.push(("agent_org_id", landlord_org));
    let page = b.post("/portal/rentals", &form, true).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let r = mine(&app, "landlord")
        .await
        .into_iter()
        .find(|r| r["registration_number"] == "01-777101")
        .expect("the landlord sees the rental its agent registered");
    assert_eq!(r["owner_org_id"], landlord["organization_id"]);
    assert_eq!(r["agent_org_id"], agent["organization_id"]);
}
