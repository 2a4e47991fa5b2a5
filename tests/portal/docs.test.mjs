// /docs in headless Chromium: Redoc renders the API reference from /openapi.yaml with
// nothing fetched from anywhere but the server itself (the reference must work on a
// closed network), no Content-Security-Policy violation and no script error; the
// search (Redoc's worker) finds an operation. Started by tests/api/api_docs.rs with
// BASE_URL; exits non-zero on the first failure.
//
//   BASE_URL=http://127.0.0.1:8080 node tests/portal/docs.test.mjs
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import assert from "node:assert/strict";

const BASE = process.env.BASE_URL;
const SHOTS = process.env.SCREENSHOT_DIR ?? "target/portal-screenshots";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
assert.ok(BASE, "BASE_URL is required");
mkdirSync(SHOTS, { recursive: true });
const origin = new URL(BASE).origin;

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests = [];
  const problems = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });

  const res = await page.goto(`${BASE}/docs`);
  assert.equal(res.status(), 200);
  // Redoc gives each operation a section with the id `operation/<operationId>`.
  await page.waitForSelector('[id="operation/clients_create"]', { timeout: 60000 });
  const title = await page.locator('[id="operation/clients_create"] h2').first().innerText();
  assert.match(title, /Registers a client/);
  console.log(`ok   /docs renders the reference (clients_create: "${title}")`);

  // Deprecated operations are shown as such.
  const deprecated = await page.locator('[id="operation/clients_update"]').innerText();
  assert.match(deprecated, /Deprecated/i);
  console.log("ok   the deprecated PATCH is marked");

  // The versioning policy is a section of its own (Link rel="deprecation" points here).
  await page.waitForSelector('[id="section/Versioning-and-deprecation"]');
  console.log("ok   the versioning policy section is there");

  // The search runs in Redoc's worker (a blob: script, allowed by worker-src).
  await page.fill('input[placeholder="Search..."]', "matches");
  await page.waitForSelector('[role="search"] li, [data-role="search:result"]', { timeout: 30000 });
  console.log("ok   the search finds operations");

  await page.screenshot({ path: `${SHOTS}/docs.png` });
  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith("blob:") && !u.startsWith("data:"));
  assert.deepEqual(foreign, [], "requests outside the server");
  assert.ok(requests.some((u) => u === `${origin}/openapi.yaml`), "the document was fetched");
  assert.deepEqual(problems, [], "errors in the page");
  console.log(`ok   ${requests.length} requests, all to ${origin}; no errors`);
  console.log("all docs browser steps passed");
} catch (e) {
  failed = true;
  console.log(`FAIL ${e.stack ?? e}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
