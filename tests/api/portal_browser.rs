//! The portal in a real headless Chromium (Debian's `chromium`, driven by playwright-core
//! from npm with axe-core for accessibility): `tests/portal/portal.test.mjs` runs
//! against this test's server on a random port, with the demo data, on SQLite or
//! PostgreSQL like every other test. Screenshots land in `target/portal-screenshots/`.
//!
//! Needs `node`, `chromium` and `npm ci` in `tests/portal` (`.ci/run` installs them);
//! `SUMAI_SKIP_BROWSER_TESTS=1` skips it on a machine without a browser, and says so.

use std::path::Path;
use std::process::Command;

use crate::helpers::{DEMO_PASSWORD, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_works_in_a_real_browser_for_a_landlord() {
    if std::env::var("SUMAI_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED: SUMAI_SKIP_BROWSER_TESTS=1 (the portal's browser tests did not run)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/portal");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "run `npm ci` in tests/portal first (.ci/run does)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "no Chromium at {chromium}: apt-get install chromium (.ci/run does)"
    );
    let app = spawn_app().await;
    let shots = root.join(format!(
        "target/portal-screenshots/{}",
        if app.database.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    ));
    let address = app.address.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("portal.test.mjs")
            .current_dir(&dir)
            .env("BASE_URL", address)
            .env("DEMO_PASSWORD", DEMO_PASSWORD)
            .env("CHROMIUM", chromium)
            .env("SCREENSHOT_DIR", shots)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "portal browser tests failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("all portal browser steps passed"),
        "{stdout}"
    );
}
