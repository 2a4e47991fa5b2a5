use chrono::NaiveDate;

use super::concern::{ConcernKind, route};
use super::diff::diff;
use super::print::{Heading, printable};
use super::rules::{clock, phone};
use super::*;
use crate::demo::support_sheets::sample_sections;
use crate::error::ApiError;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn sample() -> Sections {
    sample_sections(None, None, NaiveDate::from_ymd_opt(2026, 11, 1).unwrap())
}

fn fields_of(r: Result<Sections, ApiError>) -> Vec<String> {
    match r {
        Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
        Ok(_) => Vec::new(),
        Err(other) => panic!("unexpected {other:?}"),
    }
}

#[test]
fn the_sample_sheet_is_valid_and_normalizing_it_changes_nothing() {
    let s = sample();
    assert_eq!(normalize(s.clone(), today()).unwrap(), s);
}

#[test]
fn phone_numbers_are_japanese_and_come_out_in_ascii() {
    assert_eq!(phone("０１１－２１１－００００").unwrap(), "011-211-0000");
    assert_eq!(phone("090 1234 5678").unwrap(), "09012345678");
    assert_eq!(phone("#7119").unwrap(), "#7119");
    assert_eq!(phone("119").unwrap(), "119");
    for bad in [
        "12345",
        "011-211-000",
        "+81-11-211-0000",
        "011--211-0000",
        "電話",
    ] {
        assert!(phone(bad).is_err(), "{bad} should be refused");
    }
}

#[test]
fn times_are_clock_times_up_to_midnight() {
    assert_eq!(clock("9:05").unwrap(), (545, "09:05".to_owned()));
    assert_eq!(clock("24:00").unwrap().0, 1440);
    for bad in ["24:01", "9", "09:60", "ab:cd", "9:5"] {
        assert!(clock(bad).is_err(), "{bad} should be refused");
    }
}

#[test]
fn every_scenario_must_be_there_once_with_the_contacts_it_needs() {
    let mut s = sample();
    s.scenarios.retain(|x| x.kind != ScenarioKind::Disaster);
    let health = s
        .scenarios
        .iter_mut()
        .find(|x| x.kind == ScenarioKind::HealthWorse)
        .unwrap();
    // Only the office acts: no one medical, and no one who answers at night.
    health.steps.retain(|st| st.contact == "office");
    health.signs.clear();
    let fields = fields_of(normalize(s, today()));
    assert!(fields.contains(&"scenarios".to_owned()), "{fields:?}");
    assert!(fields.contains(&"scenarios[health_worse].signs".to_owned()));
    assert_eq!(
        fields
            .iter()
            .filter(|f| *f == "scenarios[health_worse].steps")
            .count(),
        2,
        "{fields:?}"
    );
}

#[test]
fn contacts_are_checked_field_by_field() {
    let mut s = sample();
    s.network[1].phone = "123".into();
    s.network[2].key = "office".into();
    s.network[3].hours = vec![Hours {
        days: vec![],
        from: "18:00".into(),
        to: "09:00".into(),
    }];
    s.schedule[0].contact = "nobody".into();
    s.payment.due_day = 0;
    s.payment.guarantor = None;
    s.review.next_review_on = "2028-01-01".into();
    let fields = fields_of(normalize(s, today()));
    for f in [
        "network[1].phone",
        "network[2].key",
        "network[3].hours[0].days",
        "network[3].hours[0].to",
        "schedule[0].contact",
        "payment.due_day",
        "payment.guarantor",
        "review.next_review_on",
    ] {
        assert!(
            fields.contains(&f.to_owned()),
            "{f} missing from {fields:?}"
        );
    }
}

#[test]
fn a_review_in_the_future_is_refused() {
    let mut s = sample();
    s.review.reviewed_on = "2026-12-01".into();
    assert!(fields_of(normalize(s, today())).contains(&"review.reviewed_on".to_owned()));
}

#[test]
fn a_recipient_sees_only_the_sections_it_was_given() {
    let shared = SharedSections::only(sample(), &[Section::Network, Section::Scenarios]);
    assert_eq!(shared.shown(), vec![Section::Network, Section::Scenarios]);
    assert_eq!(
        shared.withheld(),
        vec![
            Section::Person,
            Section::Schedule,
            Section::Payment,
            Section::Review
        ]
    );
    let json = serde_json::to_value(&shared).unwrap();
    assert!(json.get("person").is_none() && json.get("payment").is_none());
}

#[test]
fn the_print_leaves_out_what_is_withheld_and_puts_contacts_in_the_emergency_table() {
    let heading = || Heading {
        client_name: Some("山本 直樹".into()),
        display_code: "HM-0001".into(),
        version: 1,
        published: true,
        recipient: "山田ハイツ".into(),
        generated_at: "2026-11-23 10:00".into(),
    };
    let p = printable(
        heading(),
        &SharedSections::only(sample(), &[Section::Scenarios, Section::Network]),
    );
    assert_eq!(
        p.client, "HM-0001",
        "the name comes with the person section only"
    );
    assert_eq!(p.emergency.len(), ScenarioKind::ALL.len());
    assert_eq!(p.emergency[2].phone, "011-233-4455");
    assert_eq!(p.emergency[2].night_phone, "090-1234-5678");
    assert_eq!(p.emergency[2].night_note, "24時間対応");
    assert!(p.person.is_none() && p.payment.is_none());
    assert!(p.withheld.contains(&"家賃保証・支払い"));
    let text = serde_json::to_string(&p).unwrap();
    assert!(!text.contains("障害年金"), "payment text leaked");

    let p = printable(
        heading(),
        &SharedSections::only(sample(), &[Section::Scenarios]),
    );
    assert!(
        p.emergency.iter().all(|r| r.phone.is_empty()),
        "no phone without the network"
    );
    let p = printable(heading(), &SharedSections::all(sample()));
    assert_eq!(p.client, "山本 直樹 さん");
}

#[test]
fn a_concern_goes_to_the_first_contact_of_its_scenario_else_the_office() {
    let s = sample();
    let r = route(&s, ConcernKind::NoAnswer).unwrap();
    assert_eq!(
        (r.contact_key.as_str(), r.scenario),
        ("corp", Some(ScenarioKind::NoContact))
    );
    assert_eq!(r.night_phone.as_deref(), Some("080-9876-5432"));
    assert_eq!(
        route(&s, ConcernKind::NoiseComplaint).unwrap().contact_key,
        "office"
    );
    let other = route(&s, ConcernKind::Other).unwrap();
    assert_eq!(
        (other.contact_key.as_str(), other.scenario),
        ("office", None)
    );
}

#[test]
fn a_diff_names_contacts_by_key_and_scenarios_by_kind() {
    let a = sample();
    let mut b = a.clone();
    b.network[1].phone = "011-999-0000".into();
    let mut new = b.network[0].clone();
    new.key = "lawyer".into();
    new.kind = ContactKind::Advocacy;
    b.network.insert(0, new);
    b.scenarios[0].steps[0].within = Speed::SameDay;
    b.payment.note = None;
    let changes = diff(&a, &b);
    let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "network[clinic].phone",
            "network[lawyer]",
            "payment.note",
            "scenarios[rent_late].steps[0].within",
        ],
        "{changes:#?}"
    );
    let added = &changes[1];
    assert!(added.before.is_none() && added.after.is_some());
    assert!(diff(&a, &a).is_empty());
}

#[test]
fn days_in_a_row_are_written_as_a_range() {
    use Day::*;
    assert_eq!(days_ja(&[Mon, Tue, Wed, Thu, Fri]), "月〜金");
    assert_eq!(days_ja(&[Sat, Mon, Tue, Holiday]), "月・火・土・祝");
    assert_eq!(days_ja(&[Wed, Thu, Fri, Sat, Sun]), "水〜日");
    assert_eq!(
        hours_ja(&[Hours {
            days: vec![Mon, Tue, Wed],
            from: "09:00".into(),
            to: "17:00".into()
        }]),
        "月〜水 09:00–17:00"
    );
    assert_eq!(hours_ja(&[]), "24時間");
}
