use super::*;
use chrono::TimeZone;

fn month(s: &str) -> ReportMonth {
    ReportMonth::parse(s).unwrap()
}

fn row(office: &str, m: &str, meetings: u32, met: bool) -> OfficeMonthRow {
    OfficeMonthRow {
        office_name: office.into(),
        month: month(m),
        meetings,
        met,
    }
}

fn report(rows: Vec<OfficeMonthRow>) -> CouncilReport {
    CouncilReport {
        council_name: "札幌市自立支援協議会".into(),
        period_from: month("2025-11"),
        period_to: month("2026-02"),
        generated_at: Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
        office_months: rows,
        issues: vec![],
        written_reports: vec![],
        declines: vec![],
    }
}

#[test]
fn a_month_parses_only_as_yyyy_mm_and_prints_back() {
    assert_eq!(month("2026-04").to_string(), "2026-04");
    for bad in ["2026-4", "2026-13", "26-04", "2026/04", "", "2026-00"] {
        assert_eq!(ReportMonth::parse(bad), None, "{bad}");
    }
    assert_eq!(month("2025-12").next(), month("2026-01"));
}

#[test]
fn the_period_lists_every_month_across_the_new_year() {
    let r = report(vec![]);
    let labels: Vec<String> = r.months().iter().map(|m| m.to_string()).collect();
    assert_eq!(labels, ["2025-11", "2025-12", "2026-01", "2026-02"]);
}

#[test]
fn compliance_counts_only_bound_offices_and_leaves_empty_months_without_a_rate() {
    let r = report(vec![
        row("A", "2025-11", 1, true),
        row("B", "2025-11", 0, false),
        row("C", "2025-11", 2, true),
        row("A", "2025-12", 1, true),
        row("A", "2026-02", 0, false),
        row("A", "2027-01", 3, true), // outside the period
    ]);
    let c = r.compliance_by_month();
    assert_eq!(c.len(), 4);
    assert_eq!((c[0].offices, c[0].met, c[0].meetings), (3, 2, 3));
    assert_eq!(c[0].rate_percent(), Some(67));
    assert_eq!(c[1].rate_percent(), Some(100));
    assert_eq!(c[2].rate_percent(), None);
    assert_eq!(c[3].rate_percent(), Some(0));
    assert_eq!(r.overall_rate_percent(), Some(67));
}

#[test]
fn rates_round_half_up() {
    assert_eq!(percent(10, 12), Some(83));
    assert_eq!(percent(1, 8), Some(13));
    assert_eq!(percent(1, 3), Some(33));
    assert_eq!(percent(0, 0), None);
}

#[test]
fn the_grid_has_one_row_per_office_in_first_seen_order_with_gaps() {
    let r = report(vec![
        row("B", "2025-12", 1, true),
        row("A", "2025-11", 1, true),
        row("B", "2026-02", 0, false),
    ]);
    let g = r.office_grid();
    assert_eq!(g.len(), 2);
    assert_eq!(g[0].office_name, "B");
    let met: Vec<Option<bool>> = g[0].cells.iter().map(|c| c.map(|r| r.met)).collect();
    assert_eq!(met, [None, Some(true), None, Some(false)]);
}

#[test]
fn issues_are_counted_by_category_with_at_most_three_distinct_examples() {
    let issue = |c: &str, t: &str| (c.to_owned(), t.to_owned());
    let agg = IssueCount::aggregate([
        issue("保証人", "緊急連絡先がいない"),
        issue("家賃", "家賃が上限を超える"),
        issue("保証人", "緊急連絡先がいない"),
        issue("保証人", " "),
        issue("保証人", "保証会社の審査に通らない"),
        issue("保証人", "親族が高齢"),
        issue("保証人", "四つ目の例"),
    ]);
    assert_eq!(agg[0].category, "保証人");
    assert_eq!(agg[0].count, 6);
    assert_eq!(
        agg[0].examples,
        [
            "緊急連絡先がいない",
            "保証会社の審査に通らない",
            "親族が高齢"
        ]
    );
    assert_eq!((agg[1].category.as_str(), agg[1].count), ("家賃", 1));
}

#[test]
fn declines_are_tallied_most_frequent_first() {
    use DeclineReason::*;
    let t = DeclineCount::tally([DeathInFlat, UnpaidRent, DeathInFlat, NeighbourTrouble]);
    let got: Vec<(DeclineReason, u32)> = t.iter().map(|d| (d.reason, d.count)).collect();
    assert_eq!(
        got,
        [(DeathInFlat, 2), (UnpaidRent, 1), (NeighbourTrouble, 1)]
    );
}
