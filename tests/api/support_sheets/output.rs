//! The sheet as an HTML page and an A4 Japanese PDF: read back with poppler (the
//! emergency table on page one, the withheld sections absent), page 1 rendered to a PNG
//! in `target/pdf-test/` to look at, and user text escaped in HTML.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{demo_sheet, put};
use crate::helpers::{poppler, spawn_app, squeeze};

#[tokio::test]
async fn the_landlords_pdf_is_an_a4_form_with_the_emergency_table_first_and_nothing_withheld() {
    let app = spawn_app().await;
    let id = demo_sheet(&app).await;
    let res = app
        .get(
            &format!("/api/v1/support-sheets/{id}?format=pdf"),
            "landlord",
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.len() <= 300 * 1024, "{} bytes", pdf.len());

    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/pdf-test");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("support-sheet-landlord-{}.pdf", app.port));
    std::fs::write(&file, &pdf).unwrap();
    let path = file.to_string_lossy().into_owned();
    let page1 = squeeze(&poppler(
        "pdftotext",
        &["-enc", "UTF-8", "-f", "1", "-l", "1", &path, "-"],
    ));
    for expected in [
        "生活サポートシート",
        "HM-0001",
        "緊急時・困ったときの連絡先",
        "安否確認",
        "080-9876-5432",
        "090-1234-5678",
        "すずらん",
        "山田ハイツ",
    ] {
        assert!(
            page1.contains(&squeeze(expected)),
            "{expected} missing from page 1:\n{page1}"
        );
    }
    let all = squeeze(&poppler("pdftotext", &["-enc", "UTF-8", &path, "-"]));
    for expected in [
        "支援ネットワーク",
        "定期的な訪問・連絡",
        "こんなときは",
        "見直し",
        "眠れない日が3日以上続く",
    ] {
        assert!(
            all.contains(&squeeze(expected)),
            "{expected} missing:\n{all}"
        );
    }
    // Withheld: the person's own words, the payment arrangements, and the name.
    for withheld in ["通院先の近くで", "障害年金", "収納代行", "山本直樹"] {
        assert!(
            !all.contains(withheld),
            "{withheld} is in the landlord's PDF"
        );
    }
    assert!(all.contains("本人の思い、家賃保証・支払い"), "{all}");
    let info = poppler("pdfinfo", &[&path]);
    assert!(info.contains("(A4)"), "not A4: {info}");
    let fonts = poppler("pdffonts", &[&path]);
    assert!(
        fonts.contains("+IPAexGothic"),
        "the font is not a subset: {fonts}"
    );
    let png = dir.join(format!("support-sheet-landlord-{}", app.port));
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

    // The office's own PDF has every section, the name included.
    let res = app
        .get(
            &format!("/api/v1/support-sheets/{id}?format=pdf&version=1"),
            "office",
        )
        .await;
    let file = dir.join(format!("support-sheet-office-{}.pdf", app.port));
    std::fs::write(&file, res.bytes().await.unwrap()).unwrap();
    let all = squeeze(&poppler(
        "pdftotext",
        &["-enc", "UTF-8", &file.to_string_lossy(), "-"],
    ));
    for expected in ["山本直樹さん", "通院先の近くで", "障害年金", "公開版"] {
        assert!(
            all.contains(expected),
            "{expected} missing from the office's PDF"
        );
    }
}

#[tokio::test]
async fn the_html_page_shows_the_same_sections_and_escapes_what_people_typed() {
    let app = spawn_app().await;
    let id = demo_sheet(&app).await;
    let res = app
        .get(
            &format!("/api/v1/support-sheets/{id}?format=html"),
            "landlord",
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let html = res.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>") && html.contains("<html lang=\"ja\">"));
    assert!(
        html.contains("緊急時・困ったときの連絡先")
            && html.contains("tel:011-244-5566")
            && html.contains("080-9876-5432")
    );
    assert!(!html.contains("障害年金") && !html.contains("通院先の近くで"));

    let doc: Value = app
        .get(&format!("/api/v1/support-sheets/{id}"), "office")
        .await
        .json()
        .await
        .unwrap();
    let mut s = doc["sections"].clone();
    s["person"]["own_words"] = json!("<script>alert('x')</script> & 静かに暮らしたい");
    let res = put(&app, &id, "office", Some("\"2\""), json!({"sections": s})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = app
        .get(
            &format!("/api/v1/support-sheets/{id}?format=html"),
            "office",
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>"), "user text was not escaped");
    let at = html.find("alert(").expect("the text is on the page");
    // Everything before "alert(" on that line is ASCII (the escaped tag).
    let around: String = html[at.saturating_sub(20)..].chars().take(90).collect();
    assert!(
        (around.contains("&lt;script&gt;") || around.contains("&#60;script&#62;"))
            && (around.contains("&amp; 静か") || around.contains("&#38; 静か")),
        "{around}"
    );
    assert!(html.contains("下書き"));
}
