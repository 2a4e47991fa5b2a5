//! The PDFs checked as a reader gets them: text through poppler's `pdftotext`, fonts
//! through `pdffonts`, page 1 as a PNG in `target/pdf-test/` to look at.

use std::path::PathBuf;
use std::process::Command;
use std::sync::LazyLock;

use super::*;
use crate::domain::council_report::CouncilReport;

static RENDERER: LazyLock<PdfRenderer> = LazyLock::new(PdfRenderer::new);

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/pdf-test");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a poppler tool; they come from Debian's poppler-utils, which `.ci/run` installs.
fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils) is needed: {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Renders, insists typst had nothing to warn about (a missing glyph is only a warning),
/// and writes the file for the poppler tools.
fn render(report: &CouncilReport, name: &str) -> (Vec<u8>, String) {
    let rendered = RENDERER.council_report(report).unwrap();
    assert!(
        rendered.warnings.is_empty(),
        "typst warned: {:?}",
        rendered.warnings
    );
    let path = out_dir().join(format!("{name}.pdf"));
    std::fs::write(&path, &rendered.pdf).unwrap();
    (rendered.pdf, path.to_string_lossy().into_owned())
}

/// The document's text without whitespace: typst spaces Latin and Japanese apart
/// (`2025 年`), and pdftotext turns that spacing into blanks.
fn text_of(path: &str) -> String {
    let text = poppler("pdftotext", &["-enc", "UTF-8", path, "-"]);
    text.chars()
        .filter(|c| !c.is_whitespace() || *c == '\u{c}')
        .collect()
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn the_renderer_can_be_shared_between_workers() {
    fn shareable<T: Send + Sync>() {}
    shareable::<PdfRenderer>();
}

#[test]
fn a_council_report_shows_its_figures_and_japanese_labels() {
    let report = sample::council_report(12, 12);
    let (_, path) = render(&report, "council_report");
    let text = text_of(&path);
    for label in [
        "情報連携の場 開催状況報告書",
        "札幌市障がい者自立支援協議会",
        "対象期間 2025年4月〜2026年3月",
        "作成 2026-04-03 09:30 JST",
        "月別の達成状況",
        "保証人・家賃債務保証",
        "家賃の支払いへの不安",
        "情報連携の場で共有された利用者",
        "協議会への書面による報告",
        "ひだまり相談支援センター（中央区）",
    ] {
        assert!(
            text.contains(&squeeze(label)),
            "{label} missing from:\n{text}"
        );
    }
    let rates: Vec<String> = report
        .months
        .iter()
        .filter_map(|c| c.rate_percent)
        .map(|r| format!("{r}%"))
        .collect();
    assert_eq!(rates.len(), 12);
    for rate in &rates {
        assert!(text.contains(rate.as_str()), "rate {rate} missing");
    }
    // Office 9 provides only 計画相談支援: 11 of 12 offices are bound each month.
    assert!(report.months.iter().all(|m| m.offices_bound == 11));
    let overall = format!("{}%", report.summary.compliance_rate_percent.unwrap());
    assert!(text.contains(&overall), "overall rate {overall} missing");
    for named in &report.clients.named {
        assert!(
            text.contains(&squeeze(&named.name)),
            "{} missing",
            named.name
        );
    }
    let pages = text.matches('\u{c}').count();
    assert!(
        text.contains(&format!("1/{pages}")),
        "no page numbers of {pages}"
    );
    assert!(
        text.contains(&squeeze(&report.issues[0].examples[0])),
        "no issue example"
    );
}

#[test]
fn a_council_report_embeds_only_a_subset_of_the_font_and_stays_small() {
    let (pdf, path) = render(&sample::council_report(40, 12), "council_report_40");
    assert!(pdf.len() <= 300 * 1024, "{} bytes", pdf.len());
    let fonts = poppler("pdffonts", &[path.as_str()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        // name, type, encoding, emb, sub, uni, object id
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert!(cols[0].contains("+IPAexGothic"), "not a subset name: {row}");
        let flags = &cols[cols.len() - 5..cols.len() - 2];
        assert_eq!(flags, ["yes", "yes", "yes"], "emb/sub/uni: {row}");
    }
}

#[test]
fn page_one_of_a_council_report_renders_to_an_image() {
    let (_, path) = render(&sample::council_report(12, 12), "council_report_png");
    let prefix = out_dir().join("council_report");
    let prefix = prefix.to_string_lossy();
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            path.as_str(),
            &*prefix,
        ],
    );
    let png = std::fs::read(format!("{prefix}-1.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
}

#[test]
fn user_text_that_looks_like_typst_prints_literally() {
    let mut report = sample::council_report(2, 3);
    report.council.name = r#"#panic("x")"#.to_owned();
    report.issues[0].label = "*bold* _em_".to_owned();
    report.issues[0].examples = vec![
        r#"#set text(size: 40pt) ] } $x^2$ \ @ref <lbl> // not a comment"#.to_owned(),
        r#"#eval("1 + 1") `raw`"#.to_owned(),
    ];
    report.offices[0].name = "= 見出しではない".to_owned();
    let (_, path) = render(&report, "council_report_injection");
    let text = text_of(&path);
    for literal in [
        r#"#panic("x")"#,
        "*bold* _em_",
        "#set text(size: 40pt) ] } $x^2$ \\ @ref <lbl> // not a comment",
        r#"#eval("1 + 1") `raw`"#,
        "= 見出しではない",
    ] {
        assert!(
            text.contains(&squeeze(literal)),
            "{literal} not printed as written:\n{text}"
        );
    }
}

#[test]
fn an_empty_report_says_so_instead_of_failing() {
    let mut report = sample::council_report(0, 12);
    report.issues.clear();
    report.declines.clear();
    let (_, path) = render(&report, "council_report_empty");
    let text = text_of(&path);
    assert!(text.matches("該当なし").count() >= 3, "{text}");
    assert!(text.contains("—"), "months without offices need a dash");
}

#[test]
fn the_pdf_creation_date_is_the_reports_generation_time() {
    let (_, path) = render(&sample::council_report(1, 1), "council_report_date");
    let info = poppler("pdfinfo", &["-isodates", path.as_str()]);
    assert!(info.contains("2026-04-03T00:30:00"), "{info}");
}

mod support_sheet {
    use super::*;
    use crate::demo::support_sheets::sample_sections;
    use crate::domain::support_sheet::print::{Heading, Printable, printable};
    use crate::domain::support_sheet::{Section, SharedSections};

    fn sheet(allowed: Option<&[Section]>) -> Printable {
        let s = sample_sections(
            None,
            None,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        );
        let shared = match allowed {
            Some(a) => SharedSections::only(s, a),
            None => SharedSections::all(s),
        };
        printable(
            Heading {
                client_name: Some("山本 直樹".into()),
                display_code: "HM-0001".into(),
                version: 3,
                published: true,
                recipient: "山田ハイツ".into(),
                generated_at: "2026-11-23 10:00".into(),
            },
            &shared,
        )
    }

    fn render_sheet(p: &Printable, name: &str) -> (Vec<u8>, String) {
        let rendered = RENDERER.support_sheet(p, chrono::Utc::now()).unwrap();
        assert!(
            rendered.warnings.is_empty(),
            "typst warned: {:?}",
            rendered.warnings
        );
        let path = out_dir().join(name);
        std::fs::write(&path, &rendered.pdf).unwrap();
        (rendered.pdf, path.to_string_lossy().into_owned())
    }

    #[test]
    fn a_sheet_puts_whom_to_call_on_page_one_and_leaves_out_what_is_withheld() {
        let (pdf, path) = render_sheet(
            &sheet(Some(&[Section::Network, Section::Scenarios])),
            "support-sheet-unit.pdf",
        );
        assert!(pdf.len() < 300 * 1024, "{} bytes", pdf.len());
        let page1 = squeeze(&poppler(
            "pdftotext",
            &["-enc", "UTF-8", "-f", "1", "-l", "1", &path, "-"],
        ));
        for expected in [
            "緊急時・困ったときの連絡先",
            "家賃の支払いが遅れたとき",
            "011-244-5566",
            "24時間対応",
        ] {
            assert!(
                page1.contains(&squeeze(expected)),
                "{expected} not on page 1: {page1}"
            );
        }
        let all = text_of(&path);
        for withheld in ["通院先の近くで", "障害年金", "見守りの電話", "山本直樹"]
        {
            assert!(!all.contains(withheld), "{withheld} is in the PDF");
        }
        assert!(poppler("pdfinfo", &[&path]).contains("(A4)"));
        assert!(poppler("pdffonts", &[&path]).contains("+IPAexGothic"));
        poppler(
            "pdftoppm",
            &[
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                &path,
                &out_dir().join("support-sheet-unit").to_string_lossy(),
            ],
        );
    }

    #[test]
    fn a_full_sheet_renders_every_section() {
        let (_, path) = render_sheet(&sheet(None), "support-sheet-full-unit.pdf");
        let all = text_of(&path);
        for expected in [
            "本人の思い",
            "支援ネットワーク",
            "定期的な訪問・連絡",
            "こんなときは",
            "家賃保証・支払い",
            "見直し",
            "山本直樹さん",
        ] {
            assert!(all.contains(&squeeze(expected)), "{expected} missing");
        }
    }
}

#[tokio::test]
async fn renders_beyond_the_slots_wait_then_get_a_503_that_says_when_to_retry() {
    let pdf = PdfRenderer::with_slots(1, std::time::Duration::from_millis(50));
    let held = pdf.slot().await.unwrap();
    let busy = pdf.slot().await.unwrap_err();
    assert_eq!(busy.slug(), "unavailable");
    let res = actix_web::ResponseError::error_response(&busy);
    assert_eq!(res.status().as_u16(), 503);
    assert_eq!(res.headers().get("retry-after").unwrap(), "5");
    drop(held);
    assert!(
        pdf.slot().await.is_ok(),
        "a slot frees when its render ends"
    );
}
