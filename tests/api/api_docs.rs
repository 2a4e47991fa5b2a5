//! `/docs`: the API reference, served with its Redoc bundle from the binary. Over HTTP
//! here, and in headless Chromium (`tests/portal/docs.test.mjs`): it renders from
//! `/openapi.yaml` and asks nothing of any other host.

use std::path::Path;

use reqwest::StatusCode;

use crate::helpers::spawn_bare_app;
use crate::portal_browser::run_browser_script;

#[tokio::test]
async fn docs_serve_the_reference_page_and_the_vendored_bundle() {
    let app = spawn_bare_app(&[]).await;
    let res = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let csp = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    let html = res.text().await.unwrap();
    assert!(
        html.contains(r#"<redoc spec-url="/openapi.yaml""#),
        "{html}"
    );
    assert!(
        !html.contains("https://"),
        "the page names another host:\n{html}"
    );
    let script = html
        .split(r#"<script src=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    assert!(
        script.starts_with("/docs/redoc.standalone.js?v="),
        "{script}"
    );

    let res = app.client.get(app.url(script)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(res.headers()["cache-control"], "public, max-age=86400");
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let body = res.bytes().await.unwrap();
    let vendored = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/docs/redoc.standalone.js"
    ))
    .unwrap();
    assert!(body == vendored, "the served bundle is not assets/docs's");

    let res = app
        .client
        .get(app.url(script))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert!(res.bytes().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_render_in_a_real_browser_from_this_server_alone() {
    let app = spawn_bare_app(&[]).await;
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/portal-screenshots");
    let env = vec![("SCREENSHOT_DIR", shots.display().to_string())];
    let Some((success, stdout, stderr)) =
        run_browser_script("docs.test.mjs", app.address.clone(), env).await
    else {
        return;
    };
    assert!(
        success && stdout.contains("all docs browser steps passed"),
        "the /docs browser test failed:\n{stdout}\n{stderr}"
    );
}
