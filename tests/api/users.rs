//! `/api/v1/users`: an organisation's admins manage its users; members see their
//! colleagues; other organisations see nothing.

use std::collections::HashSet;

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{DEMO_PASSWORD, TestApp, assert_problem, email, problem_fields, spawn_app};

const NEW_PASSWORD: &str = "a-new-password-2026";

async fn token_of(app: &TestApp, email: &str, password: &str) -> String {
    let res = app.login_response(email, password).await;
    assert_eq!(res.status(), StatusCode::OK, "login of {email}");
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

fn etag_of(res: &Response) -> String {
    res.headers()
        .get("etag")
        .expect("ETag header")
        .to_str()
        .unwrap()
        .to_owned()
}

async fn emails_of_page(res: Response) -> HashSet<String> {
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect()
}

fn new_staff(email: &str) -> Value {
    json!({
        "role": "staff",
        "email": email,
        "display_name": "山本 さくら",
        "password": NEW_PASSWORD,
    })
}

/// The ETag of a user as `account` reads it.
async fn user_etag(app: &TestApp, id: &str, account: &str) -> String {
    let res = app.get(&format!("/api/v1/users/{id}"), account).await;
    assert_eq!(res.status(), StatusCode::OK);
    etag_of(&res)
}

#[tokio::test]
async fn an_office_admin_lists_its_own_users_and_nobody_elses() {
    let app = spawn_app().await;
    let expected: HashSet<String> = ["office", "office-staff", "office-viewer"]
        .into_iter()
        .map(email)
        .collect();

    let listed = emails_of_page(app.get("/api/v1/users", "office").await).await;
    assert_eq!(listed, expected);

    // Naming its own organisation is the same list; naming another's is a 404.
    let own = app.org_of("office").await;
    let listed = emails_of_page(
        app.get(&format!("/api/v1/users?organization_id={own}"), "office")
            .await,
    )
    .await;
    assert_eq!(listed, expected);
    let other = app.org_of("office2").await;
    let res = app
        .get(&format!("/api/v1/users?organization_id={other}"), "office")
        .await;
    assert_problem(res, 404).await;
}

#[tokio::test]
async fn the_operator_lists_everyone_or_one_organisation() {
    let app = spawn_app().await;
    let all = emails_of_page(app.get("/api/v1/users?limit=200", "operator").await).await;
    assert_eq!(all.len(), 11);
    let org = app.org_of("office").await;
    let listed = emails_of_page(
        app.get(&format!("/api/v1/users?organization_id={org}"), "operator")
            .await,
    )
    .await;
    assert_eq!(listed.len(), 3);
    assert!(listed.contains(&email("office-viewer")));
}

#[tokio::test]
async fn another_office_cannot_read_an_offices_user() {
    let app = spawn_app().await;
    let staff = app.user_id_of("office-staff").await;
    let res = app.get(&format!("/api/v1/users/{staff}"), "office2").await;
    let problem = assert_problem(res, 404).await;
    assert_eq!(problem["type"], "/problems/not-found");

    // A colleague reads it.
    let res = app.get(&format!("/api/v1/users/{staff}"), "office").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["email"], email("office-staff"));
    assert_eq!(body["role"], "staff");
    assert!(body.get("password_hash").is_none());

    let random = uuid::Uuid::now_v7();
    let res = app.get(&format!("/api/v1/users/{random}"), "office").await;
    assert_problem(res, 404).await;
}

#[tokio::test]
async fn staff_list_their_colleagues_but_cannot_create_users() {
    let app = spawn_app().await;
    let users = app.count("users").await;
    for account in ["office-staff", "office-viewer"] {
        let listed = emails_of_page(app.get("/api/v1/users", account).await).await;
        assert_eq!(listed.len(), 3, "{account}");
        let res = app
            .post("/api/v1/users", account, new_staff("new@hidamari.example"))
            .await;
        let problem = assert_problem(res, 403).await;
        assert_eq!(problem["type"], "/problems/forbidden");
    }
    assert_eq!(app.count("users").await, users);
}

#[tokio::test]
async fn an_office_admin_creates_a_staff_user_who_can_log_in() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/users",
            "office",
            new_staff("Yamamoto@Hidamari.Example"),
        )
        .await;

    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let etag = etag_of(&res);
    let body: Value = res.json().await.unwrap();
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/users/{id}"));
    assert_eq!(etag, format!("\"{}\"", body["version"]));
    assert_eq!(body["email"], "yamamoto@hidamari.example");
    assert_eq!(body["role"], "staff");
    assert_eq!(body["is_active"], true);
    assert_eq!(body["organization_id"], app.org_of("office").await.as_str());
    assert!(body.get("password").is_none());
    assert!(body.get("password_hash").is_none());

    let token = token_of(&app, "yamamoto@hidamari.example", NEW_PASSWORD).await;
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["id"], id.as_str());
    assert_eq!(me["role"], "staff");
    assert_eq!(me["organization_id"], app.org_of("office").await.as_str());
}

#[tokio::test]
async fn a_taken_email_is_refused_whatever_its_case() {
    let app = spawn_app().await;
    let users = app.count("users").await;
    // Taken in the same organisation, and in another one.
    for taken in ["office-staff@demo.example", "Landlord@Demo.Example"] {
        let res = app.post("/api/v1/users", "office", new_staff(taken)).await;
        let problem = assert_problem(res, 422).await;
        assert_eq!(problem_fields(&problem), ["email"], "{taken}");
    }
    assert_eq!(app.count("users").await, users);
}

#[tokio::test]
async fn invalid_user_fields_are_all_named_and_nothing_is_stored() {
    let app = spawn_app().await;
    let users = app.count("users").await;
    let cases = [
        (json!({"role": "owner"}), "role"),
        (json!({"password": "short"}), "password"),
        (json!({"password": "aaaaaaaaaaaa"}), "password"),
        (json!({"email": "not-an-address"}), "email"),
        (json!({"display_name": " "}), "display_name"),
    ];
    for (change, field) in cases {
        let mut body = new_staff("valid@hidamari.example");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = app.post("/api/v1/users", "office", body).await;
        let problem = assert_problem(res, 422).await;
        assert_eq!(problem_fields(&problem), [field]);
    }

    let res = app
        .post(
            "/api/v1/users",
            "office",
            json!({
                "role": "owner",
                "email": "nope",
                "display_name": "山本",
                "password": "short",
            }),
        )
        .await;
    let problem = assert_problem(res, 422).await;
    let fields: HashSet<String> = problem_fields(&problem).into_iter().collect();
    let expected: HashSet<String> = ["role", "email", "password"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(fields, expected);
    assert_eq!(app.count("users").await, users);
}

#[tokio::test]
async fn the_operator_creates_a_user_in_another_organisation() {
    let app = spawn_app().await;
    let landlord_org = app.org_of("landlord").await;
    let mut body = new_staff("kanri@yamada.example");
    body["organization_id"] = json!(landlord_org);

    let res = app.post("/api/v1/users", "operator", body).await;

    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["organization_id"], landlord_org.as_str());
    let listed = emails_of_page(app.get("/api/v1/users", "landlord").await).await;
    assert!(listed.contains("kanri@yamada.example"));

    // An organisation that does not exist is a 404, and nothing is stored.
    let users = app.count("users").await;
    let mut body = new_staff("ghost@nowhere.example");
    body["organization_id"] = json!(uuid::Uuid::now_v7());
    let res = app.post("/api/v1/users", "operator", body).await;
    assert_problem(res, 404).await;
    assert_eq!(app.count("users").await, users);
}

#[tokio::test]
async fn an_office_admin_cannot_create_users_in_another_organisation() {
    let app = spawn_app().await;
    let users = app.count("users").await;
    let mut body = new_staff("intruder@hidamari.example");
    body["organization_id"] = json!(app.org_of("office2").await);

    let res = app.post("/api/v1/users", "office", body).await;

    assert_problem(res, 404).await;
    assert_eq!(app.count("users").await, users);
}

#[tokio::test]
async fn an_admin_changes_a_role_with_the_current_etag() {
    let app = spawn_app().await;
    let staff = app.user_id_of("office-staff").await;
    let path = format!("/api/v1/users/{staff}");
    let first = user_etag(&app, &staff, "office").await;

    let res = app
        .patch(&path, "office", None, json!({"role": "viewer"}))
        .await;
    assert_problem(res, 428).await;

    let res = app
        .patch(&path, "office", Some(&first), json!({"role": "viewer"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let second = etag_of(&res);
    assert_ne!(second, first);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["role"], "viewer");

    let res = app
        .patch(&path, "office", Some(&first), json!({"role": "admin"}))
        .await;
    assert_problem(res, 412).await;
    let res = app.get(&path, "office").await;
    assert_eq!(etag_of(&res), second);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["role"], "viewer");

    // A fresh login carries the new role.
    let tokens = app.login_tokens("office-staff").await;
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["role"], "viewer");

    let res = app
        .patch(&path, "office", Some(&second), json!({"role": "boss"}))
        .await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem_fields(&problem), ["role"]);
}

#[tokio::test]
async fn staff_cannot_change_users() {
    let app = spawn_app().await;
    let viewer = app.user_id_of("office-viewer").await;
    let etag = user_etag(&app, &viewer, "office-staff").await;
    let res = app
        .patch(
            &format!("/api/v1/users/{viewer}"),
            "office-staff",
            Some(&etag),
            json!({"role": "admin"}),
        )
        .await;
    assert_problem(res, 403).await;
    let res = app
        .delete(&format!("/api/v1/users/{viewer}"), "office-staff")
        .await;
    assert_problem(res, 403).await;
    assert_eq!(user_etag(&app, &viewer, "office").await, etag);
}

#[tokio::test]
async fn the_last_admin_of_an_organisation_cannot_be_demoted_or_deactivated() {
    let app = spawn_app().await;
    let admin = app.user_id_of("office").await;
    let path = format!("/api/v1/users/{admin}");
    let etag = user_etag(&app, &admin, "office").await;

    for change in [json!({"role": "staff"}), json!({"is_active": false})] {
        let res = app.patch(&path, "office", Some(&etag), change).await;
        let problem = assert_problem(res, 409).await;
        assert_eq!(problem["type"], "/problems/conflict");
    }
    let res = app.delete(&path, "office").await;
    assert_problem(res, 409).await;
    assert_eq!(user_etag(&app, &admin, "office").await, etag);
    assert_eq!(
        app.login_response(&email("office"), DEMO_PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );

    // With a second admin, the first may step down.
    let staff = app.user_id_of("office-staff").await;
    let staff_etag = user_etag(&app, &staff, "office").await;
    let res = app
        .patch(
            &format!("/api/v1/users/{staff}"),
            "office",
            Some(&staff_etag),
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .patch(&path, "office", Some(&etag), json!({"role": "staff"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["role"], "staff");
}

#[tokio::test]
async fn a_deactivated_user_can_no_longer_log_in() {
    let app = spawn_app().await;
    let viewer = app.user_id_of("office-viewer").await;
    let res = app
        .delete(&format!("/api/v1/users/{viewer}"), "office")
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .login_response(&email("office-viewer"), DEMO_PASSWORD)
        .await;
    assert_problem(res, 401).await;
    let body: Value = app
        .get(&format!("/api/v1/users/{viewer}"), "office")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["is_active"], false);
}

#[tokio::test]
async fn an_admin_resets_a_colleagues_password() {
    let app = spawn_app().await;
    let staff = app.user_id_of("office-staff").await;
    let refresh = app.login_tokens("office-staff").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = app
        .post(
            &format!("/api/v1/users/{staff}/password"),
            "office",
            json!({"new_password": NEW_PASSWORD}),
        )
        .await;

    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .login_response(&email("office-staff"), DEMO_PASSWORD)
        .await;
    assert_problem(res, 401).await;
    token_of(&app, &email("office-staff"), NEW_PASSWORD).await;
    // Sessions begun with the old password end.
    let res = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401).await;
}

#[tokio::test]
async fn a_password_reset_is_for_admins_with_a_valid_password() {
    let app = spawn_app().await;
    let admin = app.user_id_of("office").await;
    let res = app
        .post(
            &format!("/api/v1/users/{admin}/password"),
            "office-staff",
            json!({"new_password": NEW_PASSWORD}),
        )
        .await;
    assert_problem(res, 403).await;
    assert_eq!(
        app.login_response(&email("office"), DEMO_PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );

    let staff = app.user_id_of("office-staff").await;
    let res = app
        .post(
            &format!("/api/v1/users/{staff}/password"),
            "office",
            json!({"new_password": "short"}),
        )
        .await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem_fields(&problem), ["new_password"]);

    // Another office's admin does not learn the user exists.
    let res = app
        .post(
            &format!("/api/v1/users/{staff}/password"),
            "office2",
            json!({"new_password": NEW_PASSWORD}),
        )
        .await;
    assert_problem(res, 404).await;
    assert_eq!(
        app.login_response(&email("office-staff"), DEMO_PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn two_admins_demoted_at_the_same_time_leave_one_admin() {
    let app = spawn_app().await;
    let office = app.user_id_of("office").await;
    let staff = app.user_id_of("office-staff").await;
    let office_path = format!("/api/v1/users/{office}");
    let staff_path = format!("/api/v1/users/{staff}");
    for round in 0..10 {
        // Make both admins (the operator manages any organisation's users).
        for (id, path) in [(&office, &office_path), (&staff, &staff_path)] {
            let etag = user_etag(&app, id, "operator").await;
            let res = app
                .patch(path, "operator", Some(&etag), json!({"role": "admin"}))
                .await;
            assert_eq!(res.status(), StatusCode::OK);
        }
        let office_etag = user_etag(&app, &office, "operator").await;
        let staff_etag = user_etag(&app, &staff, "operator").await;

        let (a, b) = tokio::join!(
            app.patch(
                &office_path,
                "operator",
                Some(&office_etag),
                json!({"role": "staff"})
            ),
            app.patch(
                &staff_path,
                "operator",
                Some(&staff_etag),
                json!({"role": "staff"})
            ),
        );

        let statuses = [a.status().as_u16(), b.status().as_u16()];
        assert!(
            statuses.contains(&200) && statuses.contains(&409),
            "round {round}: {statuses:?}"
        );
        let mut left = 0;
        for path in [&office_path, &staff_path] {
            let body: Value = app.get(path, "operator").await.json().await.unwrap();
            if body["role"] == "admin" {
                left += 1;
            }
        }
        assert_eq!(
            left, 1,
            "round {round}: the organisation must keep an admin"
        );
    }
}
