//! 生活サポートシート PDF: the first (cold) render and warm renders of the demo's sheet,
//! as the office sees it (every section) and as the landlord does (four sections), with
//! the file size. `cargo bench --bench sheet_pdf`; the target is ≤ 50 ms warm and
//! ≤ 300 KB (DESIGN.md).
//!
//! Each warm render has different data (another review note, phone and time), as a
//! server would see: typst memoises whole layouts, so the same sheet again costs less
//! and is printed apart.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sumai_link::demo::support_sheets::sample_sections;
use sumai_link::domain::support_sheet::print::{Heading, Printable, printable};
use sumai_link::domain::support_sheet::{Section, Sections, SharedSections};
use sumai_link::pdf::PdfRenderer;

const RUNS: usize = 50;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    let p = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    (p(0.50), p(0.95))
}

fn sheet(i: usize, landlord: bool) -> Printable {
    let mut s: Sections = sample_sections(
        None,
        None,
        NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default(),
    );
    s.review.note = Some(format!("第{i}回の見直し"));
    s.network[1].phone = format!("011-222-{:04}", 1000 + i);
    s.schedule[0].time = Some(format!("{:02}:00", 9 + i % 8));
    let shared = if landlord {
        SharedSections::only(
            s,
            &[
                Section::Network,
                Section::Schedule,
                Section::Scenarios,
                Section::Review,
            ],
        )
    } else {
        SharedSections::all(s)
    };
    printable(
        Heading {
            client_name: Some("山本 直樹".into()),
            display_code: "HM-0001".into(),
            version: i as i32 + 1,
            published: true,
            recipient: "山田ハイツ(家主 山田 一郎)".into(),
            generated_at: format!("2026-11-23 10:{:02}", i % 60),
        },
        &shared,
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let created = chrono::Utc::now();
    let t = Instant::now();
    let renderer = PdfRenderer::new();
    let build = t.elapsed();
    let t = Instant::now();
    let first = renderer.render_support_sheet(&sheet(0, false), created)?;
    let cold = t.elapsed();
    println!("support sheet PDF ({RUNS} warm runs each)");
    println!("  renderer built  {:>8.1} ms", ms(build));
    println!(
        "  first render    {:>8.1} ms   {:.1} KB",
        ms(cold),
        first.len() as f64 / 1024.0
    );
    for (name, landlord) in [
        ("office (all sections)", false),
        ("landlord (4 sections)", true),
    ] {
        let mut times = Vec::with_capacity(RUNS);
        let mut largest = 0;
        for i in 1..=RUNS {
            let p = sheet(i, landlord);
            let t = Instant::now();
            let pdf = renderer.render_support_sheet(&p, created)?;
            times.push(t.elapsed());
            largest = largest.max(pdf.len());
        }
        let (p50, p95) = percentiles(times);
        println!(
            "  {name:<24} warm, new data p50 {:>6.1} ms  p95 {:>6.1} ms  largest {:.1} KB",
            ms(p50),
            ms(p95),
            largest as f64 / 1024.0
        );
    }
    let same = sheet(7, true);
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        std::hint::black_box(renderer.render_support_sheet(&same, created)?);
        times.push(t.elapsed());
    }
    let (p50, p95) = percentiles(times);
    println!(
        "  same sheet again         p50 {:>6.1} ms  p95 {:>6.1} ms",
        ms(p50),
        ms(p95)
    );
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/sheet-bench.pdf");
    std::fs::write(&out, &first)?;
    println!("  written to {}", out.display());
    Ok(())
}
