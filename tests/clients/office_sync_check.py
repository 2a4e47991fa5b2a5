#!/usr/bin/env python3
"""End-to-end check of examples/office-sync/sync_clients.py against a running
`sumai-link serve --demo` (.ci/api-clients.sh runs it on SQLite and on PostgreSQL).

    python tests/clients/office_sync_check.py --base-url http://127.0.0.1:8080 --work /tmp/w

Run it with the Python that has the generated client installed
(target/api-clients-venv/bin/python in CI). It signs in as office@demo.example over plain
HTTP (urllib, not the generated client), creates a staff API key, finds the demo
居住支援法人, and runs the example as a subprocess with the key in SUMAI_API_KEY on a
Shift_JIS (cp932) copy of examples/office-sync/cases.csv:

1. first run: exit code 1 (the sample's two deliberate bad rows), every good row
   新規登録, the bad rows in the error table with their column and API field, no name,
   フリガナ, date of birth or own words of any row in the summary or on the console; the
   clients, needs and consents as the API shows them; candidates that agree with the API;
   the token renewed on 401 and on expiry (the example's Api class, imported);
2. second run with the same file: nothing written (client count, every client's and
   needs' version unchanged, no consent recorded twice), every good row 変更なし;
3. one rent ceiling changed: that row 更新, its needs changed, nothing else written;
4. --dry-run of the original file: reports the change back, writes nothing;
5. a consent withdrawn in 住まいリンク: reported, never recorded or asked for again;
6. a file without some optional columns leaves those fields as they are;
7. configuration errors exit 2: no key, a wrong key, the key after it is revoked.

It needs a fresh demo: the sample's clients (HM-0101 …) must not exist yet. Every check
prints one line; the first failure stops the run with exit code 1.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import traceback
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "office-sync"
SCRIPT = EXAMPLE / "sync_clients.py"
SAMPLE = EXAMPLE / "cases.csv"
PASSWORD = "demo-pass-2026"

# The sample's rows that must fail, with the column and API field they must be reported on.
BAD_ROWS = {
    "HM-0105": ("生年月日", "date_of_birth"),  # 2085: the API refuses a birth date in the future
    "HM-0106": ("入居希望日", "target_move_date"),  # 「来年の春ごろ」: refused locally
}
# What the API must hold for the good rows (written out here, not derived by the
# example's own parser): date of birth (西暦, 和暦, S54.11.30 forms in the CSV),
# categories, current place and needs.
EXPECTED: dict[str, dict[str, Any]] = {
    "HM-0101": {"date_of_birth": "1988-04-12", "categories": {"disability_mental"},
                "current_place": "hospital", "target_move_date": "2027-03-01",
                "needs": {"max_monthly_total": 50000, "housing_allowance_limit": None,
                          "municipalities": ["011002"], "preferred_layouts": {"1K", "1DK"},
                          "min_area_m2": 18.0, "needs_pets": False,
                          "ground_floor_or_elevator": False, "accessibility_musts": set()}},
    "HM-0102": {"date_of_birth": "1995-09-03", "categories": {"disability_intellectual", "low_income"},
                "current_place": "group_home", "target_move_date": "2027-04-01",
                "needs": {"max_monthly_total": 45000, "housing_allowance_limit": 36000,
                          "municipalities": ["011002"], "preferred_layouts": {"1R", "1K"},
                          "min_area_m2": None, "needs_pets": False,
                          "ground_floor_or_elevator": False, "accessibility_musts": set()}},
    "HM-0103": {"date_of_birth": "1979-11-30", "categories": {"disability_physical"},
                "current_place": "family", "target_move_date": "2027-06-30",
                "needs": {"max_monthly_total": 70000, "housing_allowance_limit": None,
                          "municipalities": ["011002"], "preferred_layouts": {"1DK", "1LDK", "2K"},
                          "min_area_m2": 25.0, "needs_pets": False,
                          "ground_floor_or_elevator": True,
                          "accessibility_musts": {"step_free_entrance"}}},
    "HM-0104": {"date_of_birth": "1999-02-17", "categories": {"disability_mental"},
                "current_place": "own_home", "target_move_date": None,
                "needs": {"max_monthly_total": 55000, "housing_allowance_limit": None,
                          "municipalities": ["011002"], "preferred_layouts": {"1K", "1DK"},
                          "min_area_m2": None, "needs_pets": True,
                          "ground_floor_or_elevator": False, "accessibility_musts": set()}},
}
CONSENT_COLUMN = "居住支援法人への情報提供の同意日"
CHANGED_ROW, CHANGED_BUDGET = "HM-0103", 72000


class CheckFailed(Exception):
    pass


def ok(msg: str) -> None:
    print(f"ok: {msg}", flush=True)


def expect(cond: bool, msg: str) -> None:
    if not cond:
        raise CheckFailed(msg)


# ---------------------------------------------------------------------------------------
# Plain HTTP


class Http:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def call(self, method: str, path: str, token: str | None = None,
             body: Any = None) -> tuple[int, dict[str, str], Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                status, headers, raw = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            status, headers, raw = e.code, dict(e.headers), e.read()
        headers = {k.lower(): v for k, v in headers.items()}
        return status, headers, (json.loads(raw) if raw else None)

    def ok(self, method: str, path: str, token: str | None = None, body: Any = None,
           status: int = 200) -> tuple[dict[str, str], Any]:
        got, headers, data = self.call(method, path, token, body)
        expect(got == status, f"{method} {path}: expected {status}, got {got}: {data}")
        return headers, data

    def login(self, who: str) -> str:
        _, data = self.ok("POST", "/api/v1/auth/token", body={
            "grant_type": "password", "email": f"{who}@demo.example", "password": PASSWORD})
        return str(data["access_token"])

    def clients(self, token: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        cursor = None
        while True:
            q = "/api/v1/clients?limit=200" + (f"&cursor={cursor}" if cursor else "")
            _, page = self.ok("GET", q, token)
            for c in page["items"]:
                expect(c["display_code"] not in out, f"display code {c['display_code']} listed twice")
                out[c["display_code"]] = c
            cursor = page.get("next_cursor")
            if not cursor:
                return out


# ---------------------------------------------------------------------------------------
# The sample and the runs


def read_sample() -> tuple[list[str], list[dict[str, str]]]:
    text = SAMPLE.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def write_cp932(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\r\n")  # as Excel writes it
    w.writeheader()
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("cp932"))
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return
    raise CheckFailed(f"{path} decodes as UTF-8: it would not test the Shift_JIS path")


def run_example(base: str, work: Path, csv_path: Path, summary: Path, corp: str,
                key: str | None, *extra: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SUMAI_API_KEY", "SUMAI_API_KEY_FILE", "SUMAI_BASE_URL")}
    if key is not None:
        env["SUMAI_API_KEY"] = key
    cmd = [sys.executable, str(SCRIPT), "--base-url", base, "--corp-org-id", corp,
           "--summary", str(summary), *extra, str(csv_path)]
    proc = subprocess.run(cmd, check=False, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    (work / (summary.stem + ".log")).write_text(output, encoding="utf-8")
    return proc.returncode, output


def counts_of(summary: str) -> tuple[int, int, int, int]:
    m = re.search(r"\| 新規登録 \| 更新 \| 変更なし \| エラー \|\n\|[-:|]+\|\n\| (\d+) \| (\d+) \| (\d+) \| (\d+) \|",
                  summary)
    expect(m is not None, "the summary has no counts table (新規登録 | 更新 | 変更なし | エラー)")
    assert m is not None
    return int(m[1]), int(m[2]), int(m[3]), int(m[4])


def section(summary: str, code: str) -> str:
    m = re.search(rf"^### {re.escape(code)} \(\d+ 行目\)\n(.*?)(?=^### |^## )", summary, re.DOTALL | re.MULTILINE)
    expect(m is not None, f"the summary has no section for {code}")
    assert m is not None
    return m[1]


def check_private(text: str, rows: list[dict[str, str]], where: str) -> None:
    """No name, フリガナ, date of birth or own words of any row (要配慮個人情報)."""
    for row in rows:
        for col in ("氏名", "フリガナ", "生年月日", "本人の希望"):
            value = row.get(col, "").strip()
            if not value:
                continue
            for form in {value, value.replace(" ", ""), value.replace(" ", "\u3000")}:
                expect(form not in text, f"{where} contains the {col} of {row['利用者番号']}")


def error_rows(summary: str) -> list[list[str]]:
    part = summary.split("## エラー", 1)
    expect(len(part) == 2, "the summary has no エラー section")
    rows = []
    for line in part[1].splitlines():
        if line.startswith("| ") and not line.startswith("| 行 "):
            rows.append([c.strip() for c in line.strip("|").split(" | ")])
    return rows


def snapshot(http: Http, token: str, codes: list[str]) -> dict[str, tuple[int, int | None, int]]:
    """Per client: its version, its needs' version and how many consents it has."""
    listed = http.clients(token)
    out = {}
    for code in codes:
        cid = listed[code]["id"]
        _, client = http.ok("GET", f"/api/v1/clients/{cid}", token)
        status, _, needs = http.call("GET", f"/api/v1/clients/{cid}/needs", token)
        _, consents = http.ok("GET", f"/api/v1/clients/{cid}/consents", token)
        out[code] = (client["version"], needs["version"] if status == 200 else None, len(consents))
    return out


def load_example_module() -> Any:
    sys.dont_write_bytecode = True  # no __pycache__ in examples/
    spec = importlib.util.spec_from_file_location("office_sync_example", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--work", required=True, type=Path, help="a directory for the files of the runs")
    args = ap.parse_args()
    base = args.base_url.rstrip("/")
    work = args.work / "office-sync"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        check(base, work)
    except CheckFailed as e:
        print(f"FAIL: office-sync: {e}", file=sys.stderr)
        print(f"(files of the runs: {work})", file=sys.stderr)
        return 1
    except Exception:  # noqa: BLE001 - a crash of the check or of the example's code it imports
        traceback.print_exc()
        print(f"FAIL: office-sync: unexpected error (above); files of the runs: {work}", file=sys.stderr)
        return 1
    print("office-sync: all checks passed")
    return 0


def check(base: str, work: Path) -> None:
    http = Http(base)
    status, _, _ = http.call("GET", "/readyz")
    expect(status == 200, f"{base}/readyz answered {status}")

    office = http.login("office")
    _, me = http.ok("GET", "/api/v1/me", office)
    expect(me["organization_kind"] == "support_office", f"office@ is {me['organization_kind']}")
    office_id = me["organization_id"]
    _, key = http.ok("POST", "/api/v1/api-keys", office,
                     {"name": "ケース記録システム連携 (office-sync check)", "role": "staff"}, status=201)
    api_key, key_id = key["api_key"], key["id"]
    expect(key["role"] == "staff" and api_key.startswith("slk_"), f"unexpected API key answer: {key}")
    ok(f"office@ ({me['organization_name']}) created a staff API key ({key['prefix']})")

    # The 居住支援法人: an office lists only its own organisation, so the corp's id comes
    # from corp@'s /me; it must be the office's partner in its set-up.
    _, own = http.ok("GET", "/api/v1/organizations", office)
    expect([o["id"] for o in own["items"]] == [office_id], "an office should list only itself")
    corp_token = http.login("corp")
    _, corp_me = http.ok("GET", "/api/v1/me", corp_token)
    expect(corp_me["organization_kind"] == "housing_support_corp", f"corp@ is {corp_me['organization_kind']}")
    corp = corp_me["organization_id"]
    _, setup = http.ok("GET", f"/api/v1/offices/{office_id}/setup", office)
    expect(setup["partner_org_id"] == corp, "the office's partner is not corp@'s organisation")
    ok(f"居住支援法人 {corp_me['organization_name']} is {corp} (the office's partner)")

    header, rows = read_sample()
    codes = [r["利用者番号"] for r in rows]
    good = [c for c in codes if c not in BAD_ROWS]
    expect(sorted(good) == sorted(EXPECTED), f"the sample's good rows are {good}, the check knows {sorted(EXPECTED)}")
    expect(all(c in codes for c in BAD_ROWS), "the sample lost a deliberate bad row")
    before = http.clients(office)
    expect(not set(codes) & set(before), f"the demo already has a client of the sample: {set(codes) & set(before)}")

    sjis = work / "cases-sjis.csv"
    write_cp932(sjis, header, rows)
    ok(f"{sjis.name}: the sample in Shift_JIS (cp932) with CRLF, {len(rows)} rows")

    # --- first run -------------------------------------------------------------------
    s1 = work / "summary-1.md"
    rc, out = run_example(base, work, sjis, s1, corp, api_key)
    expect(rc == 1, f"first run: exit code {rc}, expected 1 (bad rows)\n{out}")
    expect(s1.exists(), "first run wrote no summary")
    expect(stat.S_IMODE(s1.stat().st_mode) & 0o077 == 0, "the summary is readable by other users")
    text = s1.read_text(encoding="utf-8")
    ok("first run: exit code 1 and a summary (mode 0600)")
    expect(counts_of(text) == (len(good), 0, 0, len(BAD_ROWS)),
           f"first run counts {counts_of(text)}, expected ({len(good)}, 0, 0, {len(BAD_ROWS)})")
    for code in good:
        expect("- 同期: 新規登録" in section(text, code), f"first run: {code} is not 新規登録")
    ok(f"first run: {len(good)} 新規登録, {len(BAD_ROWS)} エラー, every good row named")
    errs = error_rows(text)
    for code, (column, field) in BAD_ROWS.items():
        expect(any(r[1] == code and r[2] == column and r[3].startswith(field) for r in errs),
               f"the error table does not report {code} on {column} ({field}): {errs}")
    expect({r[1] for r in errs} == set(BAD_ROWS), f"errors for other rows too: {errs}")
    ok("first run: the bad rows are in the error table with column and field: "
       + ", ".join(f"{c} {col}/{f}" for c, (col, f) in BAD_ROWS.items()))
    check_private(text, rows, "the summary")
    check_private(out, rows, "the console output")
    ok("first run: no name, フリガナ, date of birth or own words in the summary or the output")

    listed = http.clients(office)
    expect(len(listed) == len(before) + len(good),
           f"{len(listed) - len(before)} clients created, expected {len(good)}")
    for code in BAD_ROWS:
        expect(code not in listed, f"the bad row {code} was created")
    by_code = {r["利用者番号"]: r for r in rows}
    for code, want in EXPECTED.items():
        cid = listed[code]["id"]
        _, c = http.ok("GET", f"/api/v1/clients/{cid}", office)
        expect(c["name"].replace("\u3000", " ") == by_code[code]["氏名"], f"{code}: name differs")
        for f in ("date_of_birth", "current_place", "target_move_date"):
            expect(c.get(f) == want[f], f"{code}: {f} is {c.get(f)}, expected {want[f]}")
        expect(set(c["categories"]) == want["categories"], f"{code}: categories {c['categories']}")
        expect(c["status"] == "searching", f"{code}: status {c['status']}")
        _, n = http.ok("GET", f"/api/v1/clients/{cid}/needs", office)
        for f, v in want["needs"].items():
            got = n.get(f)
            if isinstance(v, set):
                got = set(got or [])
            expect(got == v, f"{code}: needs.{f} is {got}, expected {v}")
        expect(n.get("own_words") == by_code[code]["本人の希望"], f"{code}: own words differ")
    ok("the API holds the good rows as written: dates (西暦, 和暦, S54.11.30), categories, places, needs")

    consent_rows = [c for c in good if by_code[c][CONSENT_COLUMN].strip()]
    expect(0 < len(consent_rows) < len(good), "the sample should have rows with and without consent")
    todo_rows: list[str] = []
    for code in good:
        cid = listed[code]["id"]
        _, consents = http.ok("GET", f"/api/v1/clients/{cid}/consents", office)
        shared = [x for x in consents if x["purpose"] == "share_with_corp" and x["active"]
                  and x.get("recipient_org_id") == corp]
        todo = re.search(r"^- 要対応: 居住支援法人への情報提供の同意", section(text, code), re.MULTILINE) is not None
        if code in consent_rows:
            # The API may refuse a consent recorded by an API key (a person records it):
            # then the summary must ask the staff to record it; else it must be there.
            expect(len(shared) == 1 or todo, f"{code}: consent neither recorded nor listed as 要対応")
            expect(not (shared and todo), f"{code}: consent recorded and still listed as 要対応")
            if todo:
                todo_rows.append(code)
        else:
            expect(not shared and not todo, f"{code} has no consent date but got a consent or a 要対応")
    if todo_rows:
        expect("## 要対応" in text and "API キー" in text, "the 要対応 section does not say why")
        ok(f"consents: the API refuses them from an API key; 要対応 listed for {', '.join(todo_rows)}")
    else:
        ok(f"consents: share_with_corp recorded for {', '.join(consent_rows)}, none for the others")

    found = 0
    for code in good:
        sec = section(text, code)
        m = re.search(r"- 候補件数: (\d+) 件", sec)
        expect(m is not None, f"{code}: no 候補件数 in the summary")
        assert m is not None
        _, result = http.ok("GET", f"/api/v1/clients/{listed[code]['id']}/matches?limit=5", office)
        expect(int(m[1]) == len(result["matches"]),
               f"{code}: summary says {m[1]} candidates, the API {len(result['matches'])}")
        if result["matches"]:
            found += 1
            top = result["matches"][0]
            label = f"{top['rental']['building_name']} {top['rental']['unit_number']}号室"
            expect(f"1. **{label}**" in sec, f"{code}: top candidate {label} not first in the summary")
            expect(f"{top['rental']['monthly_total']:,}円" in sec,
                   f"{code}: the top candidate's rent + 共益費 is missing")
            expect(f"スコア {top['score']:.1f}" in sec, f"{code}: score of the top candidate missing")
            for part in top["parts"]:
                expect(part["reason"] in sec, f"{code}: reason {part['reason']!r} missing")
        for nm in result["near_misses"][:3]:
            for reason in nm["reasons"]:
                expect(reason in sec, f"{code}: near-miss reason {reason!r} missing")
    expect(found >= 1, "no client got a candidate")
    ok(f"candidates: {found} of {len(good)} clients have some; the summary agrees with the API "
       "(top rental, rent + 共益費, score, reasons, near misses)")

    # The token renewal of the example's Api class: on 401, and before expiry.
    example = load_example_module()
    api = example.Api(base, api_key, log=lambda _m: None)
    from sumai_link_client import AuthenticatedClient
    from sumai_link_client.api.clients import clients_list

    expect(api.call(clients_list, limit=1).status_code == 200, "Api.call failed")
    api._client = AuthenticatedClient(base_url=base, token="not-a-valid-token")  # as if expired
    expect(api.call(clients_list, limit=1).status_code == 200, "no recovery from a 401")
    expect(api.sign_ins == 2, f"expected a second sign-in after the 401, got {api.sign_ins}")
    api._expires_at = 0.0
    expect(api.call(clients_list, limit=1).status_code == 200, "no recovery after expiry")
    expect(api.sign_ins == 3, f"expected a sign-in when the token is due, got {api.sign_ins}")
    api.close()
    ok("token: renewed with the API key after a 401 and when it is about to expire")

    if todo_rows:
        # As a person of the office would, with the client, in 住まいリンク.
        staff = http.login("office-staff")
        for code in todo_rows:
            cell = by_code[code][CONSENT_COLUMN]
            given = example.parse_date(cell).isoformat()
            method = "oral" if by_code[code]["同意の方法"].strip() == "口頭" else "written"
            http.ok("POST", f"/api/v1/clients/{listed[code]['id']}/consents", staff,
                    {"purpose": "share_with_corp", "recipient_org_id": corp,
                     "method": method, "given_on": given}, status=201)
        ok(f"office-staff@ (a person) recorded the consents of {', '.join(todo_rows)}")

    # --- second run, same file -------------------------------------------------------
    snap1 = snapshot(http, office, good)
    s2 = work / "summary-2.md"
    rc, out = run_example(base, work, sjis, s2, corp, api_key)
    expect(rc == 1, f"second run: exit code {rc}, expected 1\n{out}")
    text = s2.read_text(encoding="utf-8")
    expect(counts_of(text) == (0, 0, len(good), len(BAD_ROWS)),
           f"second run counts {counts_of(text)}, expected (0, 0, {len(good)}, {len(BAD_ROWS)})")
    for code in good:
        expect("- 同期: 変更なし" in section(text, code), f"second run: {code} is not 変更なし")
    expect("## 要対応" not in text, "second run still lists 要対応 though every consent is recorded")
    expect(len(http.clients(office)) == len(before) + len(good), "second run changed the client count")
    snap2 = snapshot(http, office, good)
    expect(snap1 == snap2, f"second run wrote something: {snap1} -> {snap2}")
    for code in consent_rows:
        _, consents = http.ok("GET", f"/api/v1/clients/{listed[code]['id']}/consents", office)
        n = sum(1 for x in consents if x["purpose"] == "share_with_corp" and x["active"]
                and x.get("recipient_org_id") == corp)
        expect(n == 1, f"{code} has {n} active share_with_corp consents")
    check_private(text + out, rows, "the second run")
    ok("second run: every good row 変更なし; no client, needs or consent written or created twice")

    # --- one rent ceiling changed ------------------------------------------------------
    changed = [dict(r) for r in rows]
    for r in changed:
        if r["利用者番号"] == CHANGED_ROW:
            r["家賃上限"] = str(CHANGED_BUDGET)
    mod = work / "cases-changed-sjis.csv"
    write_cp932(mod, header, changed)
    s3 = work / "summary-3.md"
    rc, out = run_example(base, work, mod, s3, corp, api_key)
    expect(rc == 1, f"third run: exit code {rc}, expected 1\n{out}")
    text = s3.read_text(encoding="utf-8")
    expect(counts_of(text) == (0, 1, len(good) - 1, len(BAD_ROWS)), f"third run counts {counts_of(text)}")
    sec = section(text, CHANGED_ROW)
    expect("- 同期: 更新" in sec and "家賃上限" in sec, f"{CHANGED_ROW} not reported as 更新 of 家賃上限:\n{sec}")
    for code in good:
        if code != CHANGED_ROW:
            expect("- 同期: 変更なし" in section(text, code), f"third run: {code} is not 変更なし")
    _, n = http.ok("GET", f"/api/v1/clients/{listed[CHANGED_ROW]['id']}/needs", office)
    expect(n["max_monthly_total"] == CHANGED_BUDGET, f"needs.max_monthly_total is {n['max_monthly_total']}")
    snap3 = snapshot(http, office, good)
    for code in good:
        version, needs_version, consents = snap2[code]
        if code == CHANGED_ROW:
            needs_version = (needs_version or 0) + 1
        expect(snap3[code] == (version, needs_version, consents),
               f"third run: {code} is {snap3[code]}, expected {(version, needs_version, consents)}")
    expect(f"予算 {CHANGED_BUDGET:,}円" in sec or "候補件数: 0 件" in sec,
           "the candidates were not ranked with the new budget")
    ok(f"third run: {CHANGED_ROW} 更新 (家賃上限 → {CHANGED_BUDGET:,}円), its needs' version +1, nothing else written")

    # --- dry run of the original file -----------------------------------------------------
    s4 = work / "summary-4.md"
    rc, out = run_example(base, work, sjis, s4, corp, api_key, "--dry-run")
    expect(rc == 1, f"dry run: exit code {rc}, expected 1\n{out}")
    expect(re.search(rf"{CHANGED_ROW}: 更新予定 \(希望条件\(家賃上限\)\)", out) is not None,
           f"dry run does not announce the change back of {CHANGED_ROW}:\n{out}")
    expect(not s4.exists(), "dry run wrote a summary")
    expect(snapshot(http, office, good) == snap3, "dry run wrote something")
    _, n = http.ok("GET", f"/api/v1/clients/{listed[CHANGED_ROW]['id']}/needs", office)
    expect(n["max_monthly_total"] == CHANGED_BUDGET, "dry run changed the needs")
    check_private(out, rows, "the dry run's output")
    ok("--dry-run: announces 更新予定, writes nothing")

    # --- a consent withdrawn in 住まいリンク stays withdrawn -------------------------------
    staff = http.login("office-staff")
    gone = consent_rows[0]
    gone_id = listed[gone]["id"]
    _, consents = http.ok("GET", f"/api/v1/clients/{gone_id}/consents", office)
    active = [x for x in consents if x["purpose"] == "share_with_corp" and x["active"]]
    expect(len(active) == 1, f"{gone}: expected one active consent before the withdrawal")
    http.ok("POST", f"/api/v1/clients/{gone_id}/consents/{active[0]['id']}/withdraw", staff)
    s5 = work / "summary-5.md"
    rc, out = run_example(base, work, sjis, s5, corp, api_key)
    expect(rc == 1, f"withdrawal run: exit code {rc}, expected 1\n{out}")
    sec = section(s5.read_text(encoding="utf-8"), gone)
    expect("撤回されています" in sec and "要対応" not in sec,
           f"{gone}: the withdrawn consent is not reported as withdrawn, or asked to be recorded again:\n{sec}")
    _, after = http.ok("GET", f"/api/v1/clients/{gone_id}/consents", office)
    expect(len(after) == len(consents) and not any(x["active"] for x in after if x["purpose"] == "share_with_corp"),
           f"{gone}: a consent was recorded again after its withdrawal")
    ok(f"a consent withdrawn in 住まいリンク ({gone}) is reported, never recorded or asked for again")

    # --- a file without some optional columns leaves those fields alone -------------------
    dropped = ["フリガナ", "居所の補足", "希望間取り", "本人の希望", CONSENT_COLUMN, "同意の方法"]
    narrow_header = [h for h in header if h not in dropped]
    narrow = work / "cases-narrow-sjis.csv"
    write_cp932(narrow, narrow_header, [{h: r[h] for h in narrow_header} for r in rows])
    before_narrow = snapshot(http, office, good)
    rc, out = run_example(base, work, narrow, work / "summary-narrow.md", corp, api_key)
    expect(rc == 1, f"narrow file: exit code {rc}, expected 1\n{out}")
    text = (work / "summary-narrow.md").read_text(encoding="utf-8")
    expect(counts_of(text) == (0, 0, len(good), len(BAD_ROWS)), f"narrow file counts {counts_of(text)}")
    expect(snapshot(http, office, good) == before_narrow, "the narrow file wrote something")
    ok("a file without " + "・".join(dropped[:4]) + " and the consent columns changes nothing")

    # --- configuration errors: exit 2 ---------------------------------------------------
    rc, out = run_example(base, work, sjis, work / "summary-6.md", corp, None)
    expect(rc == 2 and "SUMAI_API_KEY" in out, f"no key: exit code {rc}, expected 2\n{out}")
    rc, out = run_example(base, work, sjis, work / "summary-7.md", corp, "slk_wrong_0000")
    expect(rc == 2, f"wrong key: exit code {rc}, expected 2\n{out}")
    http.ok("DELETE", f"/api/v1/api-keys/{key_id}", office, status=204)
    rc, out = run_example(base, work, sjis, work / "summary-8.md", corp, api_key)
    expect(rc == 2, f"revoked key: exit code {rc}, expected 2\n{out}")
    expect(len(http.clients(office)) == len(before) + len(good), "a refused run created clients")
    ok("exit code 2 without a key, with a wrong key and with the revoked key")


if __name__ == "__main__":
    sys.exit(main())
