//! Mass assignment: every create and update endpoint, sent fields its caller must not
//! set — ids, owners and organisations, timestamps, versions, states, roles and flags —
//! or references to objects of another organisation. Each is refused with a 400/422
//! problem naming the field (unknown fields are refused) or 403 for a role the caller
//! may not give, and nothing is stored: the object read again by its owner is as it
//! was, and a refused create adds no row.

use reqwest::Method;
use serde_json::{Value, json};

use super::matrix::{Ctx, Objs, Side};
use crate::clients::{client_body, needs_body, today};
use crate::helpers::{TestApp, problem_fields, spawn_app};
use crate::meetings::{meeting_body, today_start};
use crate::rentals::sample;
use crate::support_sheets::sections;

type Make = fn(&Ctx, &Objs) -> Value;

struct Case {
    account: &'static str,
    method: Method,
    /// With `{rental}`, `{client}`, … of side A (see `matrix.rs`), `{me}` the caller's
    /// user and `{org}` its organisation.
    path: &'static str,
    /// A body that is valid without the extra field.
    base: Make,
    field: &'static str,
    value: Make,
    /// Read by its owner before and after (and its ETag sent as `If-Match`).
    read: Option<(&'static str, &'static str)>,
    /// For creates: a table a refusal leaves alone.
    table: Option<&'static str>,
    statuses: &'static [u16],
}

const REFUSED: &[u16] = &[400, 422];

fn case(
    account: &'static str,
    method: Method,
    path: &'static str,
    base: Make,
    field: &'static str,
    value: Make,
) -> Case {
    Case {
        account,
        method,
        path,
        base,
        field,
        value,
        read: None,
        table: None,
        statuses: REFUSED,
    }
}

impl Case {
    fn read(mut self, path: &'static str, owner: &'static str) -> Self {
        self.read = Some((path, owner));
        self
    }
    fn table(mut self, t: &'static str) -> Self {
        self.table = Some(t);
        self
    }
    fn statuses(mut self, s: &'static [u16]) -> Self {
        self.statuses = s;
        self
    }
}

fn other_landlord(ctx: &Ctx, _: &Objs) -> Value {
    json!(ctx.org["landlord2"])
}
fn other_office(ctx: &Ctx, _: &Objs) -> Value {
    json!(ctx.org["office2"])
}
fn operator_org(ctx: &Ctx, _: &Objs) -> Value {
    json!(ctx.org["operator"])
}
fn new_id(_: &Ctx, _: &Objs) -> Value {
    json!(uuid::Uuid::now_v7().to_string())
}
fn long_ago(_: &Ctx, _: &Objs) -> Value {
    json!("2001-01-01T00:00:00Z")
}
fn big_version(_: &Ctx, _: &Objs) -> Value {
    json!(99)
}
fn yes(_: &Ctx, _: &Objs) -> Value {
    json!(true)
}
fn empty(_: &Ctx, _: &Objs) -> Value {
    json!({})
}

fn rental(_: &Ctx, _: &Objs) -> Value {
    let mut b = sample();
    b["registration_number"] = json!("01-777777");
    b["unit_number"] = json!(uuid::Uuid::now_v7().simple().to_string()[24..].to_owned());
    b
}
fn client(ctx: &Ctx, _: &Objs) -> Value {
    client_body("MA-0001", &ctx.user["office-staff"])
}
fn patched_client(ctx: &Ctx, o: &Objs) -> Value {
    let mut b = client_body(&o.client_code, &ctx.user["office-staff"]);
    b["name"] = json!(super::matrix::CLIENT_NAME);
    b["date_of_birth"] = json!(super::matrix::CLIENT_BORN);
    b
}
fn needs(_: &Ctx, _: &Objs) -> Value {
    needs_body()
}
fn consent(_: &Ctx, _: &Objs) -> Value {
    json!({"purpose": "discuss_at_meetings", "method": "written", "given_on": today().to_string()})
}
fn inquiry(_: &Ctx, o: &Objs) -> Value {
    json!({"client_id": o.client, "rental_id": o.rental})
}
fn viewing(_: &Ctx, _: &Objs) -> Value {
    json!({"to": "viewing_scheduled",
           "viewing_at": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339()})
}
fn sheet(_: &Ctx, o: &Objs) -> Value {
    json!({"client_id": o.client, "sections": sections()})
}
fn sheet_update(_: &Ctx, _: &Objs) -> Value {
    json!({"sections": sections()})
}
fn concern(_: &Ctx, _: &Objs) -> Value {
    json!({"kind": "other", "note": "ゴミ出しの日が違う"})
}
fn webhook(_: &Ctx, _: &Objs) -> Value {
    json!({"url": "http://127.0.0.1:9/ma", "events": ["*"]})
}
fn meeting(ctx: &Ctx, _: &Objs) -> Value {
    meeting_body(&ctx.org["corp"], &today_start(), &[])
}
fn meeting_patch(ctx: &Ctx, _: &Objs) -> Value {
    let mut b = meeting_body(&ctx.org["corp"], &today_start(), &[]);
    b["minutes"] = Value::Null;
    b
}
fn report(_: &Ctx, o: &Objs) -> Value {
    json!({"council_org_id": o.council, "title": "課題", "issue_categories": ["rent_level"],
           "issues_text": "家賃"})
}
fn session(ctx: &Ctx, o: &Objs) -> Value {
    json!({"client_id": o.client, "corp_org_id": ctx.org["corp"],
           "held_on": today().to_string(), "explained": "説明"})
}
fn setup(ctx: &Ctx, _: &Objs) -> Value {
    json!({"partner_org_id": ctx.org["corp"], "partnership_since": "2025-04-01",
           "services": ["community_transition"]})
}
fn user(_: &Ctx, _: &Objs) -> Value {
    json!({"role": "staff", "email": format!("ma-{}@example.jp", uuid::Uuid::now_v7().simple()),
           "display_name": "新人", "password": "a-long-password-2026"})
}
fn api_key(_: &Ctx, _: &Objs) -> Value {
    json!({"name": "連携"})
}

/// Every case. `…` marks the field sent on top of a valid body.
fn cases() -> Vec<Case> {
    let (post, patch, put) = (Method::POST, Method::PATCH, Method::PUT);
    let rental_read = ("/api/v1/rentals/{rental}", "landlord");
    let client_read = ("/api/v1/clients/{client}", "office");
    let sheet_read = ("/api/v1/support-sheets/{sheet}", "office");
    let meeting_read = ("/api/v1/meetings/{meeting}", "office");
    let draft_read = ("/api/v1/council-reports/{draft}", "office");
    let mut v = Vec::new();
    // Rentals: a landlord registers its own; nobody sets ids, versions or dates.
    for (field, value) in [
        ("owner_org_id", other_landlord as Make),
        ("agent_org_id", other_landlord),
        ("id", new_id),
        ("version", big_version),
        ("created_at", long_ago),
        ("deleted_at", long_ago),
        ("geocode_status", |_: &Ctx, _: &Objs| json!("ok")),
    ] {
        v.push(
            case(
                "landlord",
                post.clone(),
                "/api/v1/rentals",
                rental,
                field,
                value,
            )
            .table("rentals"),
        );
    }
    v.push(
        case(
            "agent",
            post.clone(),
            "/api/v1/rentals",
            rental,
            "agent_org_id",
            other_office,
        )
        .table("rentals"),
    );
    for (account, field, value) in [
        ("landlord", "owner_org_id", other_landlord as Make),
        ("agent", "owner_org_id", other_landlord),
        ("agent", "agent_org_id", |_: &Ctx, _: &Objs| Value::Null),
        ("landlord", "agent_org_id", other_landlord),
        ("landlord", "version", big_version),
        ("landlord", "id", new_id),
        ("landlord", "updated_at", long_ago),
    ] {
        v.push(
            case(
                account,
                patch.clone(),
                "/api/v1/rentals/{rental}",
                empty,
                field,
                value,
            )
            .read(rental_read.0, rental_read.1),
        );
    }
    // Clients: always of the caller's office, with its own people responsible.
    for (field, value) in [
        ("office_org_id", other_office as Make),
        ("id", new_id),
        ("created_at", long_ago),
        ("version", big_version),
        ("responsible_user_id", |ctx: &Ctx, _: &Objs| {
            json!(ctx.user["office2"])
        }),
    ] {
        v.push(
            case(
                "office-staff",
                post.clone(),
                "/api/v1/clients",
                client,
                field,
                value,
            )
            .table("clients"),
        );
        v.push(
            case(
                "office-staff",
                patch.clone(),
                "/api/v1/clients/{client}",
                patched_client,
                field,
                value,
            )
            .read(client_read.0, client_read.1),
        );
    }
    v.push(
        case(
            "office-staff",
            put.clone(),
            "/api/v1/clients/{client}/needs",
            needs,
            "client_id",
            new_id,
        )
        .read("/api/v1/clients/{client}/needs", "office"),
    );
    for (field, value) in [
        (
            "recorded_by_user_id",
            (|ctx: &Ctx, _: &Objs| json!(ctx.user["office"])) as Make,
        ),
        ("withdrawn_at", long_ago),
        ("active", yes),
        ("client_id", new_id),
    ] {
        v.push(
            case(
                "office-staff",
                post.clone(),
                "/api/v1/clients/{client}/consents",
                consent,
                field,
                value,
            )
            .read("/api/v1/clients/{client}/consents", "office"),
        );
    }
    // A consent to share with a 居住支援法人 naming a landlord, or with a landlord
    // naming an office.
    v.push(
        case(
            "office-staff",
            post.clone(),
            "/api/v1/clients/{client}/consents",
            |_, _| json!({"purpose": "share_with_corp", "method": "written", "given_on": today().to_string()}),
            "recipient_org_id",
            other_landlord,
        )
        .read("/api/v1/clients/{client}/consents", "office"),
    );
    // Inquiries: the status and the parties come from the client and the rental.
    for (field, value) in [
        ("status", (|_: &Ctx, _: &Objs| json!("accepted")) as Make),
        ("office_org_id", other_office as Make),
        ("landlord_org_id", other_landlord),
        ("agent_org_id", other_landlord),
        ("id", new_id),
        ("version", big_version),
    ] {
        v.push(
            case(
                "office-staff",
                post.clone(),
                "/api/v1/inquiries",
                inquiry,
                field,
                value,
            )
            .table("inquiries"),
        );
    }
    for (field, value) in [
        ("by_org_id", other_office as Make),
        ("from_status", |_: &Ctx, _: &Objs| json!("applied")),
        ("version", big_version),
        ("at", long_ago),
    ] {
        v.push(
            case(
                "landlord",
                post.clone(),
                "/api/v1/inquiries/{inquiry}/steps",
                viewing,
                field,
                value,
            )
            .read("/api/v1/inquiries/{inquiry}", "office"),
        );
    }
    // Status jumps: a landlord cannot move a proposal in, the office cannot accept it.
    for (account, value) in [
        ("landlord", (|_: &Ctx, _: &Objs| json!("moved_in")) as Make),
        ("office-staff", |_: &Ctx, _: &Objs| json!("accepted")),
    ] {
        v.push(
            case(
                account,
                post.clone(),
                "/api/v1/inquiries/{inquiry}/steps",
                empty,
                "to",
                value,
            )
            .read("/api/v1/inquiries/{inquiry}", "office"),
        );
    }
    // Support sheets: the office writes, publishing is its own step.
    for (field, value) in [
        ("office_org_id", other_office as Make),
        ("published_version", |_: &Ctx, _: &Objs| json!(1)),
        ("version", big_version),
    ] {
        v.push(
            case(
                "office-staff",
                post.clone(),
                "/api/v1/support-sheets",
                sheet,
                field,
                value,
            )
            .table("support_sheets"),
        );
    }
    for (account, field, value) in [
        (
            "office-staff",
            "published_version",
            (|_: &Ctx, _: &Objs| json!(2)) as Make,
        ),
        ("office-staff", "version", big_version),
        ("office-staff", "author_org_id", other_office),
        ("corp", "published_version", |_: &Ctx, _: &Objs| json!(2)),
    ] {
        v.push(
            case(
                account,
                put.clone(),
                "/api/v1/support-sheets/{sheet}",
                sheet_update,
                field,
                value,
            )
            .read(sheet_read.0, sheet_read.1),
        );
    }
    for (field, value) in [
        ("reported_by_org_id", other_landlord as Make),
        ("acknowledged_at", long_ago),
        (
            "routed_to",
            |_: &Ctx, _: &Objs| json!({"contact": "office"}),
        ),
        ("sheet_version", big_version),
    ] {
        v.push(
            case(
                "landlord",
                post.clone(),
                "/api/v1/support-sheets/{sheet}/concerns",
                concern,
                field,
                value,
            )
            .table("support_sheet_concerns"),
        );
    }
    // Webhooks: always the caller's organisation's, with a secret made by the server.
    for (field, value) in [
        ("organization_id", other_office as Make),
        ("secret", |_: &Ctx, _: &Objs| {
            json!("whsec_chosen_by_the_caller")
        }),
        ("is_active", yes),
    ] {
        v.push(
            case(
                "office",
                post.clone(),
                "/api/v1/webhooks",
                webhook,
                field,
                value,
            )
            .table("webhook_subscriptions"),
        );
    }
    // Meetings, sessions, written reports, the set-up: always the caller's office's,
    // and nobody unlocks a month or submits by writing a field.
    for (field, value) in [
        ("office_org_id", other_office as Make),
        ("locked", |_: &Ctx, _: &Objs| json!(false)),
        ("id", new_id),
        ("minutes_version", big_version),
    ] {
        v.push(
            case(
                "office-staff",
                post.clone(),
                "/api/v1/meetings",
                meeting,
                field,
                value,
            )
            .table("meetings"),
        );
        v.push(
            case(
                "office-staff",
                patch.clone(),
                "/api/v1/meetings/{meeting}",
                meeting_patch,
                field,
                value,
            )
            .read(meeting_read.0, meeting_read.1),
        );
    }
    v.push(
        case(
            "office-staff",
            post.clone(),
            "/api/v1/meetings",
            meeting,
            "client_ids",
            |ctx, _| json!([ctx.other_client]),
        )
        .table("meetings"),
    );
    v.push(
        case(
            "office-staff",
            post.clone(),
            "/api/v1/meetings",
            meeting,
            "partner_org_ids",
            |ctx, _| json!([ctx.org["landlord"]]),
        )
        .table("meetings"),
    );
    v.push(
        case(
            "office-staff",
            post.clone(),
            "/api/v1/guidance-sessions",
            session,
            "office_org_id",
            other_office,
        )
        .table("guidance_sessions"),
    );
    v.push(
        case(
            "office-staff",
            post.clone(),
            "/api/v1/guidance-sessions",
            session,
            "corp_org_id",
            |ctx, _| json!(ctx.org["hsc"]),
        )
        .table("guidance_sessions"),
    );
    for (field, value) in [
        ("office_org_id", other_office as Make),
        ("submitted_at", long_ago),
        ("status", |_: &Ctx, _: &Objs| json!("submitted")),
        ("council_org_id", other_landlord),
    ] {
        v.push(
            case(
                "office-staff",
                post.clone(),
                "/api/v1/council-reports",
                report,
                field,
                value,
            )
            .table("council_reports"),
        );
        v.push(
            case(
                "office-staff",
                patch.clone(),
                "/api/v1/council-reports/{draft}",
                report,
                field,
                value,
            )
            .read(draft_read.0, draft_read.1),
        );
    }
    for (field, value) in [
        ("office_org_id", other_office as Make),
        ("version", big_version),
        ("partner_org_id", other_landlord),
    ] {
        v.push(
            case(
                "office-staff",
                put.clone(),
                "/api/v1/offices/{office}/setup",
                setup,
                field,
                value,
            )
            .read("/api/v1/offices/{office}/setup", "office"),
        );
    }
    // Users, organisations, keys: no role escalation, no operator flag, no new kind.
    v.push(
        case(
            "office-staff",
            patch.clone(),
            "/api/v1/users/{me}",
            empty,
            "role",
            |_, _| json!("admin"),
        )
        .read("/api/v1/users/{me}", "office")
        .statuses(&[403]),
    );
    v.push(
        case(
            "office-viewer",
            patch.clone(),
            "/api/v1/users/{me}",
            empty,
            "is_active",
            yes,
        )
        .read("/api/v1/users/{me}", "office")
        .statuses(&[403]),
    );
    v.push(
        case(
            "office",
            patch.clone(),
            "/api/v1/users/{me}",
            empty,
            "organization_id",
            other_office,
        )
        .read("/api/v1/users/{me}", "office"),
    );
    for (field, value) in [
        ("role", (|_: &Ctx, _: &Objs| json!("operator")) as Make),
        ("is_operator", yes),
        ("organization_id", operator_org),
        ("id", new_id),
    ] {
        v.push(
            case("office", post.clone(), "/api/v1/users", user, field, value)
                .table("users")
                .statuses(&[400, 404, 422]),
        );
    }
    for (field, value) in [
        ("kind", (|_: &Ctx, _: &Objs| json!("operator")) as Make),
        ("is_operator", yes),
        ("id", new_id),
        ("is_active", |_: &Ctx, _: &Objs| json!(false)),
    ] {
        v.push(
            case(
                "office",
                patch.clone(),
                "/api/v1/organizations/{org}",
                empty,
                field,
                value,
            )
            .read("/api/v1/organizations/{org}", "office")
            .statuses(&[400, 403, 422]),
        );
    }
    for (field, value) in [
        ("role", (|_: &Ctx, _: &Objs| json!("admin")) as Make),
        ("organization_id", other_office),
        ("prefix", |_: &Ctx, _: &Objs| json!("sk_chosen")),
    ] {
        v.push(
            case(
                "office",
                post.clone(),
                "/api/v1/api-keys",
                api_key,
                field,
                value,
            )
            .table("api_keys"),
        );
    }
    v
}

async fn etag_and_text(app: &TestApp, path: &str, owner: &str) -> (Option<String>, String) {
    let res = app.get(path, owner).await;
    assert!(res.status().is_success(), "{owner} reads {path}");
    let etag = res
        .headers()
        .get("etag")
        .map(|e| e.to_str().unwrap().to_owned());
    (etag, res.text().await.unwrap())
}

#[tokio::test]
async fn fields_a_caller_must_not_set_are_refused_and_never_stored() {
    let app = spawn_app().await;
    let ctx = Ctx::load(&app).await;
    let o = Objs::make(&app, &ctx, Side::A).await;
    let mut failures = Vec::new();
    let all = cases();
    for c in &all {
        let fill = |p: &str| {
            p.replace("{me}", &ctx.user[c.account])
                .replace("{org}", &ctx.org[c.account])
                .replace("{rental}", &o.rental)
                .replace("{client}", &o.client)
                .replace("{inquiry}", &o.inquiry)
                .replace("{sheet}", &o.sheet)
                .replace("{meeting}", &o.meeting)
                .replace("{draft}", &o.draft)
                .replace("{office}", &o.office)
        };
        let path = fill(c.path);
        let before = match c.read {
            Some((p, owner)) => Some(etag_and_text(&app, &fill(p), owner).await),
            None => None,
        };
        let count = match c.table {
            Some(t) => Some(app.count(t).await),
            None => None,
        };
        let mut body = (c.base)(&ctx, &o);
        body[c.field] = (c.value)(&ctx, &o);
        let mut req = app
            .client
            .request(c.method.clone(), app.url(&path))
            .bearer_auth(app.token(c.account).await)
            .json(&body);
        if let Some((Some(e), _)) = &before {
            req = req.header("If-Match", e);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = res.text().await.unwrap();
        let what = format!("{} {} as {} with {}", c.method, c.path, c.account, c.field);
        if !c.statuses.contains(&status) || ct != "application/problem+json" {
            failures.push(format!("{what}: {status} {ct}: {text}"));
            continue;
        }
        if matches!(status, 400 | 422) {
            let problem: Value = serde_json::from_str(&text).unwrap();
            let named = problem_fields(&problem)
                .iter()
                .any(|f| f == c.field || f.starts_with(&format!("{}[", c.field)))
                || problem["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains(&format!("`{}`", c.field)));
            if !named {
                failures.push(format!(
                    "{what}: the problem does not name the field: {text}"
                ));
            }
        }
        if let (Some((p, owner)), Some((_, old))) = (c.read, &before) {
            let (_, new) = etag_and_text(&app, &fill(p), owner).await;
            if &new != old {
                failures.push(format!("{what}: stored anyway:\n{old}\n→ {new}"));
            }
        }
        if let (Some(t), Some(n)) = (c.table, count) {
            let now = app.count(t).await;
            if now != n {
                failures.push(format!("{what}: {t} went from {n} to {now} rows"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} mass-assignment cases are wrong:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}
