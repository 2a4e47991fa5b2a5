//! The access matrix: every `/api/v1` route of organisations, users, API keys and `/me`,
//! called by every demo account (and anonymously) on objects of its own organisation and
//! of another one.
//!
//! The expectations are written out per row and caller class rather than derived from
//! `src/auth/policy.rs`, so that a change in the policy makes this test fail. The rules
//! they spell out:
//! - another organisation's object is 404 for everyone but the operator: never 200, never
//!   its data;
//! - staff and viewers read their own organisation and list its users, but writing its
//!   users or keys, or even reading its keys, is 403;
//! - the operator's administrator reads and changes any organisation and its users and
//!   may revoke any key, but cannot create a key for another organisation;
//! - without a token every route is 401.

mod bopla;
mod mass_assignment;
mod matrix;
mod meetings;

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ACCOUNTS, TestApp, assert_problem, email, spawn_app};

/// The callers as the rules tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Operator,
    Admin,
    Staff,
    Viewer,
    Anonymous,
}

impl Class {
    fn of(account: Option<&str>) -> Self {
        match account {
            None => Class::Anonymous,
            Some("operator") => Class::Operator,
            Some("office-staff") => Class::Staff,
            Some("office-viewer") => Class::Viewer,
            Some(
                "office" | "office2" | "corp" | "hsc" | "council" | "landlord" | "landlord2"
                | "agent",
            ) => Class::Admin,
            Some(other) => panic!("no class for demo account {other}"),
        }
    }

    /// The column of [`Row::expect`].
    fn column(self) -> usize {
        self as usize
    }
}

/// Whose object a row acts on: the caller's organisation's, or another's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whose {
    Own,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Empty,
    NewOrg,
    PatchOrg,
    NewUser,
    PatchUser,
    ResetPassword,
    NewKey,
    /// A key naming another organisation: the API has no such field.
    NewKeyForOrg,
    ChangeOwnPassword,
}

struct Row {
    method: Method,
    /// `{org}`, `{user}` and `{key}` stand for an object of `whose` organisation; users
    /// and keys are made fresh for every request, so no row changes what a later sees.
    path: &'static str,
    whose: Whose,
    body: Body,
    /// Expected status for: operator, org admin, staff, viewer, anonymous.
    expect: [u16; 5],
    /// For lists: whether the other organisation's entries show (same columns, without
    /// anonymous).
    sees_other: Option<[bool; 4]>,
}

fn row(method: Method, path: &'static str, whose: Whose, body: Body, expect: [u16; 5]) -> Row {
    Row {
        method,
        path,
        whose,
        body,
        expect,
        sees_other: None,
    }
}

fn list(path: &'static str, expect: [u16; 5], sees_other: [bool; 4]) -> Row {
    Row {
        sees_other: Some(sees_other),
        ..row(Method::GET, path, Whose::Other, Body::Empty, expect)
    }
}

/// The matrix. Columns: operator, org admin, staff, viewer, anonymous.
fn table() -> Vec<Row> {
    use Body::*;
    use Whose::*;
    let (get, post, patch, delete) = (Method::GET, Method::POST, Method::PATCH, Method::DELETE);
    vec![
        // Lists first, before later rows add users and keys.
        list(
            "/api/v1/organizations?limit=200",
            [200, 200, 200, 200, 401],
            [true, false, false, false],
        ),
        list(
            "/api/v1/users?limit=200",
            [200, 200, 200, 200, 401],
            [true, false, false, false],
        ),
        row(
            get.clone(),
            "/api/v1/users?organization_id={org}&limit=200",
            Own,
            Empty,
            [200, 200, 200, 200, 401],
        ),
        row(
            get.clone(),
            "/api/v1/users?organization_id={org}",
            Other,
            Empty,
            [200, 404, 404, 404, 401],
        ),
        row(
            get.clone(),
            "/api/v1/api-keys",
            Own,
            Empty,
            [200, 200, 403, 403, 401],
        ),
        row(
            get.clone(),
            "/api/v1/api-keys?organization_id={org}",
            Other,
            Empty,
            [200, 404, 404, 404, 401],
        ),
        // Organisations.
        row(
            post.clone(),
            "/api/v1/organizations",
            Own,
            NewOrg,
            [201, 403, 403, 403, 401],
        ),
        row(
            get.clone(),
            "/api/v1/organizations/{org}",
            Own,
            Empty,
            [200, 200, 200, 200, 401],
        ),
        row(
            patch.clone(),
            "/api/v1/organizations/{org}",
            Own,
            PatchOrg,
            [200, 200, 403, 403, 401],
        ),
        row(
            get.clone(),
            "/api/v1/organizations/{org}",
            Other,
            Empty,
            [200, 404, 404, 404, 401],
        ),
        row(
            patch.clone(),
            "/api/v1/organizations/{org}",
            Other,
            PatchOrg,
            [200, 404, 404, 404, 401],
        ),
        // Users.
        row(
            post.clone(),
            "/api/v1/users",
            Own,
            NewUser,
            [201, 201, 403, 403, 401],
        ),
        row(
            post.clone(),
            "/api/v1/users",
            Other,
            NewUser,
            [201, 404, 404, 404, 401],
        ),
        row(
            get.clone(),
            "/api/v1/users/{user}",
            Own,
            Empty,
            [200, 200, 200, 200, 401],
        ),
        row(
            patch.clone(),
            "/api/v1/users/{user}",
            Own,
            PatchUser,
            [200, 200, 403, 403, 401],
        ),
        row(
            post.clone(),
            "/api/v1/users/{user}/password",
            Own,
            ResetPassword,
            [204, 204, 403, 403, 401],
        ),
        row(
            delete.clone(),
            "/api/v1/users/{user}",
            Own,
            Empty,
            [204, 204, 403, 403, 401],
        ),
        row(
            get.clone(),
            "/api/v1/users/{user}",
            Other,
            Empty,
            [200, 404, 404, 404, 401],
        ),
        row(
            patch.clone(),
            "/api/v1/users/{user}",
            Other,
            PatchUser,
            [200, 404, 404, 404, 401],
        ),
        row(
            post.clone(),
            "/api/v1/users/{user}/password",
            Other,
            ResetPassword,
            [204, 404, 404, 404, 401],
        ),
        row(
            delete.clone(),
            "/api/v1/users/{user}",
            Other,
            Empty,
            [204, 404, 404, 404, 401],
        ),
        // API keys.
        row(
            post.clone(),
            "/api/v1/api-keys",
            Own,
            NewKey,
            [201, 201, 403, 403, 401],
        ),
        // A key is always made for the caller's own organisation: naming another is an
        // unknown field, for the operator too.
        row(
            post.clone(),
            "/api/v1/api-keys",
            Other,
            NewKeyForOrg,
            [400, 400, 400, 400, 401],
        ),
        row(
            get.clone(),
            "/api/v1/api-keys/{key}",
            Own,
            Empty,
            [200, 200, 403, 403, 401],
        ),
        row(
            delete.clone(),
            "/api/v1/api-keys/{key}",
            Own,
            Empty,
            [204, 204, 403, 403, 401],
        ),
        row(
            get.clone(),
            "/api/v1/api-keys/{key}",
            Other,
            Empty,
            [200, 404, 404, 404, 401],
        ),
        row(
            delete.clone(),
            "/api/v1/api-keys/{key}",
            Other,
            Empty,
            [204, 404, 404, 404, 401],
        ),
        // Me.
        row(get, "/api/v1/me", Own, Empty, [200, 200, 200, 200, 401]),
        // Everyone may change their own password; a wrong current one is a field error.
        row(
            post,
            "/api/v1/me/password",
            Own,
            ChangeOwnPassword,
            [422, 422, 422, 422, 401],
        ),
    ]
}

/// The admin of the caller's organisation and of the "other" organisation: the office's
/// people look at office2's organisation, everyone else at the office's.
fn admins_for(account: Option<&str>) -> (&'static str, &'static str) {
    match account {
        Some("operator") => ("operator", "office"),
        Some("office" | "office-staff" | "office-viewer") | None => ("office", "office2"),
        Some("office2") => ("office2", "office"),
        Some(a) => (
            *ACCOUNTS.iter().find(|x| **x == a).expect("a demo account"),
            "office",
        ),
    }
}

/// What one request acts on, and the strings that must not appear in a refusal.
#[derive(Default)]
struct Target {
    org: String,
    user: Option<String>,
    key: Option<String>,
    markers: Vec<String>,
}

fn unique() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// A throwaway staff user in `org`, made by the operator.
async fn fresh_user(app: &TestApp, org: &str) -> (String, Vec<String>) {
    let n = unique();
    let (mail, name) = (format!("tmp-{n}@example.jp"), format!("使い捨て {n}"));
    let res = app
        .post(
            "/api/v1/users",
            "operator",
            json!({"organization_id": org, "role": "staff", "email": mail,
                   "display_name": name, "password": "throwaway-pass-2026"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "throwaway user");
    let body: Value = res.json().await.unwrap();
    (body["id"].as_str().unwrap().to_owned(), vec![mail, name])
}

/// A fresh staff key of `admin`'s organisation, made by that admin.
async fn fresh_key(app: &TestApp, admin: &str) -> (String, Vec<String>) {
    let name = format!("鍵 {}", unique());
    let res = app
        .post(
            "/api/v1/api-keys",
            admin,
            json!({"name": name, "role": "staff"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "throwaway key");
    let body: Value = res.json().await.unwrap();
    let prefix = body["prefix"].as_str().unwrap().to_owned();
    (body["id"].as_str().unwrap().to_owned(), vec![name, prefix])
}

async fn etag(app: &TestApp, path: &str, owner: &str) -> String {
    let res = app.get(path, owner).await;
    assert_eq!(res.status(), StatusCode::OK, "owner reads {path}");
    res.headers()["etag"].to_str().unwrap().to_owned()
}

/// Everything the organisations involved are known by.
struct Orgs {
    id: HashMap<&'static str, String>,
    name: HashMap<&'static str, String>,
}

impl Orgs {
    async fn load(app: &TestApp) -> Self {
        let mut id = HashMap::new();
        let mut name = HashMap::new();
        for a in ACCOUNTS {
            let me = app.me(a).await;
            id.insert(*a, me["organization_id"].as_str().unwrap().to_owned());
            name.insert(*a, me["organization_name"].as_str().unwrap().to_owned());
        }
        Self { id, name }
    }
}

/// Sends one row as one caller and returns what was wrong, if anything.
async fn check(app: &TestApp, orgs: &Orgs, r: &Row, account: Option<&str>) -> Result<(), String> {
    let class = Class::of(account);
    let (own_admin, other_admin) = admins_for(account);
    let admin = match r.whose {
        Whose::Own => own_admin,
        Whose::Other => other_admin,
    };
    let mut t = Target {
        org: orgs.id[admin].clone(),
        ..Default::default()
    };
    if r.whose == Whose::Other {
        t.markers.push(orgs.name[other_admin].clone());
    }
    if r.sees_other.is_some() {
        t.markers.push(email(other_admin));
    }
    if r.path.contains("{user}") {
        let (id, markers) = fresh_user(app, &t.org).await;
        t.user = Some(id);
        t.markers.extend(markers);
    }
    if r.path.contains("{key}") {
        let (id, markers) = fresh_key(app, admin).await;
        t.key = Some(id);
        t.markers.extend(markers);
    }
    let path = r
        .path
        .replace("{org}", &t.org)
        .replace("{user}", t.user.as_deref().unwrap_or_default())
        .replace("{key}", t.key.as_deref().unwrap_or_default());
    let n = unique();
    let (body, if_match) = match r.body {
        Body::Empty => (None, None),
        Body::NewOrg => (
            Some(json!({"kind": "landlord", "name": format!("新しい家主 {n}")})),
            None,
        ),
        Body::PatchOrg => (
            Some(json!({"phone": "011-222-3333"})),
            Some(etag(app, &path, admin).await),
        ),
        Body::PatchUser => (
            Some(json!({"display_name": format!("改名 {n}")})),
            Some(etag(app, &path, admin).await),
        ),
        Body::NewUser => {
            let mut b = json!({"role": "staff", "email": format!("new-{n}@example.jp"),
                               "display_name": format!("新規 {n}"), "password": "initial-pass-2026"});
            if r.whose == Whose::Other {
                b["organization_id"] = json!(t.org);
            }
            (Some(b), None)
        }
        Body::ResetPassword => (Some(json!({"new_password": "a-new-password-2026"})), None),
        Body::NewKey => (
            Some(json!({"name": format!("鍵 {n}"), "role": "staff"})),
            None,
        ),
        Body::NewKeyForOrg => (
            Some(json!({"name": format!("鍵 {n}"), "role": "staff", "organization_id": t.org})),
            None,
        ),
        Body::ChangeOwnPassword => (
            Some(
                json!({"current_password": "not-my-password", "new_password": "a-new-password-2026"}),
            ),
            None,
        ),
    };

    let mut req = app.client.request(r.method.clone(), app.url(&path));
    if let Some(a) = account {
        req = req.bearer_auth(app.token(a).await);
    }
    if let Some(e) = &if_match {
        req = req.header("If-Match", e);
    }
    if let Some(b) = &body {
        req = req.json(b);
    }
    let res = req.send().await.map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = res.text().await.map_err(|e| e.to_string())?;
    let expected = r.expect[class.column()];
    if status != expected {
        return Err(format!("expected {expected}, got {status}: {text}"));
    }

    if !(200..300).contains(&status) {
        if content_type != "application/problem+json" {
            return Err(format!(
                "a refusal must be problem+json, not {content_type:?}"
            ));
        }
        let problem: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        if problem["status"].as_u64() != Some(u64::from(status)) {
            return Err(format!("problem with the wrong status: {text}"));
        }
        if let Some(m) = t.markers.iter().find(|m| text.contains(m.as_str())) {
            return Err(format!("the refusal shows {m:?}: {text}"));
        }
        return Ok(());
    }

    let json: Value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).map_err(|e| e.to_string())?
    };
    // A success acts on the object the row names, and nothing else.
    let named = if r.path.contains("{user}") {
        t.user.clone()
    } else if r.path.contains("{key}") {
        t.key.clone()
    } else if r.path.contains("/organizations/{org}") {
        Some(t.org.clone())
    } else {
        None
    };
    if let Some(id) = named
        && status == 200
        && json["id"].as_str() != Some(id.as_str())
    {
        return Err(format!("answered about another object than {id}: {text}"));
    }
    match r.body {
        Body::NewUser if json["organization_id"].as_str() != Some(t.org.as_str()) => {
            return Err(format!(
                "the user went to another organisation than {}: {text}",
                t.org
            ));
        }
        Body::NewKey if json["organization_id"].as_str() != Some(t.org.as_str()) => {
            return Err(format!(
                "the key went to another organisation than {}: {text}",
                t.org
            ));
        }
        _ => {}
    }
    if let Some(sees) = r.sees_other {
        let seen = t.markers.iter().any(|m| text.contains(m.as_str()));
        let should = sees[class.column()];
        if seen != should {
            return Err(format!(
                "the other organisation ({}) {} in the list: {text}",
                orgs.name[other_admin],
                if seen { "shows" } else { "is missing" }
            ));
        }
    }
    Ok(())
}

#[tokio::test]
async fn every_route_answers_every_kind_of_caller_as_the_access_rules_say() {
    let app = spawn_app().await;
    let orgs = Orgs::load(&app).await;
    let callers: Vec<Option<&str>> = ACCOUNTS.iter().copied().map(Some).chain([None]).collect();
    let mut failures = Vec::new();
    let mut cells = 0;
    for r in table() {
        for account in &callers {
            cells += 1;
            if let Err(why) = check(&app, &orgs, &r, *account).await {
                failures.push(format!(
                    "{} {} ({:?}) as {}: {why}",
                    r.method,
                    r.path,
                    r.whose,
                    account.unwrap_or("anonymous")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells of the access matrix are wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn an_api_key_reads_its_organisation_but_manages_neither_users_nor_keys() {
    let app = spawn_app().await;
    let office = app.org_of("office").await;
    let office2 = app.org_of("office2").await;
    let (_, key) = app.create_api_key("office", "staff").await;
    let res = app
        .post_token(json!({"grant_type": "api_key", "api_key": key}))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "login with the API key");
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let send = |method: Method, path: String, body: Option<Value>| {
        let mut req = app
            .client
            .request(method, app.url(&path))
            .bearer_auth(&token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move { req.send().await.unwrap() }
    };

    let res = send(
        Method::POST,
        "/api/v1/users".into(),
        Some(json!({"role": "staff", "email": "bot-made@example.jp",
                    "display_name": "機械", "password": "machine-pass-2026"})),
    )
    .await;
    assert_problem(res, 403).await;
    let res = send(
        Method::POST,
        "/api/v1/api-keys".into(),
        Some(json!({"name": "もう一つ", "role": "viewer"})),
    )
    .await;
    assert_problem(res, 403).await;

    let res = send(Method::GET, "/api/v1/me".into(), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["subject_type"], "api_key");
    assert_eq!(me["organization_id"], office.as_str());
    assert_eq!(me["role"], "staff");

    let res = send(Method::GET, format!("/api/v1/organizations/{office}"), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["id"], office.as_str());

    // And another organisation stays invisible to it.
    let res = send(
        Method::GET,
        format!("/api/v1/organizations/{office2}"),
        None,
    )
    .await;
    assert_problem(res, 404).await;
}
