//! Demo clients of office@ and office2@ in 札幌: their needs, services and consents, and
//! inquiries for landlord@'s vacant rentals in every state of the workflow, so matches
//! and the workflow can be tried at once. Everything but the ids and the "now" the
//! dates hang from is fixed.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::clients::{ClientRow, ConsentRow, NeedsRow, ProvisionRow, ServiceRow};
use crate::db::inquiries::{EventRow, InquiryRow};
use crate::db::rentals::{HistoryRow, RentalRow};
use crate::db::schema::rentals as rentals_table;
use crate::db::{self, DbConn, clients, inquiries, rentals};
use crate::domain::client::keep_provision_until;
use crate::domain::rental::{Accessibility, Category};
use crate::domain::time::date_in_tokyo;
use crate::error::{ApiError, ApiResult};
use crate::routes::utc;

/// The organisations and users the demo clients hang from.
pub struct Parties {
    pub office: String,
    pub office2: String,
    pub corp: String,
    pub landlord: String,
    pub office_user: String,
    pub office2_user: String,
    pub landlord_user: String,
}

struct DemoPlace {
    kind: &'static str,
    name: &'static str,
    lat: f64,
    lon: f64,
    weight: u8,
}

struct DemoClient {
    /// false: office2@'s.
    first_office: bool,
    code: &'static str,
    name: &'static str,
    kana: &'static str,
    born: (i32, u32, u32),
    categories: &'static [Category],
    place: &'static str,
    place_note: &'static str,
    /// Days from today.
    move_in_days: i64,
    /// (service, starts days from today, months)
    services: &'static [(&'static str, i64, Option<u32>)],
    around: (f64, f64, i32),
    budget: i32,
    places: &'static [DemoPlace],
    layouts: &'static [&'static str],
    step_free: bool,
    own_words: &'static str,
    share_with_corp: bool,
    share_with_landlord: bool,
}

const TSUBASA: DemoPlace = DemoPlace {
    kind: "day_program",
    name: "就労継続支援B型 つばさ",
    lat: 43.0590,
    lon: 141.3400,
    weight: 4,
};

const CLIENTS: &[DemoClient] = &[
    DemoClient {
        first_office: true,
        code: "HM-0001",
        name: "山本 直樹",
        kana: "ヤマモト ナオキ",
        born: (1984, 6, 15),
        categories: &[Category::DisabilityMental],
        place: "hospital",
        place_note: "精神科病院に入院中(退院に向けて地域移行支援を利用)",
        move_in_days: -7,
        services: &[
            ("community_transition", -150, Some(6)),
            ("independent_living_assistance", -7, Some(12)),
        ],
        around: (43.0621, 141.3544, 3000),
        budget: 55_000,
        places: &[
            DemoPlace {
                kind: "clinic",
                name: "さっぽろ駅前クリニック",
                lat: 43.0680,
                lon: 141.3500,
                weight: 5,
            },
            TSUBASA,
        ],
        layouts: &["1K", "1DK"],
        step_free: false,
        own_words: "通院先の近くで、静かに一人暮らしがしたい。夜は眠れないことがあるので、隣の音が気にならない部屋がいい。",
        share_with_corp: true,
        share_with_landlord: true,
    },
    DemoClient {
        first_office: true,
        code: "HM-0002",
        name: "佐々木 美咲",
        kana: "ササキ ミサキ",
        born: (1992, 11, 3),
        categories: &[Category::DisabilityMental],
        place: "group_home",
        place_note: "グループホーム 北のいえ",
        move_in_days: 75,
        services: &[
            ("planning_consultation", -400, None),
            ("independent_living_assistance", 75, Some(12)),
        ],
        around: (43.0555, 141.3520, 2500),
        budget: 60_000,
        places: &[
            DemoPlace {
                kind: "clinic",
                name: "すすきのメンタルクリニック",
                lat: 43.0560,
                lon: 141.3530,
                weight: 5,
            },
            TSUBASA,
        ],
        layouts: &["1DK", "1LDK"],
        step_free: false,
        own_words: "グループホームの仲間の近くにいたい。自分で料理ができる台所がほしい。",
        share_with_corp: false,
        share_with_landlord: true,
    },
    DemoClient {
        first_office: true,
        code: "HM-0003",
        name: "木村 和也",
        kana: "キムラ カズヤ",
        born: (1979, 2, 20),
        categories: &[Category::DisabilityMental, Category::DisabilityPhysical],
        place: "family",
        place_note: "母と同居",
        move_in_days: 120,
        services: &[("planning_consultation", -300, None)],
        around: (43.0700, 141.3350, 4000),
        budget: 65_000,
        places: &[
            DemoPlace {
                kind: "family",
                name: "実家(母)",
                lat: 43.0750,
                lon: 141.3200,
                weight: 4,
            },
            DemoPlace {
                kind: "clinic",
                name: "にしく リハビリクリニック",
                lat: 43.0720,
                lon: 141.3280,
                weight: 3,
            },
        ],
        layouts: &["1K", "1DK", "1LDK"],
        step_free: true,
        own_words: "母に頼りすぎずに暮らしたい。車いすを使う日もあるので、段差のない部屋がいい。",
        share_with_corp: true,
        share_with_landlord: false,
    },
    DemoClient {
        first_office: true,
        code: "HM-0004",
        name: "斎藤 恵子",
        kana: "サイトウ ケイコ",
        born: (1968, 9, 8),
        categories: &[Category::DisabilityIntellectual],
        place: "group_home",
        place_note: "グループホーム すずらん荘",
        move_in_days: 150,
        services: &[("planning_consultation", -800, None)],
        around: (43.0450, 141.3600, 2000),
        budget: 45_000,
        places: &[DemoPlace {
            kind: "day_program",
            name: "生活介護事業所 すずらん",
            lat: 43.0430,
            lon: 141.3620,
            weight: 5,
        }],
        layouts: &["1K", "1DK"],
        step_free: false,
        own_words: "にぎやかな ところより、しずかな ところが いい。かよいなれた すずらんの ちかくが いい。",
        share_with_corp: false,
        share_with_landlord: false,
    },
    DemoClient {
        first_office: false,
        code: "MN-0001",
        name: "井上 翔太",
        kana: "イノウエ ショウタ",
        born: (1995, 7, 22),
        categories: &[Category::DisabilityMental],
        place: "hospital",
        place_note: "精神科病院に入院中",
        move_in_days: 60,
        services: &[("community_transition", -60, Some(6))],
        around: (43.0420, 141.3550, 3000),
        budget: 50_000,
        places: &[
            DemoPlace {
                kind: "clinic",
                name: "ひらぎし こころのクリニック",
                lat: 43.0350,
                lon: 141.3650,
                weight: 5,
            },
            DemoPlace {
                kind: "day_program",
                name: "就労移行支援 ステップ",
                lat: 43.0480,
                lon: 141.3560,
                weight: 3,
            },
        ],
        layouts: &["1R", "1K"],
        step_free: false,
        own_words: "地下鉄の駅から歩ける所がいい。いつか仕事に戻りたい。",
        share_with_corp: true,
        share_with_landlord: false,
    },
    DemoClient {
        first_office: false,
        code: "MN-0002",
        name: "松本 由紀子",
        kana: "マツモト ユキコ",
        born: (1973, 12, 1),
        categories: &[Category::DisabilityMental],
        place: "family",
        place_note: "姉の家に同居",
        move_in_days: 150,
        services: &[("planning_consultation", -200, None)],
        around: (43.0650, 141.3650, 2000),
        budget: 70_000,
        places: &[DemoPlace {
            kind: "family",
            name: "姉の家",
            lat: 43.0660,
            lon: 141.3700,
            weight: 4,
        }],
        layouts: &["1DK", "1LDK", "2K"],
        step_free: false,
        own_words: "姉の家の近くで、自分のペースで暮らしたい。",
        share_with_corp: false,
        share_with_landlord: false,
    },
];

/// One step of a demo inquiry: days ago, the status reached, whether the landlord took
/// it, and a note.
type Step = (i64, &'static str, bool, Option<&'static str>);

struct DemoInquiry {
    /// Index into [`CLIENTS`].
    client: usize,
    steps: &'static [Step],
    decline: Option<(&'static str, &'static str)>,
    withdraw: Option<&'static str>,
    /// Days from today of the viewing (negative: past).
    viewing_in_days: Option<i64>,
    stalled_days_ago: Option<i64>,
}

const INQUIRIES: &[DemoInquiry] = &[
    DemoInquiry {
        client: 0,
        steps: &[
            (
                50,
                "proposed",
                false,
                Some("退院後の一人暮らしの部屋としてご提案します。"),
            ),
            (46, "viewing_scheduled", true, None),
            (40, "declined", true, None),
        ],
        decline: Some((
            "unpaid_rent",
            "保証人がいないと聞き、家賃の支払いが心配です。",
        )),
        withdraw: None,
        viewing_in_days: Some(-43),
        stalled_days_ago: None,
    },
    DemoInquiry {
        client: 0,
        steps: &[
            (35, "proposed", false, None),
            (32, "viewing_scheduled", false, None),
            (
                29,
                "withdrawn",
                false,
                Some("内見の結果、通院先から遠いとご本人が判断。"),
            ),
        ],
        decline: None,
        withdraw: Some("location"),
        viewing_in_days: Some(-30),
        stalled_days_ago: None,
    },
    DemoInquiry {
        client: 0,
        steps: &[
            (
                28,
                "proposed",
                false,
                Some("居住支援法人の見守りと家賃保証を利用予定です。"),
            ),
            (26, "viewing_scheduled", true, None),
            (22, "applied", false, None),
            (
                18,
                "accepted",
                true,
                Some("見守りと緊急連絡先があるので安心しました。"),
            ),
            (7, "moved_in", false, None),
        ],
        decline: None,
        withdraw: None,
        viewing_in_days: Some(-24),
        stalled_days_ago: None,
    },
    DemoInquiry {
        client: 1,
        steps: &[(20, "proposed", false, None)],
        decline: None,
        withdraw: None,
        viewing_in_days: None,
        stalled_days_ago: Some(6),
    },
    DemoInquiry {
        client: 1,
        steps: &[
            (10, "proposed", false, None),
            (
                8,
                "viewing_scheduled",
                true,
                Some("土曜の午後にご案内します。"),
            ),
        ],
        decline: None,
        withdraw: None,
        viewing_in_days: Some(3),
        stalled_days_ago: None,
    },
    DemoInquiry {
        client: 1,
        steps: &[
            (15, "proposed", false, None),
            (13, "viewing_scheduled", true, None),
            (
                9,
                "applied",
                false,
                Some("ご本人がこの部屋を希望しています。"),
            ),
        ],
        decline: None,
        withdraw: None,
        viewing_in_days: Some(-11),
        stalled_days_ago: None,
    },
];

fn date(y: i32, m: u32, d: u32) -> ApiResult<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| ApiError::internal("demo date"))
}

fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(months))
        .unwrap_or(d)
}

/// landlord@'s vacant rentals that suit the demo's consenting clients best first
/// (budget, mental disability accepted), then the rest, nearest the centre first.
fn pick_rentals(conn: &mut DbConn, landlord: &str, n: usize) -> ApiResult<Vec<RentalRow>> {
    let mut rows: Vec<RentalRow> = rentals_table::table
        .filter(rentals_table::owner_org_id.eq(landlord))
        .filter(rentals_table::vacancy.eq("vacant"))
        .filter(rentals_table::deleted_at.is_null())
        .select(RentalRow::as_select())
        .load(conn)?;
    let (lat0, lon0) = (43.0621, 141.3544);
    let key = |r: &RentalRow| {
        let fits = r.rent + r.common_fee <= 60_000
            && (r.accepted_categories as u32) & Category::DisabilityMental.bit() != 0;
        let d = (r.latitude.unwrap_or(0.0) - lat0).powi(2)
            + ((r.longitude.unwrap_or(0.0) - lon0) * 0.73).powi(2);
        (!fits, (d * 1e9) as i64, r.registration_number.clone())
    };
    rows.sort_by_cached_key(key);
    if rows.len() < n {
        return Err(ApiError::internal("too few vacant demo rentals"));
    }
    rows.truncate(n);
    Ok(rows)
}

fn insert_client(
    conn: &mut DbConn,
    c: &DemoClient,
    p: &Parties,
    now: NaiveDateTime,
) -> ApiResult<ClientRow> {
    let today = date_in_tokyo(utc(now));
    let (office, user) = if c.first_office {
        (&p.office, &p.office_user)
    } else {
        (&p.office2, &p.office2_user)
    };
    let row = ClientRow {
        id: db::new_id(),
        office_org_id: office.clone(),
        display_code: c.code.into(),
        name: c.name.into(),
        name_kana: Some(c.kana.into()),
        date_of_birth: date(c.born.0, c.born.1, c.born.2)?,
        categories: Category::mask(c.categories) as i32,
        current_place: c.place.into(),
        current_place_note: Some(c.place_note.into()),
        target_move_date: Some(today + Duration::days(c.move_in_days)),
        responsible_user_id: Some(user.clone()),
        status: if c.move_in_days < 0 {
            "housed"
        } else {
            "searching"
        }
        .into(),
        version: 1,
        created_at: now - Duration::days(60),
        updated_at: now,
        deleted_at: None,
    };
    clients::insert(conn, &row)?;
    let services: Vec<ServiceRow> = c
        .services
        .iter()
        .map(|(service, start, months)| {
            let starts_on = today + Duration::days(*start);
            ServiceRow {
                id: db::new_id(),
                client_id: row.id.clone(),
                service: (*service).into(),
                starts_on,
                ends_on: months.map(|m| add_months(starts_on, m)),
                created_at: now,
            }
        })
        .collect();
    clients::set_services(conn, &row.id, &services)?;
    let places: Vec<serde_json::Value> = c
        .places
        .iter()
        .map(|pl| {
            serde_json::json!({
                "kind": pl.kind, "name": pl.name, "lat": pl.lat, "lon": pl.lon, "weight": pl.weight,
            })
        })
        .collect();
    let needs = NeedsRow {
        client_id: row.id.clone(),
        max_monthly_total: c.budget,
        housing_allowance_limit: None,
        municipalities: "[]".into(),
        around_lat: Some(c.around.0),
        around_lon: Some(c.around.1),
        around_radius_m: Some(c.around.2),
        places: serde_json::Value::Array(places).to_string(),
        accessibility_musts: if c.step_free {
            Accessibility::StepFreeEntrance.bit() as i32
        } else {
            0
        },
        min_area_m2: Some(18.0),
        preferred_layouts: serde_json::to_string(c.layouts).map_err(ApiError::internal)?,
        needs_pets: false,
        ground_floor_or_elevator: c.step_free,
        own_words: Some(c.own_words.into()),
        version: 1,
        updated_at: now,
        updated_by_user_id: Some(user.clone()),
    };
    clients::put_needs(conn, &needs, None)?;
    Ok(row)
}

fn consent(
    conn: &mut DbConn,
    client: &ClientRow,
    purpose: &str,
    recipient: Option<&str>,
    recorded_by: &str,
    now: NaiveDateTime,
    given_days_ago: i64,
) -> ApiResult<ConsentRow> {
    let row = ConsentRow {
        id: db::new_id(),
        client_id: client.id.clone(),
        purpose: purpose.into(),
        recipient_org_id: recipient.map(str::to_owned),
        sheet_section: None,
        method: "written".into(),
        given_on: date_in_tokyo(utc(now)) - Duration::days(given_days_ago),
        recorded_by_user_id: recorded_by.into(),
        recorded_at: now - Duration::days(55),
        withdrawn_at: None,
        withdrawn_by_user_id: None,
        note: None,
    };
    clients::insert_consent(conn, &row)?;
    Ok(row)
}

fn insert_inquiry(
    conn: &mut DbConn,
    d: &DemoInquiry,
    client: &ClientRow,
    consent: &ConsentRow,
    rental: &RentalRow,
    p: &Parties,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let ago = |days: i64| now - Duration::days(days);
    let first = d.steps.first().map_or(0, |s| s.0);
    let (last_days, last_status, _, _) = d
        .steps
        .last()
        .copied()
        .ok_or_else(|| ApiError::internal("a demo inquiry without steps"))?;
    let row = InquiryRow {
        id: db::new_id(),
        client_id: client.id.clone(),
        rental_id: rental.id.clone(),
        office_org_id: client.office_org_id.clone(),
        landlord_org_id: rental.owner_org_id.clone(),
        agent_org_id: rental.agent_org_id.clone(),
        status: last_status.into(),
        // 14:00 in Tokyo.
        viewing_at: d
            .viewing_in_days
            .map(|v| (date_in_tokyo(utc(now)) + Duration::days(v)).and_hms_opt(5, 0, 0))
            .map(|t| t.ok_or_else(|| ApiError::internal("demo viewing time")))
            .transpose()?,
        decline_reason: d.decline.map(|(r, _)| r.into()),
        decline_note: d.decline.map(|(_, n)| n.into()),
        withdraw_reason: d.withdraw.map(str::to_owned),
        stalled_at: d.stalled_days_ago.map(ago),
        last_step_at: ago(last_days),
        version: d.steps.len() as i32,
        created_at: ago(first),
        updated_at: ago(last_days),
    };
    inquiries::insert(conn, &row)?;
    let mut from: Option<&str> = None;
    for (days, to, by_landlord, note) in d.steps {
        let (user, org) = if *by_landlord {
            (&p.landlord_user, &p.landlord)
        } else {
            (&p.office_user, &client.office_org_id)
        };
        inquiries::insert_event(
            conn,
            &EventRow {
                id: db::new_id(),
                inquiry_id: row.id.clone(),
                from_status: from.map(str::to_owned),
                to_status: (*to).into(),
                at: ago(*days),
                by_user_id: Some(user.clone()),
                by_org_id: Some(org.clone()),
                note: note.map(str::to_owned),
            },
        )?;
        from = Some(to);
    }
    clients::log_provision(
        conn,
        &ProvisionRow {
            id: db::new_id(),
            client_id: client.id.clone(),
            recipient_org_id: p.landlord.clone(),
            consent_id: consent.id.clone(),
            purpose: consent.purpose.clone(),
            items: "inquiry".into(),
            provided_at: ago(first),
            provided_by_user_id: Some(p.office_user.clone()),
            keep_until: keep_provision_until(date_in_tokyo(utc(ago(first)))),
        },
    )?;
    if last_status == "moved_in" {
        let occupied = RentalRow {
            vacancy: "occupied".into(),
            vacant_from: None,
            version: rental.version + 1,
            updated_at: now,
            ..rental.clone()
        };
        if !rentals::replace(conn, &occupied, rental)? {
            return Err(ApiError::internal("demo rental changed meanwhile"));
        }
        rentals::insert_history(
            conn,
            &HistoryRow {
                id: db::new_id(),
                rental_id: occupied.id.clone(),
                version: occupied.version,
                action: "update".into(),
                changed_by_user_id: Some(p.office_user.clone()),
                changed_by_org_id: Some(client.office_org_id.clone()),
                changed_at: now,
                snapshot: serde_json::to_string(&occupied).map_err(ApiError::internal)?,
            },
        )?;
    }
    Ok(())
}

/// The demo clients with their needs, services, consents and inquiries; returns the
/// clients.
pub fn demo_clients(conn: &mut DbConn, p: &Parties) -> ApiResult<Vec<ClientRow>> {
    let now = db::now();
    let mut landlord_consents = Vec::new();
    let mut rows = Vec::new();
    for c in CLIENTS {
        let row = insert_client(conn, c, p, now)?;
        let user = if c.first_office {
            &p.office_user
        } else {
            &p.office2_user
        };
        // Given on paper before the office began to use the system, so that it covers
        // the demo's year of meetings.
        consent(conn, &row, "discuss_at_meetings", None, user, now, 400)?;
        if c.share_with_corp {
            consent(conn, &row, "share_with_corp", Some(&p.corp), user, now, 55)?;
        }
        landlord_consents.push(if c.share_with_landlord {
            Some(consent(
                conn,
                &row,
                "share_with_landlord",
                Some(&p.landlord),
                user,
                now,
                55,
            )?)
        } else {
            None
        });
        rows.push(row);
    }
    let rentals = pick_rentals(conn, &p.landlord, INQUIRIES.len())?;
    for (d, rental) in INQUIRIES.iter().zip(&rentals) {
        let (Some(client), Some(Some(consent))) =
            (rows.get(d.client), landlord_consents.get(d.client))
        else {
            return Err(ApiError::internal(
                "a demo inquiry without a consenting client",
            ));
        };
        insert_inquiry(conn, d, client, consent, rental, p, now)?;
    }
    Ok(rows)
}
