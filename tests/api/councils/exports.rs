//! The same report as CSV and PDF: the CSV parsed back, the PDF read with poppler's
//! pdftotext (the figures and Japanese headings) and page 1 rendered to a PNG in
//! `target/pdf-test/` to look at. Each export leaves an audit entry, and the named
//! client a provision to the council.

use diesel::prelude::*;
use reqwest::StatusCode;
use sumai_link::db::schema::{audit_log, provision_log};

use super::{NAMED, OFFICE_NAME, PERIOD, WITHHELD, report_path, seed};
use crate::helpers::{poppler, spawn_app, squeeze};

fn section<'a>(rows: &'a [csv::StringRecord], key: &str) -> Vec<&'a csv::StringRecord> {
    rows.iter()
        .skip_while(|r| !(r.get(0) == Some("section") && r.get(1) == Some(key)))
        .skip(2)
        .take_while(|r| !(r.len() == 1 && r.get(0) == Some("")))
        .collect()
}

#[tokio::test]
async fn the_report_exports_as_a_csv_excel_opens_and_an_a4_pdf_with_the_same_figures() {
    let app = spawn_app().await;
    let s = seed(&app).await;

    let res = app
        .get(
            &report_path(&s.council, &format!("{PERIOD}&format=csv")),
            "council",
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("council-meetings-2024-04_2024-06.csv"),
        "{disposition}"
    );
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "no BOM");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(!text.contains(WITHHELD));
    let rows: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    let summary = section(&rows, "summary");
    let value = |key: &str| {
        summary
            .iter()
            .find(|r| &r[0] == key)
            .map(|r| r[2].to_owned())
    };
    assert_eq!(value("compliance_rate_percent").as_deref(), Some("67"));
    assert_eq!(value("meetings").as_deref(), Some("2"));
    assert_eq!(value("clients_withheld").as_deref(), Some("1"));
    let months: Vec<(String, String, String)> = section(&rows, "months")
        .iter()
        .map(|r| (r[0].to_owned(), r[6].to_owned(), r[7].to_owned()))
        .collect();
    assert_eq!(
        months,
        [
            ("2024-04".into(), "1".into(), "100".into()),
            ("2024-05".into(), "0".into(), "0".into()),
            ("2024-06".into(), "1".into(), "100".into()),
        ]
    );
    let cells: Vec<&str> = section(&rows, "office_months")
        .iter()
        .filter(|r| &r[1] == OFFICE_NAME)
        .map(|r| r.get(5).unwrap())
        .collect();
    assert_eq!(cells, ["met", "missed", "met"]);
    let issues = section(&rows, "issues");
    assert_eq!((&issues[0][0], &issues[0][2]), ("guarantor", "2"));
    assert_eq!(section(&rows, "declines").len(), {
        let mut distinct = s.declines.clone();
        distinct.sort();
        distinct.dedup();
        distinct.len()
    });
    let named = section(&rows, "clients");
    assert_eq!((named.len(), &named[0][0], &named[0][2]), (1, NAMED, "2"));

    let res = app
        .get(
            &report_path(&s.council, &format!("{PERIOD}&format=pdf")),
            "council",
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/pdf-test");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("council-report-api-{}.pdf", app.port));
    std::fs::write(&file, &pdf).unwrap();
    let path = file.to_string_lossy().into_owned();
    let text = squeeze(&poppler("pdftotext", &["-enc", "UTF-8", &path, "-"]));
    for expected in [
        "情報連携の場 開催状況報告書",
        "札幌市自立支援協議会",
        "対象期間 2024年4月〜2024年6月",
        "月別の達成状況",
        "情報連携の場で挙がった課題",
        "入居をお断りされた理由",
        "協議会への書面による報告",
        "事業所別・月別の開催回数",
        OFFICE_NAME,
        NAMED,
        "67%",
        "〇〇さんの保証人が見つからない",
        "〇〇さんの住まい探しの課題",
        "保証人・家賃債務保証",
    ] {
        assert!(
            text.contains(&squeeze(expected)),
            "{expected} missing from the PDF:\n{text}"
        );
    }
    assert!(
        !text.contains(&squeeze(WITHHELD)),
        "a withheld name is in the PDF"
    );
    let info = poppler("pdfinfo", &[&path]);
    assert!(info.contains("(A4)"), "not A4: {info}");
    let fonts = poppler("pdffonts", &[&path]);
    assert!(fonts.contains("+IPAexGothic"), "{fonts}");
    let png = dir.join(format!("council-report-api-{}", app.port));
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "70",
            "-f",
            "1",
            "-l",
            "1",
            &path,
            &png.to_string_lossy(),
        ],
    );

    let council = s.council.clone();
    let (exports, provisions) = app
        .db
        .run(move |conn| {
            let exports: i64 = audit_log::table
                .filter(audit_log::object_type.eq("council_meeting_report"))
                .filter(audit_log::object_id.eq(&council))
                .count()
                .get_result(conn)?;
            let provisions: i64 = provision_log::table
                .filter(provision_log::recipient_org_id.eq(&council))
                .filter(provision_log::purpose.eq("council_reports"))
                .count()
                .get_result(conn)?;
            Ok((exports, provisions))
        })
        .await
        .unwrap();
    // Two exports here; each named the one consenting client.
    assert_eq!((exports, provisions), (2, 2));
}
