//! The council report as one CSV file: UTF-8 with a byte-order mark (so Excel reads the
//! Japanese), CRLF line ends, one section per table.
//!
//! Each section starts with a row `section,<key>,<title>`, then a header row, then its
//! rows, then an empty line. Keys and columns:
//! - `summary` 概要: key, 項目, 値 (council, period, counts, rate, clients named/withheld)
//! - `months` 月別の達成状況: 月, 集計中, 対象事業所, 達成, 未達成, 未達成(集計中),
//!   開催回数, 達成率(%)
//! - `office_months` 事業所別・月別: 事業所ID, 事業所, 月, 開催回数, 要件を満たす開催,
//!   状況コード (met / missed / not_yet / not_required), 状況
//! - `issues` 課題: 分類コード, 分類, 回数, 例1, 例2, 例3
//! - `declines` 入居お断りの理由: 理由コード, 理由, 件数, 割合(%)
//! - `written_reports` 書面による報告: 報告ID, 提出日, 事業所ID, 事業所, 件名, 課題の分類
//! - `clients` 氏名の記載に同意した利用者: 氏名, 事業所, 共有された回数
//!
//! Text an office wrote could start with `=`, `+`, `-` or `@`, which a spreadsheet would
//! run as a formula: such cells get a leading `'`.

use crate::domain::council_report::{CouncilReport, MonthStatus};
use crate::domain::time::tokyo;

pub const BOM: &[u8] = b"\xEF\xBB\xBF";

pub fn write(report: &CouncilReport) -> std::io::Result<Vec<u8>> {
    let mut out = BOM.to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        summary(&mut w, report)?;
        months(&mut w, report)?;
        office_months(&mut w, report)?;
        issues(&mut w, report)?;
        declines(&mut w, report)?;
        written_reports(&mut w, report)?;
        clients(&mut w, report)?;
        w.flush()?;
    }
    Ok(out)
}

type W<'a> = csv::Writer<&'a mut Vec<u8>>;

fn section(w: &mut W<'_>, key: &str, title: &str, header: &[&str]) -> std::io::Result<()> {
    w.write_record(["section", key, title])?;
    w.write_record(header)?;
    Ok(())
}

fn end(w: &mut W<'_>) -> std::io::Result<()> {
    w.write_record(None::<&[u8]>)?;
    Ok(())
}

/// A cell of text someone typed: never a formula.
fn text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn opt(v: Option<u32>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

fn summary(w: &mut W<'_>, r: &CouncilReport) -> std::io::Result<()> {
    section(w, "summary", "概要", &["key", "項目", "値"])?;
    let s = &r.summary;
    let area = &r.council.area;
    let rows: Vec<(&str, &str, String)> = vec![
        ("council", "協議会", text(&r.council.name)),
        ("council_id", "協議会ID", r.council.id.to_string()),
        (
            "municipality_code",
            "市区町村コード",
            area.municipality_code.clone().unwrap_or_default(),
        ),
        (
            "prefecture_code",
            "都道府県コード",
            area.prefecture_code.clone().unwrap_or_default(),
        ),
        ("from", "対象期間（開始月）", r.from.to_string()),
        ("to", "対象期間（終了月）", r.to.to_string()),
        (
            "generated_at",
            "作成日時",
            r.generated_at.with_timezone(&tokyo()).to_rfc3339(),
        ),
        ("offices", "事業所数", s.offices.to_string()),
        (
            "offices_bound",
            "要件の対象となる事業所数",
            s.offices_bound.to_string(),
        ),
        ("meetings", "開催回数", s.meetings.to_string()),
        (
            "office_months_bound",
            "要件の対象となる事業所・月",
            s.office_months_bound.to_string(),
        ),
        ("met", "要件達成", s.met.to_string()),
        ("missed", "未達成", s.missed.to_string()),
        ("not_yet", "未達成（集計中）", s.not_yet.to_string()),
        (
            "compliance_rate_percent",
            "達成率(%)",
            opt(s.compliance_rate_percent),
        ),
        (
            "written_reports",
            "書面による報告",
            s.written_reports.to_string(),
        ),
        ("declines", "入居お断り", s.declines.to_string()),
        (
            "clients_discussed",
            "共有された利用者",
            r.clients.discussed.to_string(),
        ),
        (
            "clients_named",
            "うち氏名を記載（同意あり）",
            r.clients.named.len().to_string(),
        ),
        (
            "clients_withheld",
            "うち氏名非表示",
            r.clients.withheld.to_string(),
        ),
    ];
    for (key, label, value) in rows {
        w.write_record([key, label, value.as_str()])?;
    }
    end(w)
}

fn months(w: &mut W<'_>, r: &CouncilReport) -> std::io::Result<()> {
    section(
        w,
        "months",
        "月別の達成状況",
        &[
            "月",
            "集計中",
            "対象事業所",
            "達成",
            "未達成",
            "未達成(集計中)",
            "開催回数",
            "達成率(%)",
        ],
    )?;
    for m in &r.months {
        w.write_record([
            m.month.to_string(),
            if m.open { "1" } else { "0" }.to_owned(),
            m.offices_bound.to_string(),
            m.met.to_string(),
            m.missed.to_string(),
            m.not_yet.to_string(),
            m.meetings.to_string(),
            opt(m.rate_percent),
        ])?;
    }
    end(w)
}

fn status(s: MonthStatus) -> (&'static str, &'static str) {
    match s {
        MonthStatus::Met => ("met", "達成"),
        MonthStatus::Missed => ("missed", "未達成"),
        MonthStatus::NotYet => ("not_yet", "集計中"),
        MonthStatus::NotRequired => ("not_required", "対象外"),
    }
}

fn office_months(w: &mut W<'_>, r: &CouncilReport) -> std::io::Result<()> {
    section(
        w,
        "office_months",
        "事業所別・月別",
        &[
            "事業所ID",
            "事業所",
            "月",
            "開催回数",
            "要件を満たす開催",
            "状況コード",
            "状況",
        ],
    )?;
    for o in &r.offices {
        let (id, name) = (o.office_id.to_string(), text(&o.name));
        for c in &o.months {
            let (code, label) = status(c.status);
            w.write_record([
                id.as_str(),
                name.as_str(),
                &c.month.to_string(),
                &c.meetings.to_string(),
                &c.qualifying.to_string(),
                code,
                label,
            ])?;
        }
    }
    end(w)
}

fn issues(w: &mut W<'_>, r: &CouncilReport) -> std::io::Result<()> {
    section(
        w,
        "issues",
        "課題",
        &["分類コード", "分類", "回数", "例1", "例2", "例3"],
    )?;
    for i in &r.issues {
        let mut row = vec![
            i.category.as_str().to_owned(),
            text(&i.label),
            i.count.to_string(),
        ];
        row.extend(i.examples.iter().map(|e| text(e)));
        w.write_record(&row)?;
    }
    end(w)
}

fn declines(w: &mut W<'_>, r: &CouncilReport) -> std::io::Result<()> {
    section(
        w,
        "declines",
        "入居お断りの理由",
        &["理由コード", "理由", "件数", "割合(%)"],
    )?;
    for d in &r.declines {
        let code = serde_json::to_value(d.reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        w.write_record([
            code,
            d.label.clone(),
            d.count.to_string(),
            opt(d.share_percent),
        ])?;
    }
    end(w)
}

fn written_reports(w: &mut W<'_>, r: &CouncilReport) -> std::io::Result<()> {
    section(
        w,
        "written_reports",
        "書面による報告",
        &[
            "報告ID",
            "提出日",
            "事業所ID",
            "事業所",
            "件名",
            "課題の分類",
        ],
    )?;
    for x in &r.written_reports {
        let categories: Vec<&str> = x.issue_categories.iter().map(|c| c.label_ja()).collect();
        w.write_record([
            x.id.to_string(),
            x.submitted_on.to_string(),
            x.office_id.to_string(),
            text(&x.office_name),
            text(&x.title),
            categories.join("、"),
        ])?;
    }
    end(w)
}

fn clients(w: &mut W<'_>, r: &CouncilReport) -> std::io::Result<()> {
    section(
        w,
        "clients",
        "氏名の記載に同意した利用者",
        &["氏名", "事業所", "共有された回数"],
    )?;
    for c in &r.clients.named {
        w.write_record([text(&c.name), text(&c.office_name), c.meetings.to_string()])?;
    }
    end(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_starts_with_a_bom_and_every_section_parses() {
        let mut report = crate::pdf::sample::council_report(3, 2);
        report.offices[0].name = "=HYPERLINK(\"x\")".into();
        let bytes = write(&report).unwrap();
        assert!(bytes.starts_with(BOM));
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&bytes[BOM.len()..]);
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        let keys: Vec<&str> = rows
            .iter()
            .filter(|r| r.get(0) == Some("section"))
            .map(|r| &r[1])
            .collect();
        assert_eq!(
            keys,
            [
                "summary",
                "months",
                "office_months",
                "issues",
                "declines",
                "written_reports",
                "clients"
            ]
        );
        assert!(rows.iter().any(|r| r.get(1) == Some("'=HYPERLINK(\"x\")")));
        assert_eq!(
            rows.iter()
                .filter(|r| r.len() == 7 && r.get(2) == Some("2025-04"))
                .count(),
            3,
            "one office_months row per office in April"
        );
    }
}
