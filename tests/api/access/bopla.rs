//! Broken object property level authorisation: what a landlord, an agent, a 居住支援法人
//! without the client's consent and a council receive of a client. Every response they
//! can get that concerns a client is checked twice: its JSON keys are exactly the
//! allow-list of the view meant for them (written out here), and its raw text holds
//! none of the client's name, date of birth, own words, payment arrangements or any
//! sheet section the client did not consent to share with them.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;

use super::matrix::{CLIENT_BORN, CLIENT_NAME, Ctx, Objs, Side};
use crate::helpers::{TestApp, poppler, spawn_app, squeeze};

/// What a landlord or agent may see of an inquiry.
const INQUIRY_KEYS: &[&str] = &[
    "id",
    "rental_id",
    "office_org_id",
    "landlord_org_id",
    "agent_org_id",
    "status",
    "status_label_ja",
    "viewing_at",
    "decline_reason",
    "decline_reason_label_ja",
    "decline_note",
    "stalled",
    "stalled_at",
    "last_step_at",
    "version",
    "created_at",
    "updated_at",
    "shared_client",
];
/// What the client's `share_with_landlord` consent shares.
const SHARED_CLIENT_KEYS: &[&str] = &["display_code", "age_band", "categories", "current_place"];
const EVENT_KEYS: &[&str] = &[
    "id",
    "from_status",
    "to_status",
    "at",
    "by_user_id",
    "by_org_id",
    "by_side",
    "note",
];
/// A sheet's version as a recipient sees it (no `latest_version`: drafts are not theirs).
const SHEET_KEYS: &[&str] = &[
    "id",
    "client_id",
    "display_code",
    "version",
    "state",
    "published_version",
    "note",
    "author_org_id",
    "created_at",
    "published_at",
    "sections",
    "withheld",
];
const SHEET_SUMMARY_KEYS: &[&str] = &[
    "id",
    "client_id",
    "display_code",
    "latest_version",
    "published_version",
    "updated_at",
];
/// A version in the list: a recipient sees the published one only.
const VERSION_KEYS: &[&str] = &[
    "version",
    "state",
    "note",
    "author_user_id",
    "author_org_id",
    "created_at",
    "published_at",
];
const CONCERN_KEYS: &[&str] = &[
    "id",
    "sheet_id",
    "sheet_version",
    "kind",
    "label",
    "note",
    "observed_on",
    "reported_by_org_id",
    "reported_at",
    "routed_to",
    "acknowledged_at",
];

/// The demo's HM-0001 and HM-0002 and the matrix's clients: what must never reach
/// anyone but their office (and a consented 居住支援法人).
/// The first entries of [`SECRETS`]: the demo clients' names, dates of birth and
/// words.
const DEMO_NAMES: usize = 10;
const SECRETS: &[&str] = &[
    // HM-0001 山本 直樹 (demo)
    "山本 直樹",
    "山本直樹",
    "ヤマモト ナオキ",
    "1984-06-15",
    "夜は眠れないことがあるので",
    "精神科病院に入院中(退院に向けて",
    // HM-0002 佐々木 美咲 (demo)
    "佐々木 美咲",
    "ササキ ミサキ",
    "1992-11-03",
    "グループホームの仲間の近くにいたい",
    // the matrix's clients
    CLIENT_NAME,
    CLIENT_BORN,
    "シケン ハナコ",
    "精神科病院に入院中(3年)",
    "病院の近くで、静かなところに一人で住みたい",
    // the sheet's `person` section (own words, wishes) and `payment` section
    "仕事を続けて、いつかは一般就労をしたい",
    "B型事業所に休まず通う",
    "障害年金の入金日",
    "guarantee_company_collection",
];

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn set(k: &[&str]) -> BTreeSet<String> {
    k.iter().map(|s| (*s).to_owned()).collect()
}

fn assert_keys(what: &str, v: &Value, allowed: &[&str]) {
    assert_eq!(keys(v), set(allowed), "{what}: {v}");
}

fn assert_no_secrets(what: &str, text: &str, extra: &[&str]) {
    let squeezed = squeeze(text);
    for s in SECRETS.iter().chain(extra) {
        assert!(
            !text.contains(s) && !squeezed.contains(&squeeze(s)),
            "{what} shows {s:?}: {text}"
        );
    }
}

async fn get_text(app: &TestApp, path: &str, account: &str) -> (u16, String) {
    let res = app.request(Method::GET, path, Some(account), None).await;
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

async fn get_json(app: &TestApp, path: &str, account: &str) -> Value {
    let (status, text) = get_text(app, path, account).await;
    assert_eq!(status, 200, "{path} as {account}: {text}");
    assert_no_secrets(&format!("{path} as {account}"), &text, &[]);
    serde_json::from_str(&text).unwrap()
}

/// Everything a landlord or agent can read about its inquiries and its tenants' sheets,
/// checked key by key and for the client's secrets.
async fn landlord_sees_only_the_landlord_view(app: &TestApp, account: &str) -> usize {
    let mut checked = 0;
    let list = get_json(app, "/api/v1/inquiries?limit=200", account).await;
    let items = list["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{account} has inquiries");
    for i in items {
        // Lists carry no client data at all.
        let mut allowed = INQUIRY_KEYS.to_vec();
        allowed.retain(|k| *k != "shared_client");
        assert_keys(&format!("{account}'s inquiry list"), i, &allowed);
        let id = i["id"].as_str().unwrap();
        let one = get_json(app, &format!("/api/v1/inquiries/{id}"), account).await;
        if one["shared_client"].is_null() {
            assert_keys("an inquiry without consent", &one, &allowed);
        } else {
            assert_keys("an inquiry", &one, INQUIRY_KEYS);
            assert_keys(
                "the shared client",
                &one["shared_client"],
                SHARED_CLIENT_KEYS,
            );
        }
        let events = get_json(app, &format!("/api/v1/inquiries/{id}/events"), account).await;
        for e in events.as_array().unwrap() {
            assert_keys("an inquiry event", e, EVENT_KEYS);
        }
        checked += 3;
    }
    let sheets = get_json(app, "/api/v1/support-sheets?limit=200", account).await;
    let sheets = sheets["items"].as_array().unwrap();
    assert!(!sheets.is_empty(), "{account} has a tenant's sheet");
    for s in sheets {
        assert_keys("a sheet in the list", s, SHEET_SUMMARY_KEYS);
        assert!(s["latest_version"].is_null(), "drafts are not theirs: {s}");
        let id = s["id"].as_str().unwrap();
        let doc = get_json(app, &format!("/api/v1/support-sheets/{id}"), account).await;
        assert_keys("a shared sheet", &doc, SHEET_KEYS);
        let shown = keys(&doc["sections"]);
        let withheld: BTreeSet<String> = doc["withheld"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_owned())
            .collect();
        for never in ["person", "payment"] {
            assert!(!shown.contains(never), "{account} sees {never}: {doc}");
            assert!(withheld.contains(never), "{never} is named withheld: {doc}");
        }
        assert!(shown.is_subset(&set(&["network", "schedule", "scenarios", "review"])));
        // No version but the published one, and no draft's words.
        let draft = get_text(
            app,
            &format!("/api/v1/support-sheets/{id}?version=2"),
            account,
        )
        .await;
        assert_ne!(draft.0, 200, "{account} reads a draft: {}", draft.1);
        assert_no_secrets("a draft refused", &draft.1, &["通所日数の変更を反映"]);
        let (status, html) = get_text(
            app,
            &format!("/api/v1/support-sheets/{id}?format=html"),
            account,
        )
        .await;
        assert_eq!(status, 200);
        assert_no_secrets(&format!("the sheet's HTML for {account}"), &html, &[]);
        let res = app
            .request(
                Method::GET,
                &format!("/api/v1/support-sheets/{id}?format=pdf"),
                Some(account),
                None,
            )
            .await;
        assert_eq!(res.status(), 200);
        let pdf = res.bytes().await.unwrap();
        let file = std::env::temp_dir().join(format!("bopla-{}.pdf", uuid::Uuid::now_v7()));
        std::fs::write(&file, &pdf).unwrap();
        let text = poppler("pdftotext", &[file.to_str().unwrap(), "-"]);
        let _ = std::fs::remove_file(&file);
        assert_no_secrets(&format!("the sheet's PDF for {account}"), &text, &[]);
        let concerns = get_json(
            app,
            &format!("/api/v1/support-sheets/{id}/concerns"),
            account,
        )
        .await;
        for c in concerns["items"].as_array().unwrap() {
            assert_keys("a concern", c, CONCERN_KEYS);
        }
        let versions = get_json(
            app,
            &format!("/api/v1/support-sheets/{id}/versions"),
            account,
        )
        .await;
        let versions = versions["items"].as_array().unwrap();
        assert_eq!(versions.len(), 1, "{account} sees drafts: {versions:?}");
        assert_keys("a version", &versions[0], VERSION_KEYS);
        assert_eq!(versions[0]["version"], doc["published_version"]);
        checked += 7;
    }
    checked
}

#[tokio::test]
async fn a_landlord_or_agent_never_receives_a_client_field_outside_its_view() {
    let app = spawn_app().await;
    let ctx = Ctx::load(&app).await;
    // Side A: a client who consented to share with landlord@ and agent@, on a rental of
    // landlord@ managed by agent@, with its sheet (network only for agent@).
    Objs::make(&app, &ctx, Side::A).await;
    let mut n = 0;
    for account in ["landlord", "agent"] {
        n += landlord_sees_only_the_landlord_view(&app, account).await;
    }
    assert!(n > 20, "only {n} responses checked");
}

#[tokio::test]
async fn a_corp_without_consent_and_a_council_see_no_client() {
    let app = spawn_app().await;
    let ctx = Ctx::load(&app).await;
    let b = Objs::make(&app, &ctx, Side::B).await;
    // HM-0002 shares nothing with corp@; side B's client neither.
    let hm2 = crate::support_sheets::client_id(&app, "office", "HM-0002").await;
    for client in [&hm2, &b.client] {
        for path in [
            format!("/api/v1/clients/{client}"),
            format!("/api/v1/clients/{client}/needs"),
            format!("/api/v1/clients/{client}/consents"),
            format!("/api/v1/clients/{client}/matches"),
            format!("/api/v1/clients/{client}/provisions"),
        ] {
            for account in ["corp", "council", "hsc"] {
                let (status, text) = get_text(&app, &path, account).await;
                assert_ne!(status, 200, "{path} as {account}: {text}");
                assert_no_secrets(&format!("{path} as {account}"), &text, &[]);
            }
        }
    }
    for account in ["corp", "council", "hsc"] {
        let sheet = get_text(
            &app,
            &format!("/api/v1/support-sheets/{}", b.sheet),
            account,
        )
        .await;
        assert_eq!(sheet.0, 404, "{}", sheet.1);
        for client in [&hm2, &b.client] {
            let list = get_json(
                &app,
                &format!("/api/v1/support-sheets?client_id={client}"),
                account,
            )
            .await;
            assert_eq!(list["items"], serde_json::json!([]), "{account}");
        }
    }
    // corp@'s lists: only the clients and sheets shared with it (HM-0001's), never a
    // name or a date of birth.
    let clients = get_json(&app, "/api/v1/clients?limit=200", "corp").await;
    let codes: Vec<&str> = clients["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["display_code"].as_str().unwrap())
        .collect();
    assert!(!codes.contains(&"HM-0002"), "{clients}");
    let sheets = get_json(&app, "/api/v1/support-sheets?limit=200", "corp").await;
    assert!(
        !sheets.to_string().contains(&b.client) && !sheets.to_string().contains(&hm2),
        "{sheets}"
    );
    // Meetings show partners the clients discussed by pseudonym only.
    for account in ["corp", "hsc"] {
        let list = get_json(&app, "/api/v1/meetings?limit=200", account).await;
        for m in list["items"].as_array().unwrap() {
            let id = m["id"].as_str().unwrap();
            get_json(&app, &format!("/api/v1/meetings/{id}"), account).await;
        }
    }
    // A council: aggregates, submitted reports, its meeting report (names only under
    // a council_reports consent, which none of these clients gave).
    let council = &ctx.org["council"];
    let month = sumai_link::domain::year_month::YearMonth::of(crate::clients::today());
    let mut from = month;
    for _ in 0..11 {
        from = from.prev();
    }
    for format in ["json", "csv"] {
        let (status, text) = get_text(
            &app,
            &format!(
                "/api/v1/councils/{council}/reports/meetings?from={from}&to={month}&format={format}"
            ),
            "council",
        )
        .await;
        assert_eq!(status, 200, "{text}");
        // The area's other offices' clients are named under their council_reports
        // consent (and the generated names may match a demo client's): the clients of
        // office@ and office2@ gave none, so none of theirs is named.
        for s in SECRETS.iter().skip(DEMO_NAMES) {
            assert!(
                !text.contains(s),
                "the council report ({format}) shows {s:?}"
            );
        }
        if format == "json" {
            let report: Value = serde_json::from_str(&text).unwrap();
            for named in report["clients"]["named"].as_array().unwrap() {
                let office = named["office_name"].as_str().unwrap();
                assert!(
                    !["相談支援事業所 ひだまり", "地域生活支援センター みなみ"].contains(&office),
                    "a client of {office} named without consent: {named}"
                );
            }
        }
    }
    let reports = get_json(&app, "/api/v1/council-reports?limit=200", "council").await;
    for r in reports["items"].as_array().unwrap() {
        let id = r["id"].as_str().unwrap();
        get_json(&app, &format!("/api/v1/council-reports/{id}"), "council").await;
    }
    for path in ["/api/v1/clients", "/api/v1/inquiries"] {
        let (status, text) = get_text(&app, path, "council").await;
        assert_eq!(status, 403, "{path}: {text}");
    }
}
