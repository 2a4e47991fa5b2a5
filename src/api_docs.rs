//! `/docs`: the API reference, rendered in the browser by Redoc from `/openapi.yaml`.
//! The Redoc bundle is the npm package's own file (`assets/docs`, refreshed by
//! `tools/api/vendor-docs.sh`), embedded in the binary, so the reference works on a
//! closed network: nothing is fetched from anywhere but this server.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

static REDOC_JS: &str = include_str!("../assets/docs/redoc.standalone.js");
const REDOC_VERSION: &str = include_str!("../assets/docs/VERSION");

/// Redoc builds its styles at run time (inline `<style>`) and runs its search index in a
/// worker made from a blob; everything else comes from this server.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
                   worker-src blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/docs", web::get().to(page))
        .route("/docs/", web::get().to(page))
        .route("/docs/redoc.standalone.js", web::get().to(script));
}

/// The page is the same for every request: built once.
static PAGE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        r#"<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>住まいリンク API リファレンス (sumai-link API v{version})</title>
<link rel="alternate" type="application/yaml" href="/openapi.yaml" title="OpenAPI 3.1">
<link rel="icon" href="data:,">
</head>
<body>
<noscript>このページの表示には JavaScript が必要です。OpenAPI 文書そのものは <a href="/openapi.yaml">/openapi.yaml</a> にあります。</noscript>
<redoc spec-url="/openapi.yaml" path-in-middle-panel="true" required-props-first="true" sort-props-alphabetically="false" expand-responses="200,201" hide-hostname="false" json-sample-expand-level="3"></redoc>
<script src="/docs/redoc.standalone.js?v={redoc}"></script>
</body>
</html>
"#,
        version = env!("CARGO_PKG_VERSION"),
        redoc = REDOC_VERSION.trim().trim_start_matches("redoc "),
    )
});

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .body(PAGE.as_str())
}

async fn script(req: HttpRequest) -> HttpResponse {
    let etag = format!("\"{}\"", REDOC_VERSION.trim().replace(' ', "-"));
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.content_type("text/javascript; charset=utf-8")
        .insert_header((header::ETAG, etag))
        // The bundle changes only with the binary; the page asks for it by version.
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"));
    if fresh {
        res.finish()
    } else {
        res.body(REDOC_JS)
    }
}
