//! The OpenAPI document, generated from the handlers' annotations. `openapi.yaml` at the
//! repository root is this document; a test fails when the two differ.

use actix_web::App;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sumai-link (住まいリンク) API",
        description = "The shared system of 相談支援事業所, 居住支援法人 and landlords for housing people with disabilities. Errors are RFC 9457 problem+json; lists are cursor-paginated; updates need If-Match.",
        license(name = "MIT OR Apache-2.0"),
    ),
    modifiers(&BearerAuth),
    components(schemas(Problem, FieldError)),
    tags(
        (name = "auth", description = "Tokens: password and API-key logins, refresh, logout"),
        (name = "me", description = "The caller"),
        (name = "organizations", description = "Organisations of every kind"),
        (name = "users", description = "Users of an organisation"),
        (name = "api-keys", description = "Credentials for machine clients"),
        (name = "clients", description = "Clients of support offices (要配慮個人情報): needs, consents, provision log, matches"),
        (name = "inquiries", description = "A client's application to a rental: proposal, viewing, application, the landlord's answer (with its reason), move-in or the client's withdrawal (with the client's own reason)"),
        (name = "meetings", description = "Information-sharing meetings (情報連携の場) with a 居住支援法人 or 居住支援協議会: attendees, clients shared (with consent), issues, versioned minutes, amendments once the month is closed"),
        (name = "guidance-sessions", description = "Joint guidance of a client by the office and a 居住支援法人"),
        (name = "council-reports", description = "Written reports of housing issues to a council: draft, then submitted and read-only"),
        (name = "councils", description = "A council's report on the meetings of the support offices in its area: JSON, CSV or PDF"),
        (name = "offices", description = "A support office's set-up for the 居住支援 add-ons and the months it has closed"),
        (name = "rentals", description = "The register of セーフティネット登録住宅: CRUD, search, history"),
        (name = "support-sheets", description = "生活サポートシート: versioned sheets about one tenant (who to call for what, the crisis plan), published to the organisations the client consented to share each section with, as JSON, HTML or an A4 PDF; concerns landlords report against them"),
        (name = "webhooks", description = "Event subscriptions, signed deliveries (HMAC-SHA256) and their status"),
        (name = "operations", description = "Health, readiness, metrics, problem types"),
    ),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".into());
        http.description = Some("An access token from POST /api/v1/auth/token".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    crate::middleware::contract::describe(&mut api);
    api
}

pub fn yaml() -> Result<String, String> {
    document().to_yaml().map_err(|e| e.to_string())
}
