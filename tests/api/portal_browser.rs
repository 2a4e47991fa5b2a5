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

/// Runs `tests/portal/<script>` with node against `address` in Debian's Chromium, with
/// `env` besides BASE_URL and CHROMIUM; `None` when SUMAI_SKIP_BROWSER_TESTS=1 (said on
/// stderr). Returns whether it succeeded, its stdout and its stderr.
pub async fn run_browser_script(
    script: &'static str,
    address: String,
    env: Vec<(&'static str, String)>,
) -> Option<(bool, String, String)> {
    if std::env::var("SUMAI_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED: SUMAI_SKIP_BROWSER_TESTS=1 ({script} did not run)");
        return None;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/portal");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "run `npm ci` in tests/portal first (.ci/run does)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "no Chromium at {chromium}: apt-get install chromium (.ci/run does)"
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .current_dir(&dir)
            .env("BASE_URL", address)
            .env("CHROMIUM", chromium)
            .envs(env)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    println!("{stdout}");
    Some((out.status.success(), stdout, stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_works_in_a_real_browser_for_a_landlord() {
    let app = spawn_app().await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shots = root.join(format!(
        "target/portal-screenshots/{}",
        if app.database.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    ));
    let env = vec![
        ("DEMO_PASSWORD", DEMO_PASSWORD.to_owned()),
        ("SCREENSHOT_DIR", shots.display().to_string()),
    ];
    let Some((success, stdout, stderr)) =
        run_browser_script("portal.test.mjs", app.address.clone(), env).await
    else {
        return;
    };
    assert!(success, "portal browser tests failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("all portal browser steps passed"),
        "{stdout}"
    );
}
