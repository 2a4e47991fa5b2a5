//! Council report PDF: time to build the renderer, the first (cold) render and warm
//! renders of a one-year report for 200 offices, with the file size.
//! `cargo bench --bench pdf`; the target is ≤ 1 s per report (DESIGN.md).

use std::time::{Duration, Instant};

use sumai_link::pdf::{PdfRenderer, sample};

const OFFICES: usize = 200;
const MONTHS: u32 = 12;
const RUNS: usize = 20;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let report = sample::council_report(OFFICES, MONTHS);

    let t = Instant::now();
    let renderer = PdfRenderer::new();
    let build = t.elapsed();

    let t = Instant::now();
    let pdf = renderer.render_council_report(&report)?;
    let cold = t.elapsed();

    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let again = renderer.render_council_report(&report)?;
        times.push(t.elapsed());
        std::hint::black_box(again);
    }
    times.sort();
    let p = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];

    println!("council report, {OFFICES} offices × {MONTHS} months ({RUNS} warm runs)");
    println!("  renderer built  {:>8.1} ms", ms(build));
    println!("  first render    {:>8.1} ms", ms(cold));
    println!("  warm p50        {:>8.1} ms", ms(p(0.50)));
    println!("  warm p95        {:>8.1} ms", ms(p(0.95)));
    println!("  size            {:>8.1} KB", pdf.len() as f64 / 1024.0);
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pdf-bench.pdf");
    std::fs::write(&out, &pdf)?;
    println!("  written to {}", out.display());
    Ok(())
}
