//! Signing in: the token endpoint's grants, the lock-out, rotating refresh tokens, logout,
//! access-token checking, API keys, password changes, deactivation and the audit trail.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    DEMO_PASSWORD, JWT_SECRET, TestApp, assert_problem, email, problem_fields, spawn_app,
    spawn_app_with,
};

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Decodes unpadded base64url (the JWT flavour); panics on anything else.
fn base64url_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = BASE64URL
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("not base64url: {s:?}"));
        buf = (buf << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    out
}

/// Encodes as unpadded base64url.
fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(BASE64URL[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// The decoded JSON of one part of a JWT (0: header, 1: payload).
fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("jwt part");
    serde_json::from_slice(&base64url_decode(part)).expect("jwt part is json")
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Signs `claims` with the test server's secret.
fn sign(alg: Algorithm, claims: &Value) -> String {
    encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("sign")
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    authorization: Option<&str>,
    body: Option<Value>,
) -> Response {
    let mut req = app.client.request(method, app.url(path));
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.expect("request")
}

async fn me_with(app: &TestApp, access_token: &str) -> Response {
    call(
        app,
        Method::GET,
        "/api/v1/me",
        Some(&format!("Bearer {access_token}")),
        None,
    )
    .await
}

async fn refresh_grant(app: &TestApp, refresh_token: &str) -> Response {
    app.post_token(json!({"grant_type": "refresh_token", "refresh_token": refresh_token}))
        .await
}

async fn refresh_endpoint(app: &TestApp, refresh_token: &str) -> Response {
    call(
        app,
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh_token})),
    )
    .await
}

async fn logout(app: &TestApp, refresh_token: &str) -> Response {
    call(
        app,
        Method::POST,
        "/api/v1/auth/logout",
        None,
        Some(json!({"refresh_token": refresh_token})),
    )
    .await
}

async fn api_key_grant(app: &TestApp, key: &str) -> Response {
    app.post_token(json!({"grant_type": "api_key", "api_key": key}))
        .await
}

/// Asserts a 200 token response and returns its body.
async fn tokens_of(res: Response) -> Value {
    assert_eq!(res.status(), StatusCode::OK, "token response");
    res.json().await.expect("json")
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}"))
}

fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn change_password(app: &TestApp, access_token: &str, current: &str, new: &str) -> Response {
    call(
        app,
        Method::POST,
        "/api/v1/me/password",
        Some(&format!("Bearer {access_token}")),
        Some(json!({"current_password": current, "new_password": new})),
    )
    .await
}

#[test]
fn the_test_base64url_codec_round_trips() {
    for s in [
        "",
        "f",
        "fo",
        "foo",
        "foob",
        "fooba",
        "foobar",
        "{\"a\":1}?>",
    ] {
        assert_eq!(
            base64url_decode(&base64url_encode(s.as_bytes())),
            s.as_bytes()
        );
    }
    assert_eq!(base64url_encode(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
}

// --- 1. the password grant ---------------------------------------------------------------

#[tokio::test]
async fn a_password_login_returns_a_bearer_token_and_a_refresh_token_not_to_be_cached() {
    let app = spawn_app().await;
    let res = app.login_response(&email("office"), DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "cache-control"), Some("no-store"));
    let body: Value = res.json().await.unwrap();
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["access_token", "expires_in", "refresh_token", "token_type"]
    );
    assert_eq!(body["token_type"], "Bearer");
    let expires_in = body["expires_in"].as_i64().expect("expires_in");
    assert!((1..=900).contains(&expires_in), "{expires_in}");
    assert!(!str_of(&body, "refresh_token").is_empty());

    let token = str_of(&body, "access_token");
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    assert_eq!(jwt_part(token, 0)["alg"], "HS256");
    let claims = jwt_part(token, 1);
    for claim in ["exp", "nbf", "iat", "iss", "aud", "sub"] {
        assert!(claims.get(claim).is_some(), "claim {claim} in {claims}");
    }
    let (exp, iat, nbf) = (
        claims["exp"].as_i64().expect("exp"),
        claims["iat"].as_i64().expect("iat"),
        claims["nbf"].as_i64().expect("nbf"),
    );
    assert!(exp - iat <= 900, "{claims}");
    assert_eq!(exp - iat, expires_in);
    assert!(nbf <= now() + 5 && (iat - now()).abs() < 60, "{claims}");
    assert_eq!(claims["iss"], "sumai-link");
    assert_eq!(claims["aud"], "sumai-link-api");
    let me = app.me("office").await;
    assert_eq!(claims["sub"], format!("user:{}", str_of(&me, "id")));
}

#[tokio::test]
async fn a_login_is_case_insensitive_in_the_email_address() {
    let app = spawn_app().await;
    let res = app
        .login_response(" Office@Demo.Example ", DEMO_PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

// --- 2. wrong credentials and malformed requests ----------------------------------------

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = spawn_app().await;
    let wrong = app
        .login_response(&email("office"), "not-the-password")
        .await;
    let wrong_header = header(&wrong, "www-authenticate").map(str::to_owned);
    let wrong = assert_problem(wrong, 401).await;
    let unknown = app
        .login_response("nobody@demo.example", "not-the-password")
        .await;
    let unknown_header = header(&unknown, "www-authenticate").map(str::to_owned);
    let unknown = assert_problem(unknown, 401).await;
    assert_eq!(wrong["detail"], unknown["detail"]);
    assert_eq!(wrong["type"], unknown["type"]);
    assert_eq!(wrong["title"], unknown["title"]);
    assert_eq!(wrong_header, unknown_header);
    assert_eq!(wrong_header.as_deref(), Some("Bearer"));
}

#[tokio::test]
async fn an_empty_email_and_password_are_422_with_both_fields() {
    let app = spawn_app().await;
    let res = app
        .post_token(json!({"grant_type": "password", "email": "  ", "password": ""}))
        .await;
    let problem = assert_problem(res, 422).await;
    let fields = problem_fields(&problem);
    assert!(fields.contains(&"email".to_owned()), "{problem}");
    assert!(fields.contains(&"password".to_owned()), "{problem}");
}

#[tokio::test]
async fn an_unknown_or_missing_grant_type_is_a_bad_request() {
    let app = spawn_app().await;
    for body in [
        json!({"grant_type": "client_credentials", "email": email("office"), "password": DEMO_PASSWORD}),
        json!({"email": email("office"), "password": DEMO_PASSWORD}),
    ] {
        let res = app.post_token(body.clone()).await;
        assert_problem(res, 400).await;
    }
}

// --- 3. lock-out ------------------------------------------------------------------------

async fn assert_locked(res: Response) {
    let retry_after = header(&res, "retry-after")
        .expect("Retry-After header")
        .parse::<u64>()
        .expect("Retry-After in seconds");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_problem(res, 429).await;
}

#[tokio::test]
async fn after_too_many_wrong_passwords_even_the_right_one_gets_429() {
    let app = spawn_app_with(&[("SUMAI_LOGIN_MAX_FAILURES", "3")]).await;
    for _ in 0..3 {
        let res = app.login_response(&email("office"), "wrong-password").await;
        assert_problem(res, 401).await;
    }
    assert_locked(app.login_response(&email("office"), DEMO_PASSWORD).await).await;
    // The lock is per address: another account still signs in.
    let res = app.login_response(&email("office2"), DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_address_is_locked_out_the_same_way() {
    let app = spawn_app_with(&[("SUMAI_LOGIN_MAX_FAILURES", "3")]).await;
    for _ in 0..3 {
        let res = app
            .login_response("nobody@demo.example", "wrong-password")
            .await;
        assert_problem(res, 401).await;
    }
    assert_locked(
        app.login_response("nobody@demo.example", DEMO_PASSWORD)
            .await,
    )
    .await;
    let res = app.login_response(&email("office"), DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn failures_below_the_limit_are_forgotten_after_a_good_login() {
    let app = spawn_app_with(&[("SUMAI_LOGIN_MAX_FAILURES", "3")]).await;
    for _ in 0..2 {
        let res = app.login_response(&email("office"), "wrong-password").await;
        assert_problem(res, 401).await;
    }
    app.login_tokens("office").await;
    for _ in 0..2 {
        let res = app.login_response(&email("office"), "wrong-password").await;
        assert_problem(res, 401).await;
    }
    app.login_tokens("office").await;
}

// --- 4. refresh -------------------------------------------------------------------------

#[tokio::test]
async fn both_refresh_routes_rotate_the_refresh_token_and_issue_a_working_access_token() {
    let app = spawn_app().await;
    let first = app.login_tokens("office").await;

    let res = refresh_grant(&app, str_of(&first, "refresh_token")).await;
    assert_eq!(header(&res, "cache-control"), Some("no-store"));
    let second = tokens_of(res).await;
    assert_eq!(second["token_type"], "Bearer");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let res = me_with(&app, str_of(&second, "access_token")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["email"], email("office"));

    let res = refresh_endpoint(&app, str_of(&second, "refresh_token")).await;
    assert_eq!(header(&res, "cache-control"), Some("no-store"));
    let third = tokens_of(res).await;
    assert_ne!(third["refresh_token"], second["refresh_token"]);
    assert_ne!(third["refresh_token"], first["refresh_token"]);
    let res = me_with(&app, str_of(&third, "access_token")).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_spent_refresh_token_revokes_the_whole_login() {
    let app = spawn_app().await;
    let first = app.login_tokens("office").await;
    let other_login = app.login_tokens("office").await;
    let second = tokens_of(refresh_grant(&app, str_of(&first, "refresh_token")).await).await;
    let third = tokens_of(refresh_endpoint(&app, str_of(&second, "refresh_token")).await).await;

    // The first token comes back: someone kept a copy.
    assert_problem(
        refresh_grant(&app, str_of(&first, "refresh_token")).await,
        401,
    )
    .await;
    // Now the newest token of that login is dead too, through either route.
    assert_problem(
        refresh_endpoint(&app, str_of(&third, "refresh_token")).await,
        401,
    )
    .await;
    assert_problem(
        refresh_grant(&app, str_of(&third, "refresh_token")).await,
        401,
    )
    .await;
    // Another login of the same user goes on.
    tokens_of(refresh_grant(&app, str_of(&other_login, "refresh_token")).await).await;
}

#[tokio::test]
async fn a_refresh_token_spent_through_the_refresh_route_cannot_be_reused_either() {
    let app = spawn_app().await;
    let first = app.login_tokens("office").await;
    let second = tokens_of(refresh_endpoint(&app, str_of(&first, "refresh_token")).await).await;
    assert_problem(
        refresh_endpoint(&app, str_of(&first, "refresh_token")).await,
        401,
    )
    .await;
    assert_problem(
        refresh_grant(&app, str_of(&second, "refresh_token")).await,
        401,
    )
    .await;
}

#[tokio::test]
async fn a_refresh_token_presented_several_times_at_once_is_honoured_once_and_ends_the_login() {
    let app = spawn_app().await;
    let first = app.login_tokens("office").await;
    let refresh = str_of(&first, "refresh_token");
    let results =
        futures_util::future::join_all((0..4).map(|_| refresh_grant(&app, refresh))).await;
    let mut winners = Vec::new();
    for res in results {
        match res.status() {
            StatusCode::OK => winners.push(res.json::<Value>().await.unwrap()),
            _ => {
                assert_problem(res, 401).await;
            }
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    // The others were replays of a spent token: the login ends, the winner's token too.
    let next = refresh_grant(&app, str_of(&winners[0], "refresh_token")).await;
    assert_problem(next, 401).await;
}

#[tokio::test]
async fn an_unknown_refresh_token_is_401() {
    let app = spawn_app().await;
    let made_up = format!("srt_{}", "ab".repeat(32));
    assert_problem(refresh_grant(&app, &made_up).await, 401).await;
    assert_problem(refresh_endpoint(&app, &made_up).await, 401).await;
    assert_problem(refresh_grant(&app, "").await, 401).await;
    // An access token is not a refresh token.
    let access = app.token("office").await;
    assert_problem(refresh_grant(&app, &access).await, 401).await;
}

// --- 5. logout --------------------------------------------------------------------------

#[tokio::test]
async fn logout_ends_the_refresh_token_and_is_idempotent() {
    let app = spawn_app().await;
    let first = app.login_tokens("office").await;
    let second = tokens_of(refresh_grant(&app, str_of(&first, "refresh_token")).await).await;
    let refresh = str_of(&second, "refresh_token");

    assert_eq!(logout(&app, refresh).await.status(), StatusCode::NO_CONTENT);
    assert_problem(refresh_grant(&app, refresh).await, 401).await;
    assert_problem(refresh_endpoint(&app, refresh).await, 401).await;
    assert_eq!(logout(&app, refresh).await.status(), StatusCode::NO_CONTENT);
    // Logging out with an unknown token says nothing about it either.
    let made_up = format!("srt_{}", "cd".repeat(32));
    assert_eq!(
        logout(&app, &made_up).await.status(),
        StatusCode::NO_CONTENT
    );
    // A fresh login still works.
    app.login_tokens("office").await;
}

#[tokio::test]
async fn logout_with_an_older_token_of_the_login_ends_the_newest_one_too() {
    let app = spawn_app().await;
    let first = app.login_tokens("office").await;
    let second = tokens_of(refresh_grant(&app, str_of(&first, "refresh_token")).await).await;
    assert_eq!(
        logout(&app, str_of(&first, "refresh_token")).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        refresh_grant(&app, str_of(&second, "refresh_token")).await,
        401,
    )
    .await;
}

// --- 6. access tokens -------------------------------------------------------------------

#[tokio::test]
async fn a_request_without_a_bearer_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let res = call(&app, Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(header(&res, "www-authenticate"), Some("Bearer"));
    assert_problem(res, 401).await;

    for value in ["Basic xyz", "Bearer", "Bearer ", "Token abc", "bearer-abc"] {
        let res = call(&app, Method::GET, "/api/v1/me", Some(value), None).await;
        assert_eq!(header(&res, "www-authenticate"), Some("Bearer"), "{value}");
        assert_problem(res, 401).await;
    }
}

#[tokio::test]
async fn an_access_token_with_one_character_changed_is_401() {
    let app = spawn_app().await;
    let token = app.token("office").await;
    assert_eq!(me_with(&app, &token).await.status(), StatusCode::OK);

    let dots: Vec<usize> = token.match_indices('.').map(|(i, _)| i).collect();
    // One character in the middle of the signature, then one in the payload.
    for at in [dots[1] + 10, dots[0] + 10] {
        let mut bytes = token.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_ne!(tampered, token);
        assert_problem(me_with(&app, &tampered).await, 401).await;
    }
    assert_problem(me_with(&app, "not.a.jwt").await, 401).await;
}

/// Claims like the server's own for office@, freshly timed.
async fn office_claims(app: &TestApp) -> Value {
    let mut claims = jwt_part(&app.token("office").await, 1);
    let t = now();
    claims["iat"] = json!(t);
    claims["nbf"] = json!(t);
    claims["exp"] = json!(t + 600);
    claims["jti"] = json!(uuid::Uuid::now_v7().to_string());
    claims
}

#[tokio::test]
async fn a_correctly_self_signed_token_is_accepted() {
    // Proves the test signs the way the server does, so the refusals below mean something.
    let app = spawn_app().await;
    let claims = office_claims(&app).await;
    let res = me_with(&app, &sign(Algorithm::HS256, &claims)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["email"], email("office"));
}

#[tokio::test]
async fn expired_premature_foreign_subjectless_and_hs512_tokens_are_401() {
    let app = spawn_app().await;
    let good = office_claims(&app).await;
    let t = now();
    let with = |changes: &[(&str, Value)]| {
        let mut c = good.clone();
        for (k, v) in changes {
            c[*k] = v.clone();
        }
        c
    };
    let mut no_sub = good.clone();
    no_sub.as_object_mut().unwrap().remove("sub");
    let mut no_exp = good.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            sign(
                Algorithm::HS256,
                &with(&[
                    ("iat", json!(t - 1200)),
                    ("nbf", json!(t - 1200)),
                    ("exp", json!(t - 300)),
                ]),
            ),
        ),
        (
            "not yet valid",
            sign(
                Algorithm::HS256,
                &with(&[("nbf", json!(t + 600)), ("exp", json!(t + 900))]),
            ),
        ),
        (
            "another audience",
            sign(Algorithm::HS256, &with(&[("aud", json!("someone-else"))])),
        ),
        (
            "another issuer",
            sign(Algorithm::HS256, &with(&[("iss", json!("someone-else"))])),
        ),
        ("missing sub", sign(Algorithm::HS256, &no_sub)),
        ("missing exp", sign(Algorithm::HS256, &no_exp)),
        (
            "unknown subject",
            sign(Algorithm::HS256, &with(&[("sub", json!("root"))])),
        ),
        ("HS512", sign(Algorithm::HS512, &good)),
        (
            "another secret",
            encode(
                &Header::new(Algorithm::HS256),
                &good,
                &EncodingKey::from_secret(b"another-secret-another-secret-0123456789"),
            )
            .unwrap(),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                base64url_encode(br#"{"alg":"none","typ":"JWT"}"#),
                base64url_encode(good.to_string().as_bytes())
            ),
        ),
    ];
    for (what, token) in cases {
        let res = me_with(&app, &token).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_problem(res, 401).await;
    }
    // And the untouched claims still pass.
    let res = me_with(&app, &sign(Algorithm::HS256, &good)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

// --- 7. API keys ------------------------------------------------------------------------

#[tokio::test]
async fn an_api_key_signs_in_as_its_organisation_with_its_role() {
    let app = spawn_app().await;
    let (id, key) = app.create_api_key("office", "staff").await;
    let res = api_key_grant(&app, &key).await;
    assert_eq!(header(&res, "cache-control"), Some("no-store"));
    let tokens = tokens_of(res).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(!str_of(&tokens, "refresh_token").is_empty());

    let access = str_of(&tokens, "access_token");
    assert_eq!(jwt_part(access, 1)["sub"], format!("api_key:{id}"));
    let res = me_with(&app, access).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["subject_type"], "api_key");
    assert_eq!(me["id"], id.as_str());
    assert_eq!(me["role"], "staff");
    assert!(me["email"].is_null(), "{me}");
    assert_eq!(me["organization_id"], app.org_of("office").await.as_str());

    // Its refresh token rotates like a person's.
    let again = tokens_of(refresh_grant(&app, str_of(&tokens, "refresh_token")).await).await;
    let res = me_with(&app, str_of(&again, "access_token")).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_garbled_api_key_is_401() {
    let app = spawn_app().await;
    let (_, key) = app.create_api_key("office", "staff").await;
    let mut garbled = key.clone().into_bytes();
    let last = garbled.len() - 1;
    garbled[last] = if garbled[last] == b'0' { b'1' } else { b'0' };
    let garbled = String::from_utf8(garbled).unwrap();
    assert_ne!(garbled, key);
    // Same prefix, wrong secret; then shapes that are not keys at all.
    for bad in [
        garbled.as_str(),
        "slk_nope",
        "",
        &key[..key.len() - 1],
        &format!("slk_{}_{}", "0".repeat(12), "0".repeat(48)),
    ] {
        assert_problem(api_key_grant(&app, bad).await, 401).await;
    }
    // The real key still works.
    tokens_of(api_key_grant(&app, &key).await).await;
}

#[tokio::test]
async fn a_revoked_api_key_can_neither_sign_in_nor_refresh() {
    let app = spawn_app().await;
    let (id, key) = app.create_api_key("office", "viewer").await;
    let tokens = tokens_of(api_key_grant(&app, &key).await).await;
    let res = app
        .delete(&format!("/api/v1/api-keys/{id}"), "office")
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    assert_problem(api_key_grant(&app, &key).await, 401).await;
    assert_problem(
        refresh_grant(&app, str_of(&tokens, "refresh_token")).await,
        401,
    )
    .await;
    assert_problem(
        refresh_endpoint(&app, str_of(&tokens, "refresh_token")).await,
        401,
    )
    .await;
}

// --- 8. password change -----------------------------------------------------------------

#[tokio::test]
async fn a_wrong_current_password_or_a_short_new_one_is_422_on_its_field() {
    let app = spawn_app().await;
    let access = app.token("office-viewer").await;

    let res = change_password(&app, &access, "not-the-password", "a-good-new-passphrase").await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem_fields(&problem), ["current_password"], "{problem}");

    let res = change_password(&app, &access, DEMO_PASSWORD, "short").await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem_fields(&problem), ["new_password"], "{problem}");

    // Nothing changed.
    app.login_tokens("office-viewer").await;
}

#[tokio::test]
async fn a_password_change_replaces_the_password_and_ends_earlier_logins() {
    let app = spawn_app().await;
    let before = app.login_tokens("office-viewer").await;
    let access = str_of(&before, "access_token");
    let new = "a-good-new-passphrase";

    let res = change_password(&app, access, DEMO_PASSWORD, new).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let old = app
        .login_response(&email("office-viewer"), DEMO_PASSWORD)
        .await;
    assert_problem(old, 401).await;
    tokens_of(app.login_response(&email("office-viewer"), new).await).await;
    assert_problem(
        refresh_grant(&app, str_of(&before, "refresh_token")).await,
        401,
    )
    .await;
}

#[tokio::test]
async fn an_api_key_has_no_password_to_change() {
    let app = spawn_app().await;
    let (_, key) = app.create_api_key("office", "staff").await;
    let tokens = tokens_of(api_key_grant(&app, &key).await).await;
    let res = change_password(
        &app,
        str_of(&tokens, "access_token"),
        DEMO_PASSWORD,
        "a-good-new-passphrase",
    )
    .await;
    assert_problem(res, 403).await;
}

// --- 9. deactivation --------------------------------------------------------------------

#[tokio::test]
async fn a_deactivated_user_can_neither_sign_in_nor_refresh() {
    let app = spawn_app().await;
    let before = app.login_tokens("office-staff").await;

    let res = app.get("/api/v1/users", "office").await;
    assert_eq!(res.status(), StatusCode::OK);
    let users: Value = res.json().await.unwrap();
    let id = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|u| u["email"] == email("office-staff"))
        .and_then(|u| u["id"].as_str())
        .expect("office-staff among office's users")
        .to_owned();
    let res = app.delete(&format!("/api/v1/users/{id}"), "office").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let res = app
        .login_response(&email("office-staff"), DEMO_PASSWORD)
        .await;
    let deactivated = assert_problem(res, 401).await;
    let res = app
        .login_response(&email("office-staff"), "not-the-password")
        .await;
    let wrong = assert_problem(res, 401).await;
    assert_eq!(deactivated["detail"], wrong["detail"]);
    assert_problem(
        refresh_grant(&app, str_of(&before, "refresh_token")).await,
        401,
    )
    .await;
    // The others of the organisation go on.
    app.login_tokens("office-viewer").await;
}

// --- 10. audit --------------------------------------------------------------------------

#[derive(diesel::QueryableByName)]
struct AuditRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    action: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

async fn audit_rows(app: &TestApp) -> Vec<AuditRow> {
    use diesel::RunQueryDsl;
    app.db
        .run(|conn| Ok(diesel::sql_query("SELECT action, detail FROM audit_log").load(conn)?))
        .await
        .expect("audit rows")
}

#[tokio::test]
async fn failed_logins_logins_and_logouts_are_audited_without_the_password() {
    let app = spawn_app().await;
    let before = app.count("audit_log").await;
    let wrong = "a-wrong-password-xyz";
    let res = app.login_response(&email("office"), wrong).await;
    assert_problem(res, 401).await;
    let tokens = app.login_tokens("office").await;
    let res = logout(&app, str_of(&tokens, "refresh_token")).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    assert!(app.count("audit_log").await >= before + 3);
    let rows = audit_rows(&app).await;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    for action in ["login_failed", "login", "logout"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    for row in &rows {
        assert!(!row.detail.contains(wrong), "{}", row.detail);
        assert!(!row.detail.contains(DEMO_PASSWORD), "{}", row.detail);
    }
}
