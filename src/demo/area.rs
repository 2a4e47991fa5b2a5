//! More support offices in the council's area, each with a year of meetings with the
//! demo's 居住支援法人, clients with consents, written reports to the council and a
//! few refusals by the demo landlord: so that council@ sees a real report at once, and
//! so that the council-report benchmark can seed 200 offices the same way. What each
//! office does follows `pdf::sample` (every tenth office only plans; some months are
//! missed or lack minutes).

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::accounts::new_org;
use crate::db::clients::{ClientRow, ConsentRow, ProvisionRow};
use crate::db::council::ReportRow;
use crate::db::inquiries::{EventRow, InquiryRow};
use crate::db::meetings::{MeetingClientRow, MeetingRow, MinutesRow};
use crate::db::office_setups::SetupRow;
use crate::db::{
    self, DbConn, clients, council, inquiries, meetings, office_setups, organizations,
};
use crate::domain::client::keep_provision_until;
use crate::domain::month::Month;
use crate::domain::organization::OrgKind;
use crate::domain::rental::flags::Category;
use crate::domain::time::date_in_tokyo;
use crate::error::{ApiError, ApiResult};
use crate::pdf::sample::{self, CLIENTS_PER_OFFICE, words::DECLINES};
use crate::routes::utc;

/// Who the seeded offices deal with.
pub struct AreaParties<'a> {
    pub corp: &'a str,
    pub council: &'a str,
    pub landlord: &'a str,
    /// Rentals of the landlord, for the refusals (none: no refusals).
    pub rentals: &'a [String],
    /// Recorded as the user who wrote the consents and records.
    pub user: &'a str,
    pub prefecture: &'a str,
    pub municipality: &'a str,
}

/// Seeds offices `offices` (indexes into the sample's names) with the 12 months before
/// `now`'s month and what has passed of it.
pub fn seed(
    conn: &mut DbConn,
    p: &AreaParties<'_>,
    offices: std::ops::Range<usize>,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let today = date_in_tokyo(utc(now));
    let this_month = Month::of(today);
    let first = (0..12).try_fold(this_month, |m, _| m.prev());
    let first = first.ok_or_else(|| ApiError::internal("months before the calendar"))?;
    let months: Vec<Month> = first.through(this_month).collect();
    for o in offices {
        office(conn, p, o, &months, now)?;
    }
    Ok(())
}

fn office(
    conn: &mut DbConn,
    p: &AreaParties<'_>,
    o: usize,
    months: &[Month],
    now: NaiveDateTime,
) -> ApiResult<()> {
    let today = date_in_tokyo(utc(now));
    let ago = |days: i64| today - Duration::days(days);
    let org = new_org(
        OrgKind::SupportOffice,
        &sample::office_name(o),
        Some(p.prefecture),
        Some(p.municipality),
    );
    organizations::insert(conn, &org)?;
    let services = if sample::plan_only(o) {
        r#"["planning_consultation"]"#
    } else {
        r#"["community_transition","community_settlement"]"#
    };
    office_setups::put(
        conn,
        &SetupRow {
            office_org_id: org.id.clone(),
            partner_org_id: p.corp.into(),
            partnership_since: ago(400),
            published_on: Some(ago(395)),
            notified_on: Some(ago(390)),
            services: services.into(),
            version: 1,
            updated_at: now,
            updated_by_user_id: None,
        },
        None,
    )?;
    let mut people = Vec::new();
    for j in 0..CLIENTS_PER_OFFICE {
        let client = client(conn, &org.id, o, j, now)?;
        let discuss = consent(conn, p, &client.id, "discuss_at_meetings", ago(400), now)?;
        if j == 0 && o.is_multiple_of(4) {
            consent(conn, p, &client.id, "council_reports", ago(400), now)?;
        }
        people.push((client, discuss));
    }
    for (m, month) in months.iter().enumerate() {
        let plan = sample::plan(o, m);
        for k in 0..plan.meetings {
            let held_at = sample::meeting_time(*month, k).naive_utc();
            if held_at > now {
                continue;
            }
            let (client, consent) = &people[(m + k as usize) % people.len()];
            meeting(conn, p, &org.id, held_at, plan, k, client, consent)?;
        }
        let day = month.first_day() + Duration::days((plan.seed % 27) as i64);
        if plan.written_report && day < today {
            written_report(conn, p, &org.id, *month, day, plan.seed, now)?;
        }
    }
    let refusals = if p.rentals.is_empty() {
        0
    } else {
        sample::mix(o as u64, 77) % 3
    };
    for i in 0..refusals as usize {
        let (client, _) = &people[i % people.len()];
        let seed = sample::mix(o as u64, 78 + i as u64);
        let at = now - Duration::days(20 + (seed % 320) as i64);
        decline(conn, p, client, i + o * 3, seed, at)?;
    }
    Ok(())
}

fn client(
    conn: &mut DbConn,
    office: &str,
    o: usize,
    j: usize,
    now: NaiveDateTime,
) -> ApiResult<ClientRow> {
    let row = ClientRow {
        id: db::new_id(),
        office_org_id: office.into(),
        display_code: format!("S{o:03}-{j}"),
        name: sample::client_name(o, j),
        name_kana: None,
        date_of_birth: NaiveDate::from_ymd_opt(1975 + (o % 25) as i32, 1 + (j % 12) as u32, 10)
            .unwrap_or_default(),
        categories: Category::DisabilityMental.bit() as i32,
        current_place: "hospital".into(),
        current_place_note: None,
        target_move_date: None,
        responsible_user_id: None,
        status: "searching".into(),
        version: 1,
        created_at: now - Duration::days(420),
        updated_at: now,
        deleted_at: None,
    };
    clients::insert(conn, &row)?;
    Ok(row)
}

fn consent(
    conn: &mut DbConn,
    p: &AreaParties<'_>,
    client: &str,
    purpose: &str,
    given_on: NaiveDate,
    now: NaiveDateTime,
) -> ApiResult<ConsentRow> {
    let row = ConsentRow {
        id: db::new_id(),
        client_id: client.into(),
        purpose: purpose.into(),
        recipient_org_id: None,
        sheet_section: None,
        method: "written".into(),
        given_on,
        recorded_by_user_id: p.user.into(),
        recorded_at: now - Duration::days(400),
        withdrawn_at: None,
        withdrawn_by_user_id: None,
        note: None,
    };
    clients::insert_consent(conn, &row)?;
    Ok(row)
}

#[allow(clippy::too_many_arguments)]
fn meeting(
    conn: &mut DbConn,
    p: &AreaParties<'_>,
    office: &str,
    held_at: NaiveDateTime,
    plan: sample::OfficeMonthPlan,
    k: u32,
    client: &ClientRow,
    consent: &ConsentRow,
) -> ApiResult<()> {
    let (category, note) = sample::issue(plan.seed, k);
    let row = MeetingRow {
        id: db::new_id(),
        office_org_id: office.into(),
        held_at,
        held_on: date_in_tokyo(utc(held_at)),
        format: "in_person".into(),
        attendees: "[]".into(),
        agenda: Some("利用者の住まい探しの状況".into()),
        issue_categories: serde_json::to_string(&[category]).map_err(ApiError::internal)?,
        issues_note: Some(note.into()),
        minutes_version: i32::from(plan.minutes),
        version: 1,
        created_at: held_at + Duration::hours(3),
        created_by_user_id: None,
        updated_at: held_at + Duration::hours(3),
    };
    meetings::insert(conn, &row)?;
    if plan.minutes {
        meetings::insert_minutes(
            conn,
            &MinutesRow {
                id: db::new_id(),
                meeting_id: row.id.clone(),
                version: 1,
                text: format!("住まい探しの状況を共有した。{note}"),
                written_at: row.created_at,
                written_by_user_id: None,
            },
        )?;
    }
    meetings::set_partners(conn, &row.id, &[p.corp.to_owned()])?;
    let link = MeetingClientRow {
        id: db::new_id(),
        meeting_id: row.id.clone(),
        client_id: client.id.clone(),
        consent_id: consent.id.clone(),
    };
    meetings::set_clients(conn, &row.id, &[link])?;
    clients::log_provision(
        conn,
        &ProvisionRow {
            id: db::new_id(),
            client_id: client.id.clone(),
            recipient_org_id: p.corp.into(),
            consent_id: consent.id.clone(),
            purpose: consent.purpose.clone(),
            items: "meeting".into(),
            provided_at: held_at,
            provided_by_user_id: None,
            keep_until: keep_provision_until(row.held_on),
        },
    )?;
    Ok(())
}

fn written_report(
    conn: &mut DbConn,
    p: &AreaParties<'_>,
    office: &str,
    month: Month,
    day: NaiveDate,
    seed: u64,
    now: NaiveDateTime,
) -> ApiResult<()> {
    let (first, text) = sample::issue(seed, 0);
    let (second, _) = sample::issue(seed, 1);
    let mut categories = vec![first.as_str()];
    if second != first {
        categories.push(second.as_str());
    }
    let at = day.and_hms_opt(6, 0, 0).unwrap_or_default();
    council::insert_report(
        conn,
        &ReportRow {
            id: db::new_id(),
            office_org_id: office.into(),
            council_org_id: p.council.into(),
            title: format!("{}月の居住支援に関する課題の報告", month.month()),
            issue_categories: serde_json::to_string(&categories).map_err(ApiError::internal)?,
            issues_text: text.into(),
            status: "submitted".into(),
            submitted_on: Some(day),
            submitted_at: Some(at),
            submitted_by_user_id: None,
            version: 2,
            created_at: at.min(now),
            created_by_user_id: None,
            updated_at: at.min(now),
        },
    )?;
    Ok(())
}

fn decline(
    conn: &mut DbConn,
    p: &AreaParties<'_>,
    client: &ClientRow,
    n: usize,
    seed: u64,
    at: NaiveDateTime,
) -> ApiResult<()> {
    let rental = p
        .rentals
        .get(n % p.rentals.len().max(1))
        .ok_or_else(|| ApiError::internal("no rentals to decline"))?;
    let total: u32 = DECLINES.iter().map(|d| d.1).sum();
    let mut pick = (seed % u64::from(total)) as u32;
    let reason = DECLINES
        .iter()
        .find(|(_, w)| {
            let hit = pick < *w;
            pick = pick.saturating_sub(*w);
            hit
        })
        .map_or(DECLINES[0].0, |d| d.0);
    let row = InquiryRow {
        id: db::new_id(),
        client_id: client.id.clone(),
        rental_id: rental.clone(),
        office_org_id: client.office_org_id.clone(),
        landlord_org_id: p.landlord.into(),
        agent_org_id: None,
        status: "declined".into(),
        viewing_at: None,
        decline_reason: Some(crate::routes::inquiries::view::enum_text(reason)?),
        decline_note: None,
        withdraw_reason: None,
        stalled_at: None,
        last_step_at: at,
        version: 2,
        created_at: at - Duration::days(7),
        updated_at: at,
    };
    inquiries::insert(conn, &row)?;
    for (from, to, when) in [
        (None, "proposed", at - Duration::days(7)),
        (Some("proposed"), "declined", at),
    ] {
        inquiries::insert_event(
            conn,
            &EventRow {
                id: db::new_id(),
                inquiry_id: row.id.clone(),
                from_status: from.map(str::to_owned),
                to_status: to.into(),
                at: when,
                by_user_id: None,
                by_org_id: Some(
                    if to == "declined" {
                        p.landlord
                    } else {
                        &client.office_org_id
                    }
                    .to_owned(),
                ),
                note: None,
            },
        )?;
    }
    Ok(())
}
