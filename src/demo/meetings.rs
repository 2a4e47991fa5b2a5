//! The demo's 論点６ records: office@'s set-up (partner corp@, published and notified,
//! 地域移行支援 + 地域定着支援) and office2@'s (計画相談支援 only, so it can claim
//! neither add-on); a year of monthly meetings of office@ with corp@ (hsc@ joining every
//! third month) with one month missed, minutes, shared clients and issues; two joint
//! guidance sessions with corp@; one report submitted to council@. Dates hang from
//! today, so the last months are still open and the older ones closed.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::db::clients::{ClientRow, ProvisionRow};
use crate::db::council::{ReportRow, SessionRow};
use crate::db::meetings::{AmendmentRow, MeetingClientRow, MeetingRow, MinutesRow};
use crate::db::office_setups::SetupRow;
use crate::db::{self, DbConn, clients, council, meetings, office_setups};
use crate::domain::client::keep_provision_until;
use crate::domain::time::date_in_tokyo;
use crate::domain::year_month::YearMonth;
use crate::error::{ApiError, ApiResult};
use crate::routes::utc;

pub struct Parties<'a> {
    pub office: &'a str,
    pub office2: &'a str,
    pub corp: &'a str,
    pub hsc: &'a str,
    pub council: &'a str,
    pub office_user: &'a str,
}

/// Months back from this one; the fifth is the month without a meeting.
const MONTHS_BACK: std::ops::RangeInclusive<u32> = 1..=12;
const MISSED: u32 = 5;

const ISSUES: &[(&[&str], &str)] = &[
    (
        &["lack_of_vacancies", "rent_level"],
        "住宅扶助の上限内で単身向けの空き物件が少ない。",
    ),
    (
        &["guarantor", "unpaid_rent"],
        "保証人がいない方の家賃債務保証の審査が通りにくい。",
    ),
    (
        &["neighbour_trouble"],
        "過去の近隣トラブルを理由に断られた例の共有。",
    ),
    (
        &["death_in_flat", "support_after_move_in"],
        "見守り体制があれば受け入れるという家主の声。",
    ),
    (
        &["disability_label"],
        "精神障害があることだけを理由に断られた。",
    ),
    (
        &["emergency_contact", "guarantor"],
        "緊急連絡先を引き受ける人がいない。",
    ),
];

fn setups(
    conn: &mut DbConn,
    p: &Parties<'_>,
    today: NaiveDate,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let rows = [
        SetupRow {
            office_org_id: p.office.into(),
            partner_org_id: p.corp.into(),
            partnership_since: today - Duration::days(420),
            published_on: Some(today - Duration::days(410)),
            notified_on: Some(today - Duration::days(405)),
            services: r#"["community_transition","community_settlement"]"#.into(),
            version: 1,
            updated_at: now,
            updated_by_user_id: Some(p.office_user.into()),
        },
        SetupRow {
            office_org_id: p.office2.into(),
            partner_org_id: p.hsc.into(),
            partnership_since: today - Duration::days(200),
            published_on: None,
            notified_on: None,
            services: r#"["planning_consultation"]"#.into(),
            version: 1,
            updated_at: now,
            updated_by_user_id: None,
        },
    ];
    for r in &rows {
        office_setups::put(conn, r, None)?;
    }
    Ok(())
}

fn attendees(with_hsc: bool) -> String {
    let mut a = vec![
        serde_json::json!({"name": "佐藤 花子", "organization": "相談支援事業所 ひだまり", "organization_id": null, "role": "相談支援専門員"}),
        serde_json::json!({"name": "伊藤 直子", "organization": "NPO法人 すまいサポート札幌", "organization_id": null, "role": "居住支援法人 担当"}),
    ];
    if with_hsc {
        a.push(serde_json::json!({"name": "渡辺 修", "organization": "札幌市居住支援協議会", "organization_id": null, "role": "事務局"}));
    }
    serde_json::Value::Array(a).to_string()
}

/// One meeting on the 15th of `month` at 14:00 in Tokyo, sharing `shared`.
fn meeting(
    conn: &mut DbConn,
    p: &Parties<'_>,
    month: YearMonth,
    n: usize,
    shared: &[&ClientRow],
) -> ApiResult<MeetingRow> {
    let held_on = month.first_day() + Duration::days(14);
    let held_at = held_on
        .and_hms_opt(5, 0, 0)
        .ok_or_else(|| ApiError::internal("demo meeting time"))?;
    let with_hsc = n.is_multiple_of(3);
    let (issues, note) = ISSUES[n % ISSUES.len()];
    let row = MeetingRow {
        id: db::new_id(),
        office_org_id: p.office.into(),
        held_at,
        held_on,
        format: if n % 4 == 1 { "online" } else { "in_person" }.into(),
        attendees: attendees(with_hsc),
        agenda: Some("1. 利用者の住まい探しの状況 2. 家主からの相談 3. 次回の予定".into()),
        issue_categories: serde_json::to_string(issues).map_err(ApiError::internal)?,
        issues_note: Some(note.into()),
        minutes_version: if n.is_multiple_of(2) { 2 } else { 1 },
        version: 1,
        created_at: held_at + Duration::hours(3),
        created_by_user_id: Some(p.office_user.into()),
        updated_at: held_at + Duration::hours(3),
    };
    meetings::insert(conn, &row)?;
    let mut partners = vec![p.corp.to_owned()];
    if with_hsc {
        partners.push(p.hsc.to_owned());
    }
    meetings::set_partners(conn, &row.id, &partners)?;
    for v in 1..=row.minutes_version {
        let text = format!(
            "{month} 情報連携の場 議事録(第{v}版)\n共有した利用者 {} 名の住まい探しの状況を確認した。{note}",
            shared.len()
        );
        meetings::insert_minutes(
            conn,
            &MinutesRow {
                id: db::new_id(),
                meeting_id: row.id.clone(),
                version: v,
                text,
                written_at: held_at + Duration::hours(3) + Duration::days(i64::from(v - 1)),
                written_by_user_id: Some(p.office_user.into()),
            },
        )?;
    }
    let mut links = Vec::new();
    for c in shared {
        let consent = crate::routes::meetings::input::meeting_consent(conn, &c.id, held_on)?
            .ok_or_else(|| ApiError::internal("a demo client shared without consent"))?;
        links.push(MeetingClientRow {
            id: db::new_id(),
            meeting_id: row.id.clone(),
            client_id: c.id.clone(),
            consent_id: consent.id.clone(),
        });
        for partner in &partners {
            clients::log_provision(
                conn,
                &ProvisionRow {
                    id: db::new_id(),
                    client_id: c.id.clone(),
                    recipient_org_id: partner.clone(),
                    consent_id: consent.id.clone(),
                    purpose: consent.purpose.clone(),
                    items: "meeting".into(),
                    provided_at: held_at,
                    provided_by_user_id: Some(p.office_user.into()),
                    keep_until: keep_provision_until(held_on),
                },
            )?;
        }
    }
    meetings::set_clients(conn, &row.id, &links)?;
    Ok(row)
}

/// Loads the demo's set-ups, meetings, guidance sessions and report.
pub fn demo_meetings(
    conn: &mut DbConn,
    p: &Parties<'_>,
    office_clients: &[&ClientRow],
) -> ApiResult<()> {
    let now = db::now();
    let today = date_in_tokyo(utc(now));
    setups(conn, p, today, now)?;
    let this_month = YearMonth::of(today);
    let mut held = Vec::new();
    for back in MONTHS_BACK.rev() {
        if back == MISSED {
            continue;
        }
        let mut month = this_month;
        for _ in 0..back {
            month = month.prev();
        }
        let n = held.len();
        // Two or three of the office's clients each month, in turn.
        let shared: Vec<&ClientRow> = office_clients
            .iter()
            .cycle()
            .skip(n)
            .take(2 + n % 2)
            .copied()
            .collect();
        held.push(meeting(conn, p, month, n, &shared)?);
    }
    if let Some(m) = held.get(held.len().saturating_sub(4)) {
        meetings::insert_amendment(
            conn,
            &AmendmentRow {
                id: db::new_id(),
                meeting_id: m.id.clone(),
                fields: r#"["attendees"]"#.into(),
                change: "出席者に 居住支援法人 の 小川 氏(見守り担当)を追加。".into(),
                reason: "議事録作成時に出席者の記載が漏れていた。".into(),
                made_at: now - Duration::days(20),
                made_by_user_id: Some(p.office_user.into()),
            },
        )?;
    }
    let mut sessions = Vec::new();
    for (days_ago, code, explained) in [
        (
            40,
            "HM-0001",
            "家賃の支払い方法(口座振替)、ごみ出しのルール、夜間の緊急連絡先について居住支援法人と共に説明した。",
        ),
        (
            20,
            "HM-0003",
            "見守りサービスの内容と、体調が悪いときの連絡の流れを説明し、本人の希望を確認した。",
        ),
    ] {
        let client = office_clients
            .iter()
            .find(|c| c.display_code == code)
            .ok_or_else(|| ApiError::internal("demo session client"))?;
        let held_on = today - Duration::days(days_ago);
        let consent = clients::active_consent(conn, &client.id, "share_with_corp", Some(p.corp))?
            .ok_or_else(|| ApiError::internal("a demo session without consent"))?;
        let row = SessionRow {
            id: db::new_id(),
            office_org_id: p.office.into(),
            corp_org_id: p.corp.into(),
            client_id: client.id.clone(),
            consent_id: consent.id.clone(),
            held_on,
            explained: explained.into(),
            created_at: now - Duration::days(days_ago),
            created_by_user_id: Some(p.office_user.into()),
        };
        council::insert_session(conn, &row)?;
        sessions.push(row.id);
    }
    let submitted = now - Duration::days(10);
    let report = ReportRow {
        id: db::new_id(),
        office_org_id: p.office.into(),
        council_org_id: p.council.into(),
        title: "居住支援に関する課題の報告(地域居住支援体制強化推進加算)".into(),
        issue_categories: r#"["lack_of_vacancies","guarantor","disability_label"]"#.into(),
        issues_text: "単身向けの低家賃物件の不足、保証人のいない方の保証審査、障害を理由とした入居拒否が続いている。居住支援法人と共同で説明・指導を行った2件の経過を添えて報告する。".into(),
        status: "submitted".into(),
        submitted_on: Some(date_in_tokyo(utc(submitted))),
        submitted_at: Some(submitted),
        submitted_by_user_id: Some(p.office_user.into()),
        version: 2,
        created_at: now - Duration::days(15),
        created_by_user_id: Some(p.office_user.into()),
        updated_at: submitted,
    };
    council::insert_report(conn, &report)?;
    let recent: Vec<String> = held.iter().rev().take(3).map(|m| m.id.clone()).collect();
    council::set_sources(conn, &report.id, &recent, &sessions)?;
    Ok(())
}
