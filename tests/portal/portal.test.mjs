// Headless-Chromium tests of the landlord portal, driven by playwright-core against the
// real server (started by `cargo test`, tests/api/portal_browser.rs, which passes
// BASE_URL). Each step asserts; axe-core checks every page; screenshots go to
// SCREENSHOT_DIR. Exits non-zero on the first failure.
//
//   BASE_URL=http://127.0.0.1:8080 node tests/portal/portal.test.mjs
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const BASE = process.env.BASE_URL;
const PASSWORD = process.env.DEMO_PASSWORD ?? "demo-pass-2026";
const SHOTS = process.env.SCREENSHOT_DIR ?? "target/portal-screenshots";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
assert.ok(BASE, "BASE_URL is required");
mkdirSync(SHOTS, { recursive: true });

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    // The steps build on each other: stop at the first failure.
    console.log(`FAIL ${name}\n${e.stack ?? e}`);
    await browser.close();
    process.exit(1);
  }
}

/** axe-core on the current page: no serious or critical violation. */
async function accessible(page, label) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  const bad = result.violations.filter((v) => ["serious", "critical"].includes(v.impact));
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    [],
    `accessibility of ${label}`,
  );
}

async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

async function login(context, account) {
  const page = await context.newPage();
  await page.goto(`${BASE}/portal/login`);
  await page.getByLabel("メールアドレス").fill(`${account}@demo.example`);
  await page.getByLabel("パスワード").fill(PASSWORD);
  await page.getByRole("button", { name: "ログイン" }).click();
  await page.waitForURL(/\/portal\/rentals/);
  return page;
}

// bypassCSP: axe-core is injected as an inline script, which the portal's CSP forbids.
const desktop = await browser.newContext({ bypassCSP: true, locale: "ja-JP", viewport: { width: 1280, height: 900 } });
const phone = await browser.newContext({
  bypassCSP: true,
  locale: "ja-JP", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
});

let page;
await step("the login page is Japanese, accessible, and refuses a wrong password", async () => {
  page = await desktop.newPage();
  await page.goto(`${BASE}/portal/login`);
  assert.equal(await page.getAttribute("html", "lang"), "ja");
  await accessible(page, "login");
  await shot(page, "01-login");
  await page.getByLabel("メールアドレス").fill("landlord@demo.example");
  await page.getByLabel("パスワード").fill("wrong-password-1");
  await page.getByRole("button", { name: "ログイン" }).click();
  await page.getByText("メールアドレスまたはパスワードが違います。").waitFor();
  await page.getByLabel("パスワード").fill(PASSWORD);
  await page.getByRole("button", { name: "ログイン" }).click();
  await page.waitForURL(/\/portal\/rentals$/);
  await page.getByRole("heading", { name: "物件一覧" }).waitFor();
  await accessible(page, "rentals");
  await shot(page, "02-rentals");
});

await step("a rental is registered: an error shown next to its field, then fixed", async () => {
  await page.getByRole("link", { name: "物件を登録する" }).click();
  await page.getByRole("heading", { name: "物件の登録" }).waitFor();
  await accessible(page, "rental form");
  await page.getByLabel("登録番号").fill("01-888001");
  await page.getByLabel("登録日").fill("2024-05-01");
  await page.getByLabel("都道府県コード").fill("01");
  await page.getByLabel("市区町村コード").fill("011011");
  await page.getByLabel("市区町村名").fill("札幌市中央区");
  await page.getByLabel("町名・番地").fill("南2条西3丁目5-1");
  await page.getByLabel("緯度").fill("43.0571");
  await page.getByLabel("経度").fill("141.3537");
  await page.getByLabel("建物名").fill("ブラウザ荘");
  await page.getByLabel("部屋番号").fill("102");
  await page.getByLabel("建築年").fill("2001");
  await page.getByLabel("建物の階数").fill("3");
  await page.getByLabel("所在階").fill("5");
  await page.getByLabel("専有面積（㎡）").fill("26");
  await page.getByLabel("間取り").selectOption("1DK");
  await page.getByLabel("家賃（円/月）").fill("52000");
  await page.getByLabel("精神障害者").check();
  await page.getByRole("button", { name: "登録する" }).click();
  // The floor above the building's: the error is next to the field, in Japanese.
  const error = page.locator("#unit_floor-error");
  await error.waitFor();
  assert.match(await error.innerText(), /建物の階数（3階）より上の階は入力できません。/);
  assert.equal(await page.getAttribute("#unit_floor", "aria-invalid"), "true");
  assert.equal(await page.inputValue("#building_name"), "ブラウザ荘", "typed values are kept");
  await accessible(page, "rental form with errors");
  await shot(page, "03-rental-form-error");
  await page.getByLabel("所在階").fill("1");
  await page.getByRole("button", { name: "登録する" }).click();
  await page.waitForURL(/\/portal\/rentals\/[0-9a-f-]+\/edit\?done=created/);
  await page.getByText("物件を登録しました。").waitFor();
  assert.equal(await page.inputValue("#building_name"), "ブラウザ荘");
  assert.equal(await page.inputValue("#unit_floor"), "1");
  await shot(page, "03b-rental-registered");
});

let inquiryUrl;
await step("an inquiry shows what the client shared, and is accepted", async () => {
  await page.getByRole("link", { name: "入居の相談" }).click();
  await page.getByRole("heading", { name: "入居の相談", exact: true }).waitFor();
  await accessible(page, "inquiries");
  await shot(page, "04-inquiries");
  // The one the client applied for.
  const row = page.locator("tr", { hasText: "申込済" }).first();
  await row.getByRole("link").click();
  await page.getByRole("heading", { name: /入居の相談: / }).waitFor();
  inquiryUrl = page.url();
  await page.getByText("お名前（仮名）").waitFor();
  await accessible(page, "inquiry");
  await shot(page, "05-inquiry");
  await page.getByRole("button", { name: "入居を承諾する" }).click();
  await page.getByText("入居を承諾しました。").waitFor();
  assert.match(await page.locator("#status").innerText(), /入居承諾/);
});

await step("the tenant's sheet PDF opens", async () => {
  await page.getByRole("link", { name: "入居者" }).click();
  await page.getByRole("heading", { name: "入居者" }).waitFor();
  const pdfLink = page.getByRole("link", { name: "生活サポートシートのPDF" }).first();
  const href = await pdfLink.getAttribute("href");
  const res = await page.request.get(`${BASE}${href}`);
  assert.equal(res.status(), 200);
  assert.equal(res.headers()["content-type"], "application/pdf");
  const body = await res.body();
  assert.equal(body.subarray(0, 5).toString(), "%PDF-");
});

await step("a concern is reported in two clicks from the tenants page", async () => {
  await accessible(page, "tenants");
  await shot(page, "06-tenants");
  const card = page.locator("section.card").first();
  await card.getByRole("button", { name: "家賃の支払いが遅れている" }).click();
  await page.getByText("お知らせしました。").waitFor();
  const reported = page.locator("section.card").first().getByText(/家賃の支払いが遅れている →/);
  assert.ok((await reported.count()) >= 1, "the report is listed with whom it reached");
  await shot(page, "07-concern-reported");
});

await step("the portal is readable on a phone", async () => {
  const p = await login(phone, "landlord");
  await accessible(p, "rentals on a phone");
  await shot(p, "08-phone-rentals");
  const width = await p.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling on a phone (${width}px)`);
  await p.goto(inquiryUrl);
  await shot(p, "09-phone-inquiry");
  await p.goto(`${BASE}/portal/tenants`);
  await shot(p, "10-phone-tenants");
  const w2 = await p.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w2 <= 390, `tenants page fits a phone (${w2}px)`);
});

await step("the forms work with the keyboard alone", async () => {
  const keyboard = await browser.newContext({ locale: "ja-JP" });
  const p = await keyboard.newPage();
  await p.goto(`${BASE}/portal/login`);
  await p.keyboard.press("Tab"); // skip link
  assert.equal(await p.evaluate(() => document.activeElement.textContent), "本文へ移動");
  await p.keyboard.press("Tab");
  await p.keyboard.press("Tab");
  assert.equal(await p.evaluate(() => document.activeElement.id), "email");
  await p.keyboard.type("agent@demo.example");
  await p.keyboard.press("Tab");
  await p.keyboard.type(PASSWORD);
  await p.keyboard.press("Enter");
  await p.waitForURL(/\/portal\/rentals$/);
  await keyboard.close();
});

await step("another landlord cannot reach the first landlord's pages", async () => {
  const other = await browser.newContext({ locale: "ja-JP" });
  const p = await login(other, "landlord2");
  const res = await p.goto(inquiryUrl);
  assert.equal(res.status(), 404);
  await p.getByText("ページが見つかりません").waitFor();
  await shot(p, "11-other-landlord-404");
  const html = await p.content();
  assert.ok(!html.includes("お名前（仮名）"), "no client data on the refusal");
  await other.close();
});

await step("logout ends the session", async () => {
  await page.getByRole("button", { name: "ログアウト" }).click();
  await page.getByText("ログアウトしました。").waitFor();
  await page.goto(`${BASE}/portal/rentals`);
  await page.waitForURL(/\/portal\/login/);
});

await browser.close();
console.log("all portal browser steps passed");
