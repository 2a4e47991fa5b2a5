//! Security headers: the portal's pages may not be framed, run foreign scripts or use
//! the camera; API answers are never cached on the way nor sniffed; HSTS once TLS is in
//! front; the session cookie is HttpOnly, SameSite and (behind TLS) Secure.

use crate::helpers::spawn_app;

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_portal_and_the_api_send_hardened_headers() {
    let app = spawn_app().await;

    let page = app
        .client
        .get(app.url("/portal/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let csp = header(&page, "content-security-policy");
    for directive in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(header(&page, "x-frame-options"), "DENY");
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert_eq!(header(&page, "referrer-policy"), "same-origin");
    assert!(header(&page, "permissions-policy").contains("camera=()"));
    assert_eq!(header(&page, "cross-origin-opener-policy"), "same-origin");
    assert!(header(&page, "cache-control").contains("no-store"));
    assert!(
        page.headers().get("strict-transport-security").is_none(),
        "plain http"
    );
    let cookie = header(&page, "set-cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite"),
        "{cookie}"
    );

    let api = app.get("/api/v1/me", "office").await;
    assert_eq!(header(&api, "x-content-type-options"), "nosniff");
    assert_eq!(header(&api, "cache-control"), "no-store");
    assert_eq!(header(&api, "referrer-policy"), "no-referrer");

    // Behind a TLS-terminating proxy.
    let tls = app
        .client
        .get(app.url("/portal/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&tls, "strict-transport-security"),
        "max-age=31536000"
    );
    assert!(header(&tls, "set-cookie").contains("Secure"));
}
