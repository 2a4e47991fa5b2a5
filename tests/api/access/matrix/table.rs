//! The rows of the matrix: route, side, body and the status each caller gets.

use reqwest::Method;
use serde_json::{Value, json};

use super::objects::{
    CLIENT_NAME, Ctx, Fresh, Objs, Side, consent, full_client, rental_body, report_body, unique,
};
use crate::clients::{client_body, needs_body, today};
use crate::meetings::{meeting_body, today_start};
use crate::support_sheets::sections;

/// The object of each side a list row looks for, and per caller which sides' objects
/// the list shows ("A", "B", "AB" or "").
pub type Listed = (fn(&Objs) -> &String, [&'static str; 12]);

#[derive(Clone)]
pub enum Body {
    None,
    Json(fn(&Ctx, &Objs, Option<&str>) -> Value),
    Csv,
}

pub struct Row {
    pub method: Method,
    /// `{office}`, `{council}`, `{rental}`, `{client}`, `{consent}`, `{inquiry}`,
    /// `{sheet}`, `{concern}`, `{webhook}`, `{delivery}`, `{meeting}`, `{locked}`,
    /// `{session}`, `{report}`, `{draft}`, `{month}`, `{from}`, `{to}`: objects and
    /// values of the row's side.
    pub path: &'static str,
    pub side: Side,
    pub fresh: Fresh,
    pub body: Body,
    /// Read by the owner for `If-Match`, and before and after a refused write to prove
    /// nothing changed.
    pub owner_read: Option<&'static str>,
    /// For creates: a table whose row count a refusal leaves alone.
    pub table: Option<&'static str>,
    /// operator, office, office-staff, office-viewer, office2, corp, hsc, council,
    /// landlord, landlord2, agent, anonymous
    pub expect: [u16; 12],
    /// For lists: the object of each side, and per caller which sides' objects the
    /// list shows ("A", "B", "AB" or "").
    pub listed: Option<Listed>,
}

pub fn r(method: Method, path: &'static str, side: Side, expect: [u16; 12]) -> Row {
    Row {
        method,
        path,
        side,
        fresh: Fresh::No,
        body: Body::None,
        owner_read: None,
        table: None,
        expect,
        listed: None,
    }
}

impl Row {
    fn fresh(mut self, f: Fresh) -> Self {
        self.fresh = f;
        self
    }
    fn json(mut self, f: fn(&Ctx, &Objs, Option<&str>) -> Value) -> Self {
        self.body = Body::Json(f);
        self
    }
    fn csv(mut self) -> Self {
        self.body = Body::Csv;
        self
    }
    fn owner_read(mut self, p: &'static str) -> Self {
        self.owner_read = Some(p);
        self
    }
    fn table(mut self, t: &'static str) -> Self {
        self.table = Some(t);
        self
    }
    fn listing(mut self, of: fn(&Objs) -> &String, shows: [&'static str; 12]) -> Self {
        self.listed = Some((of, shows));
        self
    }
}

pub fn meeting_patch(partner: &str) -> Value {
    let mut b = meeting_body(partner, &today_start(), &[]);
    b["agenda"] = json!("住まい探しの状況と見守り");
    b["minutes"] = Value::Null;
    b
}

pub fn patched_client(ctx: &Ctx, o: &Objs, side: Side) -> Value {
    let mut b = full_client(ctx, side, &o.client_code);
    b["current_place_note"] = json!("退院の日程が決まった");
    b
}

/// The matrix. Columns: operator, office, office-staff, office-viewer, office2, corp,
/// hsc, council, landlord, landlord2, agent, anonymous.
pub fn table() -> Vec<Row> {
    use Side::*;
    let (get, post, patch, put, delete) = (
        Method::GET,
        Method::POST,
        Method::PATCH,
        Method::PUT,
        Method::DELETE,
    );
    // Shorthands for the most common columns.
    const OFFICE_READS_A: [u16; 12] = [404, 200, 200, 200, 404, 404, 404, 404, 404, 404, 404, 401];
    const OFFICE_READS_B: [u16; 12] = [404, 404, 404, 404, 200, 404, 404, 404, 404, 404, 404, 401];
    const OFFICE_WRITES_A: [u16; 12] = [404, 200, 200, 403, 404, 404, 404, 404, 404, 404, 404, 401];
    const OFFICE_WRITES_B: [u16; 12] = [404, 404, 404, 404, 200, 404, 404, 404, 404, 404, 404, 401];
    const EVERYONE: [u16; 12] = [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401];
    vec![
        // --- rentals ---------------------------------------------------------------
        // The register around the sample's point, where only this test's rentals are:
        // a landlord or agent finds only its own.
        r(
            get.clone(),
            "/api/v1/rentals?near=43.0621,141.3544&radius_m=1&limit=200",
            A,
            EVERYONE,
        )
        .listing(
            |o| &o.rental,
            [
                "AB", "AB", "AB", "AB", "AB", "AB", "AB", "AB", "A", "B", "A", "",
            ],
        ),
        r(get.clone(), "/api/v1/rentals/mine?limit=200", A, EVERYONE).listing(
            |o| &o.rental,
            ["", "", "", "", "", "", "", "", "A", "B", "A", ""],
        ),
        r(
            post.clone(),
            "/api/v1/rentals",
            A,
            [403, 403, 403, 403, 403, 403, 403, 403, 201, 201, 422, 401],
        )
        .json(|ctx, _, _| rental_body(ctx, B))
        .table("rentals"),
        r(
            post.clone(),
            "/api/v1/rentals/import",
            A,
            [403, 403, 403, 403, 403, 403, 403, 403, 201, 201, 422, 401],
        )
        .csv()
        .table("rentals"),
        r(
            get.clone(),
            "/api/v1/rentals/{rental}",
            A,
            [200, 200, 200, 200, 200, 200, 200, 200, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/rentals/{rental}",
            B,
            [200, 200, 200, 200, 200, 200, 200, 200, 404, 200, 404, 401],
        ),
        r(
            patch.clone(),
            "/api/v1/rentals/{rental}",
            A,
            [403, 403, 403, 403, 403, 403, 403, 403, 200, 404, 200, 401],
        )
        .fresh(Fresh::Rental)
        .json(|_, _, _| json!({"rent": 43000, "notes": "家賃を改定"}))
        .owner_read("/api/v1/rentals/{rental}"),
        r(
            patch.clone(),
            "/api/v1/rentals/{rental}",
            B,
            [403, 403, 403, 403, 403, 403, 403, 403, 404, 200, 404, 401],
        )
        .fresh(Fresh::Rental)
        .json(|_, _, _| json!({"rent": 43000}))
        .owner_read("/api/v1/rentals/{rental}"),
        r(
            delete.clone(),
            "/api/v1/rentals/{rental}",
            A,
            [403, 403, 403, 403, 403, 403, 403, 403, 204, 404, 204, 401],
        )
        .fresh(Fresh::Rental)
        .owner_read("/api/v1/rentals/{rental}"),
        r(
            get.clone(),
            "/api/v1/rentals/{rental}/history",
            A,
            [403, 403, 403, 403, 403, 403, 403, 403, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/rentals/{rental}/history",
            B,
            [403, 403, 403, 403, 403, 403, 403, 403, 404, 200, 404, 401],
        ),
        // --- clients ---------------------------------------------------------------
        r(
            get.clone(),
            "/api/v1/clients?limit=200",
            A,
            [403, 200, 200, 200, 200, 200, 403, 403, 403, 403, 403, 401],
        )
        .listing(
            |o| &o.client,
            ["", "A", "A", "A", "B", "A", "", "", "", "", "", ""],
        ),
        r(
            post.clone(),
            "/api/v1/clients",
            A,
            [403, 201, 201, 403, 201, 403, 403, 403, 403, 403, 403, 401],
        )
        .json(|ctx, _, caller| {
            let me = caller.and_then(|c| ctx.user.get(c)).cloned();
            let mut b = client_body(&format!("NW-{}", &unique()[20..]), &me.unwrap_or_default());
            b["name"] = json!(CLIENT_NAME);
            b
        })
        .table("clients"),
        r(
            get.clone(),
            "/api/v1/clients/{client}",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 404, 404, 404, 401],
        ),
        r(get.clone(), "/api/v1/clients/{client}", B, OFFICE_READS_B),
        r(
            patch.clone(),
            "/api/v1/clients/{client}",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .fresh(Fresh::Client)
        .json(|ctx, o, _| patched_client(ctx, o, Side::A))
        .owner_read("/api/v1/clients/{client}"),
        r(
            put.clone(),
            "/api/v1/clients/{client}",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .fresh(Fresh::Client)
        .json(|ctx, o, _| patched_client(ctx, o, Side::A))
        .owner_read("/api/v1/clients/{client}"),
        r(
            patch.clone(),
            "/api/v1/clients/{client}",
            B,
            OFFICE_WRITES_B,
        )
        .fresh(Fresh::Client)
        .json(|ctx, o, _| patched_client(ctx, o, Side::B))
        .owner_read("/api/v1/clients/{client}"),
        r(put.clone(), "/api/v1/clients/{client}", B, OFFICE_WRITES_B)
            .fresh(Fresh::Client)
            .json(|ctx, o, _| patched_client(ctx, o, Side::B))
            .owner_read("/api/v1/clients/{client}"),
        r(
            delete.clone(),
            "/api/v1/clients/{client}",
            A,
            [404, 204, 403, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .fresh(Fresh::Client)
        .owner_read("/api/v1/clients/{client}"),
        r(
            get.clone(),
            "/api/v1/clients/{client}/needs",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/clients/{client}/needs",
            B,
            OFFICE_READS_B,
        ),
        r(
            put.clone(),
            "/api/v1/clients/{client}/needs",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .json(|_, _, _| needs_body())
        .owner_read("/api/v1/clients/{client}/needs"),
        r(
            put.clone(),
            "/api/v1/clients/{client}/needs",
            B,
            OFFICE_WRITES_B,
        )
        .json(|_, _, _| needs_body())
        .owner_read("/api/v1/clients/{client}/needs"),
        r(
            get.clone(),
            "/api/v1/clients/{client}/consents",
            A,
            [404, 200, 200, 200, 404, 403, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/clients/{client}/consents",
            B,
            OFFICE_READS_B,
        ),
        r(
            post.clone(),
            "/api/v1/clients/{client}/consents",
            A,
            [404, 201, 201, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .json(|_, _, _| consent("discuss_at_meetings", None, None))
        .owner_read("/api/v1/clients/{client}/consents"),
        r(
            post.clone(),
            "/api/v1/clients/{client}/consents",
            B,
            [404, 404, 404, 404, 201, 404, 404, 404, 404, 404, 404, 401],
        )
        .json(|_, _, _| consent("discuss_at_meetings", None, None))
        .owner_read("/api/v1/clients/{client}/consents"),
        r(
            post.clone(),
            "/api/v1/clients/{client}/consents/{consent}/withdraw",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .fresh(Fresh::Client)
        .owner_read("/api/v1/clients/{client}/consents"),
        r(
            post.clone(),
            "/api/v1/clients/{client}/consents/{consent}/withdraw",
            B,
            OFFICE_WRITES_B,
        )
        .fresh(Fresh::Client)
        .owner_read("/api/v1/clients/{client}/consents"),
        r(
            get.clone(),
            "/api/v1/clients/{client}/provisions",
            A,
            [404, 200, 200, 200, 404, 403, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/clients/{client}/provisions",
            B,
            OFFICE_READS_B,
        ),
        r(
            get.clone(),
            "/api/v1/clients/{client}/matches",
            A,
            [404, 200, 200, 200, 404, 403, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/clients/{client}/matches",
            B,
            OFFICE_READS_B,
        ),
        // --- inquiries -------------------------------------------------------------
        r(
            get.clone(),
            "/api/v1/inquiries?limit=200",
            A,
            [403, 200, 200, 200, 200, 403, 403, 403, 200, 200, 200, 401],
        )
        .listing(
            |o| &o.inquiry,
            ["", "A", "A", "A", "B", "", "", "", "A", "B", "A", ""],
        ),
        r(
            post.clone(),
            "/api/v1/inquiries",
            A,
            [403, 201, 201, 403, 422, 403, 403, 403, 403, 403, 403, 401],
        )
        .fresh(Fresh::Rental)
        .json(|_, o, _| json!({"client_id": o.client, "rental_id": o.rental, "note": "ご提案"}))
        .table("inquiries"),
        r(
            get.clone(),
            "/api/v1/inquiries/{inquiry}",
            A,
            [404, 200, 200, 200, 404, 404, 404, 404, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/inquiries/{inquiry}",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 200, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/inquiries/{inquiry}/events",
            A,
            [404, 200, 200, 200, 404, 404, 404, 404, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/inquiries/{inquiry}/events",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 200, 404, 401],
        ),
        // The office's step (a withdrawal): the landlord's side may not take it (422).
        r(
            post.clone(),
            "/api/v1/inquiries/{inquiry}/steps",
            A,
            [404, 200, 200, 403, 404, 404, 404, 404, 422, 404, 422, 401],
        )
        .fresh(Fresh::Inquiry)
        .json(|_, _, _| json!({"to": "withdrawn", "withdraw_reason": "location"}))
        .owner_read("/api/v1/inquiries/{inquiry}"),
        // The landlord's step (a decline): the office's side may not take it (422).
        r(
            post.clone(),
            "/api/v1/inquiries/{inquiry}/steps",
            A,
            [404, 422, 422, 403, 404, 404, 404, 404, 200, 404, 200, 401],
        )
        .fresh(Fresh::Inquiry)
        .json(|_, _, _| json!({"to": "declined", "decline_reason": "unpaid_rent"}))
        .owner_read("/api/v1/inquiries/{inquiry}"),
        r(
            post.clone(),
            "/api/v1/inquiries/{inquiry}/steps",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 422, 404, 401],
        )
        .fresh(Fresh::Inquiry)
        .json(|_, _, _| json!({"to": "withdrawn", "withdraw_reason": "location"}))
        .owner_read("/api/v1/inquiries/{inquiry}"),
        // --- support sheets --------------------------------------------------------
        r(get.clone(), "/api/v1/support-sheets?limit=200", A, EVERYONE).listing(
            |o| &o.sheet,
            ["", "A", "A", "A", "B", "A", "", "", "A", "B", "A", ""],
        ),
        r(
            post.clone(),
            "/api/v1/support-sheets",
            A,
            [403, 201, 201, 403, 422, 403, 403, 403, 403, 403, 403, 401],
        )
        .fresh(Fresh::SheetlessClient)
        .json(|_, o, _| json!({"client_id": o.client, "sections": sections(), "note": "初版"}))
        .table("support_sheets"),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}?format=html",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}?format=pdf",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 200, 404, 401],
        ),
        r(
            put.clone(),
            "/api/v1/support-sheets/{sheet}",
            A,
            [404, 200, 200, 403, 404, 200, 404, 404, 403, 404, 403, 401],
        )
        .json(|_, _, _| json!({"sections": sections(), "note": "改訂"}))
        .owner_read("/api/v1/support-sheets/{sheet}"),
        r(
            put.clone(),
            "/api/v1/support-sheets/{sheet}",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 403, 404, 401],
        )
        .json(|_, _, _| json!({"sections": sections(), "note": "改訂"}))
        .owner_read("/api/v1/support-sheets/{sheet}"),
        r(
            post.clone(),
            "/api/v1/support-sheets/{sheet}/publish",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 403, 404, 403, 401],
        )
        .fresh(Fresh::SheetVersion)
        .json(|_, o, _| json!({"version": o.sheet_version}))
        .owner_read("/api/v1/support-sheets/{sheet}"),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}/versions",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}/diff?from=1&to=2",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 403, 404, 403, 401],
        ),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}/concerns",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 200, 404, 200, 401],
        ),
        r(
            get.clone(),
            "/api/v1/support-sheets/{sheet}/concerns",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 200, 404, 401],
        ),
        r(
            post.clone(),
            "/api/v1/support-sheets/{sheet}/concerns",
            A,
            [404, 403, 403, 403, 404, 201, 404, 404, 201, 404, 201, 401],
        )
        .json(|_, _, _| json!({"kind": "no_answer", "note": "訪問しても応答がない"}))
        .table("support_sheet_concerns"),
        r(
            post.clone(),
            "/api/v1/support-sheets/{sheet}/concerns/{concern}/acknowledge",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 403, 404, 403, 401],
        )
        .fresh(Fresh::Concern)
        .owner_read("/api/v1/support-sheets/{sheet}/concerns"),
        r(
            post.clone(),
            "/api/v1/support-sheets/{sheet}/concerns/{concern}/acknowledge",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 403, 404, 401],
        )
        .fresh(Fresh::Concern)
        .owner_read("/api/v1/support-sheets/{sheet}/concerns"),
        // --- webhooks (an organisation's own administrators only) -------------------
        r(
            get.clone(),
            "/api/v1/webhooks?limit=200",
            A,
            [200, 200, 403, 403, 200, 200, 200, 200, 200, 200, 200, 401],
        )
        .listing(
            |o| &o.webhook,
            ["", "A", "", "", "B", "", "", "", "", "", "", ""],
        ),
        r(
            post.clone(),
            "/api/v1/webhooks",
            A,
            [201, 201, 403, 403, 201, 201, 201, 201, 201, 201, 201, 401],
        )
        .json(|_, _, _| json!({"url": "http://127.0.0.1:9/new", "events": ["inquiry.changed"]}))
        .table("webhook_subscriptions"),
        r(
            get.clone(),
            "/api/v1/webhooks/{webhook}",
            A,
            [404, 200, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/webhooks/{webhook}",
            B,
            OFFICE_WRITES_B,
        ),
        r(
            delete.clone(),
            "/api/v1/webhooks/{webhook}",
            A,
            [404, 204, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        )
        .fresh(Fresh::Webhook)
        .owner_read("/api/v1/webhooks/{webhook}"),
        r(
            post.clone(),
            "/api/v1/webhooks/{webhook}/rotate-secret",
            A,
            [404, 200, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        )
        .owner_read("/api/v1/webhooks/{webhook}"),
        r(
            get.clone(),
            "/api/v1/webhooks/{webhook}/deliveries",
            A,
            [404, 200, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/webhooks/{webhook}/deliveries",
            B,
            OFFICE_WRITES_B,
        ),
        r(
            post.clone(),
            "/api/v1/webhooks/{webhook}/ping",
            A,
            [404, 202, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        )
        .table("webhook_deliveries"),
        r(
            post.clone(),
            "/api/v1/webhooks/{webhook}/deliveries/{delivery}/redeliver",
            A,
            [404, 200, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401],
        )
        .fresh(Fresh::Delivery)
        .owner_read("/api/v1/webhooks/{webhook}/deliveries"),
        r(
            post.clone(),
            "/api/v1/webhooks/{webhook}/deliveries/{delivery}/redeliver",
            B,
            [404, 404, 404, 404, 200, 404, 404, 404, 404, 404, 404, 401],
        )
        .fresh(Fresh::Delivery)
        .owner_read("/api/v1/webhooks/{webhook}/deliveries"),
        // --- an office's months and set-up: the office alone -----------------------
        r(
            get.clone(),
            "/api/v1/offices/{office}/compliance",
            A,
            OFFICE_READS_A,
        ),
        r(
            get.clone(),
            "/api/v1/offices/{office}/compliance",
            B,
            OFFICE_READS_B,
        ),
        r(
            get.clone(),
            "/api/v1/offices/{office}/add-ons?month={month}",
            A,
            OFFICE_READS_A,
        ),
        r(
            get.clone(),
            "/api/v1/offices/{office}/add-ons?month={month}&format=csv",
            B,
            OFFICE_READS_B,
        ),
        r(
            get.clone(),
            "/api/v1/offices/{office}/dashboard",
            A,
            OFFICE_READS_A,
        ),
        r(
            get.clone(),
            "/api/v1/offices/{office}/dashboard",
            B,
            OFFICE_READS_B,
        ),
        r(
            get.clone(),
            "/api/v1/offices/{office}/setup",
            A,
            OFFICE_READS_A,
        ),
        r(
            get.clone(),
            "/api/v1/offices/{office}/setup",
            B,
            OFFICE_READS_B,
        ),
        r(
            put.clone(),
            "/api/v1/offices/{office}/setup",
            A,
            OFFICE_WRITES_A,
        )
        .json(|ctx, _, _| {
            json!({"partner_org_id": ctx.org["corp"], "partnership_since": "2025-04-01",
                   "services": ["community_transition", "community_settlement"]})
        })
        .owner_read("/api/v1/offices/{office}/setup"),
        r(
            post.clone(),
            "/api/v1/offices/{office}/months/{month}/close",
            A,
            OFFICE_WRITES_A,
        )
        .owner_read("/api/v1/offices/{office}/compliance?from={month}&to={month}"),
        r(
            post.clone(),
            "/api/v1/offices/{office}/months/{month}/close",
            B,
            OFFICE_WRITES_B,
        )
        .owner_read("/api/v1/offices/{office}/compliance?from={month}&to={month}"),
        // --- a council's meeting report: the council alone -------------------------
        r(
            get.clone(),
            "/api/v1/councils/{council}/reports/meetings?from={from}&to={to}",
            A,
            [404, 404, 404, 404, 404, 404, 404, 200, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/councils/{council}/reports/meetings?from={from}&to={to}&format=csv",
            B,
            [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 401],
        ),
        // --- meetings, guidance sessions, written reports --------------------------
        r(
            get.clone(),
            "/api/v1/meetings?limit=200",
            A,
            [403, 200, 200, 200, 200, 200, 200, 403, 403, 403, 403, 401],
        )
        .listing(
            |o| &o.meeting,
            ["", "A", "A", "A", "B", "A", "B", "", "", "", "", ""],
        ),
        r(
            post.clone(),
            "/api/v1/meetings",
            A,
            [403, 201, 201, 403, 201, 403, 403, 403, 403, 403, 403, 401],
        )
        .json(|ctx, _, _| meeting_body(&ctx.org["corp"], &today_start(), &[]))
        .table("meetings"),
        r(
            get.clone(),
            "/api/v1/meetings/{meeting}",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/meetings/{meeting}",
            B,
            [404, 404, 404, 404, 200, 404, 200, 404, 404, 404, 404, 401],
        ),
        r(
            patch.clone(),
            "/api/v1/meetings/{meeting}",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .json(|ctx, _, _| meeting_patch(&ctx.org["corp"]))
        .owner_read("/api/v1/meetings/{meeting}"),
        r(
            put.clone(),
            "/api/v1/meetings/{meeting}",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .json(|ctx, _, _| meeting_patch(&ctx.org["corp"]))
        .owner_read("/api/v1/meetings/{meeting}"),
        r(
            patch.clone(),
            "/api/v1/meetings/{meeting}",
            B,
            [404, 404, 404, 404, 200, 404, 403, 404, 404, 404, 404, 401],
        )
        .json(|ctx, _, _| meeting_patch(&ctx.org["hsc"]))
        .owner_read("/api/v1/meetings/{meeting}"),
        r(
            put.clone(),
            "/api/v1/meetings/{meeting}",
            B,
            [404, 404, 404, 404, 200, 404, 403, 404, 404, 404, 404, 401],
        )
        .json(|ctx, _, _| meeting_patch(&ctx.org["hsc"]))
        .owner_read("/api/v1/meetings/{meeting}"),
        r(
            get.clone(),
            "/api/v1/meetings/{meeting}/minutes",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 404, 404, 404, 401],
        ),
        r(
            put.clone(),
            "/api/v1/meetings/{meeting}/minutes",
            A,
            [404, 200, 200, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .json(|_, _, _| json!({"text": "議事録の第二版"}))
        .owner_read("/api/v1/meetings/{meeting}"),
        r(
            post.clone(),
            "/api/v1/meetings/{locked}/amendments",
            A,
            [404, 201, 201, 403, 404, 403, 404, 404, 404, 404, 404, 401],
        )
        .json(|_, _, _| json!({"fields": ["agenda"], "change": "議題の訂正", "reason": "誤記"}))
        .owner_read("/api/v1/meetings/{locked}"),
        r(
            post.clone(),
            "/api/v1/meetings/{locked}/amendments",
            B,
            [404, 404, 404, 404, 201, 404, 403, 404, 404, 404, 404, 401],
        )
        .json(|_, _, _| json!({"fields": ["agenda"], "change": "議題の訂正", "reason": "誤記"}))
        .owner_read("/api/v1/meetings/{locked}"),
        r(
            get.clone(),
            "/api/v1/guidance-sessions?limit=200",
            A,
            [403, 200, 200, 200, 200, 200, 403, 403, 403, 403, 403, 401],
        )
        .listing(
            |o| &o.session,
            ["", "A", "A", "A", "B", "AB", "", "", "", "", "", ""],
        ),
        r(
            post.clone(),
            "/api/v1/guidance-sessions",
            A,
            [403, 201, 201, 403, 422, 403, 403, 403, 403, 403, 403, 401],
        )
        .json(|ctx, o, _| {
            json!({"client_id": o.client, "corp_org_id": ctx.org["corp"],
                   "held_on": today().to_string(), "explained": "説明"})
        })
        .table("guidance_sessions"),
        r(
            get.clone(),
            "/api/v1/guidance-sessions/{session}",
            A,
            [404, 200, 200, 200, 404, 200, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/guidance-sessions/{session}",
            B,
            [404, 404, 404, 404, 200, 200, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/council-reports?limit=200",
            A,
            [403, 200, 200, 200, 200, 403, 403, 200, 403, 403, 403, 401],
        )
        .listing(
            |o| &o.report,
            ["", "A", "A", "A", "B", "", "", "A", "", "", "", ""],
        ),
        r(
            post.clone(),
            "/api/v1/council-reports",
            A,
            [403, 201, 201, 403, 201, 403, 403, 403, 403, 403, 403, 401],
        )
        .json(|_, o, _| report_body(&o.council))
        .table("council_reports"),
        r(
            get.clone(),
            "/api/v1/council-reports/{report}",
            A,
            [404, 200, 200, 200, 404, 404, 404, 200, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/council-reports/{draft}",
            A,
            [404, 200, 200, 200, 404, 404, 404, 404, 404, 404, 404, 401],
        ),
        r(
            get.clone(),
            "/api/v1/council-reports/{report}",
            B,
            OFFICE_READS_B,
        ),
        r(
            patch.clone(),
            "/api/v1/council-reports/{draft}",
            A,
            OFFICE_WRITES_A,
        )
        .json(|_, o, _| report_body(&o.council))
        .owner_read("/api/v1/council-reports/{draft}"),
        r(
            put.clone(),
            "/api/v1/council-reports/{draft}",
            A,
            OFFICE_WRITES_A,
        )
        .json(|_, o, _| report_body(&o.council))
        .owner_read("/api/v1/council-reports/{draft}"),
        r(
            post.clone(),
            "/api/v1/council-reports/{draft}/submit",
            A,
            OFFICE_WRITES_A,
        )
        .fresh(Fresh::Draft)
        .owner_read("/api/v1/council-reports/{draft}"),
        r(
            post.clone(),
            "/api/v1/council-reports/{draft}/submit",
            B,
            OFFICE_WRITES_B,
        )
        .fresh(Fresh::Draft)
        .owner_read("/api/v1/council-reports/{draft}"),
    ]
}
