//! Council report PDF: time to build the renderer, the first (cold) render and warm
//! renders of a one-year report for 200 offices, with the file size.
//! `cargo bench --bench pdf`; the target is ≤ 1 s per report (DESIGN.md).
//!
//! "Warm, new data" is what a server sees: the renderer has rendered before, but each
//! report differs (typst memoises whole layouts, so an identical report again costs
//! little; that figure is printed apart so it is not mistaken for the real one).

use std::time::{Duration, Instant};

use sumai_link::domain::council_report::{CouncilReport, MonthStatus};
use sumai_link::pdf::{PdfRenderer, sample};

const OFFICES: usize = 200;
const MONTHS: u32 = 12;
const RUNS: usize = 20;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The sample with different figures spread over the whole document.
fn variant(base: &CouncilReport, i: usize) -> CouncilReport {
    let mut r = base.clone();
    r.generated_at += chrono::Duration::minutes(i as i64 + 1);
    for office in r.offices.iter_mut().skip(i % 5).step_by(5) {
        for cell in &mut office.months {
            cell.meetings += 1 + (i as u32 % 3);
            cell.status = match cell.status {
                MonthStatus::Met => MonthStatus::Missed,
                MonthStatus::Missed => MonthStatus::Met,
                other => other,
            };
        }
    }
    for issue in &mut r.issues {
        issue.count += i as u32;
    }
    r
}

fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    let p = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    (p(0.50), p(0.95))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let report = sample::council_report(OFFICES, MONTHS);
    let variants: Vec<CouncilReport> = (0..RUNS).map(|i| variant(&report, i)).collect();

    let t = Instant::now();
    let renderer = PdfRenderer::new();
    let build = t.elapsed();

    let t = Instant::now();
    let pdf = renderer.render_council_report(&report)?;
    let cold = t.elapsed();

    let mut fresh = Vec::with_capacity(RUNS);
    let mut largest = 0;
    for v in &variants {
        let t = Instant::now();
        let pdf = renderer.render_council_report(v)?;
        fresh.push(t.elapsed());
        largest = largest.max(pdf.len());
    }
    let mut same = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        std::hint::black_box(renderer.render_council_report(&report)?);
        same.push(t.elapsed());
    }
    let (p50, p95) = percentiles(fresh);
    let (same50, same95) = percentiles(same);

    println!("council report, {OFFICES} offices × {MONTHS} months ({RUNS} warm runs)");
    println!("  renderer built  {:>8.1} ms", ms(build));
    println!("  first render    {:>8.1} ms", ms(cold));
    println!(
        "  warm, new data  p50 {:>7.1} ms   p95 {:>7.1} ms",
        ms(p50),
        ms(p95)
    );
    println!(
        "  same report     p50 {:>7.1} ms   p95 {:>7.1} ms",
        ms(same50),
        ms(same95)
    );
    println!(
        "  size            {:>8.1} KB (largest variant {:.1} KB)",
        pdf.len() as f64 / 1024.0,
        largest as f64 / 1024.0
    );
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pdf-bench.pdf");
    std::fs::write(&out, &pdf)?;
    println!("  written to {}", out.display());
    Ok(())
}
