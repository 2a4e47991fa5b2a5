//! Which revision judges a month, and how a new revision file or a proposal changes the
//! answer without code.

use super::*;

#[test]
fn the_rules_in_force_change_on_the_tokyo_first_day_of_the_effective_month() {
    let book = book();
    let before = Month::containing(utc("2021-03-31T14:59:59Z"));
    let on = Month::containing(utc("2021-03-31T15:00:00Z"));
    assert_eq!(before, month("2021-03"));
    assert!(book.in_force(before).is_none());
    assert_eq!(book.in_force(on).unwrap().id().as_str(), "fy2021");
    let err = assess_in_force(&book, before, &office(), &records(), &client()).unwrap_err();
    assert_eq!(err.month, month("2021-03"));
    assert_eq!(
        assess_in_force(&book, on, &office(), &records(), &client())
            .unwrap()
            .revision
            .as_str(),
        "fy2021"
    );
}

#[test]
fn a_new_revision_file_takes_over_from_its_month_without_code_changes() {
    let fy2021 = fy2021_text();
    let fy2024 = fy2021
        .replace("id = \"fy2021\"", "id = \"fy2024\"")
        .replace("effective_from = 2021-04-01", "effective_from = 2024-04-15")
        .replace("units = 35", "units = 40");
    let lapsed = fy2021.replace(
        "record_retention_years = 5",
        "effective_until = 2024-04-30\nrecord_retention_years = 5",
    );
    let book = RuleBook::from_files([
        ("2021-04-01_fy2021.toml", lapsed.as_str()),
        ("2024-04-15_fy2024.toml", fy2024.as_str()),
    ])
    .unwrap();
    // Mid-month effect: April is still under FY2021, May under FY2024.
    assert_eq!(
        book.in_force(month("2024-04")).unwrap().id().as_str(),
        "fy2021"
    );
    assert_eq!(
        book.in_force(month("2024-05")).unwrap().id().as_str(),
        "fy2024"
    );
    let mut recs = records();
    recs.meetings = vec![meeting(1, "2024-05-10T01:00:00Z")];
    let all = assess_in_force(&book, month("2024-05"), &office(), &recs, &client()).unwrap();
    assert!(matches!(
        all.add_ons[0].outcome,
        Outcome::Claimable {
            units: Some(40),
            ..
        }
    ));
    // A revision that lapsed leaves later months without rules unless another follows.
    let only_lapsed = RuleBook::from_files([("2021-04-01_fy2021.toml", lapsed.as_str())]).unwrap();
    assert!(only_lapsed.in_force(month("2024-05")).is_none());
}

#[test]
fn the_proposal_can_be_evaluated_on_purpose_and_asks_less_of_a_meeting() {
    let mut m = meeting(1, "2021-05-12T01:00:00Z");
    m.has_minutes = false;
    m.issues_count = 0;
    let recs = OfficeRecords {
        meetings: vec![m],
        ..records()
    };
    assert!(!judge(&fy2021(), COLLAB, "2021-05", &office(), &recs).is_claimable());
    let what_if = assess(&proposal(), month("2021-05"), &office(), &recs, &client());
    assert_eq!(what_if.revision_kind, RevisionKind::Proposal);
    let o = &what_if.add_ons[0].outcome;
    assert!(
        matches!(
            o,
            Outcome::Claimable {
                units: None,
                times: 1,
                ..
            }
        ),
        "{o:?}"
    );
}
