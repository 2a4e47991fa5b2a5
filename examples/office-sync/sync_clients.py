#!/usr/bin/env python3
"""Sync a support office's clients from a case-management CSV export into 住まいリンク.

相談支援事業所のケース記録システムから書き出した CSV を読み、利用者を住まいリンク
(sumai-link) に登録・更新し、住まい探し中の利用者ごとに物件の候補を出して、結果を
日本語の Markdown (既定 summary.md) に書きます。

What it does, row by row (one row = one client, keyed by 利用者番号 = display_code):

1. reads the CSV (Shift_JIS/cp932, UTF-8 with or without BOM, or Excel's UTF-16 "Unicode
   text"; comma or tab separated) and checks every cell locally: dates (西暦, 和暦 such as
   昭和60年6月14日 or S60.6.14, Excel serial numbers), yen amounts, municipality codes
   with their check digit, and the Japanese labels of 障害種別, 現在の居所, 状態 and
   必要な設備, mapped to the API's enum values (README.md of this folder has the table);
2. finds the client among the office's clients (``clients_list``, all pages): a new one is
   created (``clients_create`` with an ``Idempotency-Key`` derived from the row, so a
   retried request never creates it twice); an existing one is read (``clients_read``,
   for its ETag) and, only if something differs, replaced (``clients_replace``, PUT with
   ``If-Match``). Fields the CSV does not carry (services, responsible staff member, …)
   are kept as they are in 住まいリンク;
3. records the needs (``clients_needs_read`` / ``clients_needs_put``; ``If-Match`` once
   needs exist), keeping the places and the search circle set in 住まいリンク itself;
4. records the ``share_with_corp`` consent for the 居住支援法人 given by ``--corp-org-id``
   when the row has a consent date and no active consent of that purpose and recipient
   exists yet (``clients_consents_list`` / ``clients_consents_create``). It never
   withdraws a consent: that is done in 住まいリンク, with the person;
5. ranks rentals (``clients_matches``) for every synced client whose status is
   ``searching`` and writes the summary: counts (新規登録 / 更新 / 変更なし / エラー), per
   client the top candidates with their score and the API's reasons, the near misses, and
   a table of every error (row, 利用者番号, column, message).

The API key comes from the environment (``SUMAI_API_KEY``, or ``SUMAI_API_KEY_FILE``
naming a file that holds it), never from the command line. It is exchanged for an access
token (``auth_token``, grant_type ``api_key``); the token is renewed before it expires and
again whenever the API answers 401.

A second run with the same CSV changes nothing (every row 変更なし). ``--dry-run`` reads and
checks the file, compares it with 住まいリンク (reads only) and says what would change,
without writing anything. Without an API key ``--dry-run`` checks the file alone.

Privacy: the CSV holds 要配慮個人情報 (health and disability data). This script writes only
利用者番号 (the pseudonymous display code) to the console and to the summary: never the
name, フリガナ, date of birth or the person's own words. Columns it does not know are
ignored and sent nowhere.

Exit codes: 0 every row synced; 1 some rows failed (see the error table); 2 a problem of
configuration or connection (no API key, the key refused, the server unreachable, the CSV
unreadable), nothing or only part of the file was processed.

Needs only the Python standard library and the client generated from openapi.yaml
(``sumai_link_client``, with its dependencies httpx and attrs). Python 3.11+.

Example::

    SUMAI_API_KEY=slk_... python sync_clients.py --base-url https://sumai.example.jp \\
        --corp-org-id 0193f1c2-... --summary summary.md cases.csv
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import functools
import hashlib
import io
import json
import os
import re
import sys
import time
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, cast
from urllib.parse import urlsplit

try:
    import httpx
    from sumai_link_client import AuthenticatedClient, Client
    from sumai_link_client.api.auth import auth_token
    from sumai_link_client.api.clients import (
        clients_consents_create,
        clients_consents_list,
        clients_create,
        clients_list,
        clients_matches,
        clients_needs_put,
        clients_needs_read,
        clients_read,
        clients_replace,
    )
    from sumai_link_client.api.me import me_read
    from sumai_link_client.api.offices import offices_read_setup
    from sumai_link_client.models import (
        Accessibility,
        Category,
        ClientInput,
        ClientStatus,
        ClientSummary,
        ClientView,
        ConsentMethod,
        ConsentPurpose,
        ConsentView,
        CurrentPlace,
        Match,
        MatchResult,
        Me,
        NeedsInput,
        NeedsView,
        NewConsent,
        PageClientSummary,
        Problem,
        ServicePeriod,
        SetupView,
        TokenRequestApiKey,
        TokenResponse,
    )
    from sumai_link_client.models.token_request_api_key_grant_type import (
        TokenRequestApiKeyGrantType,
    )
    from sumai_link_client.types import UNSET, Response, Unset
except ImportError as _missing:  # pragma: no cover - depends on the installation
    sys.stderr.write(
        "生成クライアント sumai_link_client が見つかりません (generated client not installed):\n"
        f"  {_missing}\n"
        "examples/office-sync/README.md の「クライアントの生成」の手順で作って入れてください。\n"
    )
    sys.exit(2)

EXIT_OK = 0
EXIT_ROWS_FAILED = 1
EXIT_CONFIG = 2

JST = dt.timezone(dt.timedelta(hours=9), "JST")
USER_AGENT = "sumai-link-office-sync/1.0"
# Renew the access token this many seconds (at most a fifth of its life) before it expires.
TOKEN_MARGIN_SECS = 60
# Attempts per request on a dropped connection, 5xx, 429 or "idempotency key in use".
MAX_ATTEMPTS = 4
MAX_RETRY_WAIT_SECS = 30.0

# ---------------------------------------------------------------------------------------
# The CSV's columns. Header cells are compared after NFKC normalisation and with spaces
# removed, so full-width letters and digits and stray blanks do not matter. Aliases are other names
# case-management systems use for the same column.

COL_CODE = "利用者番号"
COL_NAME = "氏名"
COL_KANA = "フリガナ"
COL_DOB = "生年月日"
COL_CATEGORIES = "障害種別"
COL_PLACE = "現在の居所"
COL_PLACE_NOTE = "居所の補足"
COL_MOVE_DATE = "入居希望日"
COL_STATUS = "状態"
COL_BUDGET = "家賃上限"
COL_ALLOWANCE = "住宅扶助上限"
COL_MUNICIPALITIES = "希望市区町村コード"
COL_LAYOUTS = "希望間取り"
COL_AREA = "最低専有面積"
COL_PETS = "ペット"
COL_STEP_FREE = "1階またはエレベーター"
COL_ACCESSIBILITY = "必要な設備"
COL_OWN_WORDS = "本人の希望"
COL_CONSENT_DATE = "居住支援法人への情報提供の同意日"
COL_CONSENT_METHOD = "同意の方法"

REQUIRED_COLUMNS = (COL_CODE, COL_NAME, COL_DOB, COL_CATEGORIES, COL_PLACE)
KNOWN_COLUMNS = (
    COL_CODE, COL_NAME, COL_KANA, COL_DOB, COL_CATEGORIES, COL_PLACE, COL_PLACE_NOTE,
    COL_MOVE_DATE, COL_STATUS, COL_BUDGET, COL_ALLOWANCE, COL_MUNICIPALITIES, COL_LAYOUTS,
    COL_AREA, COL_PETS, COL_STEP_FREE, COL_ACCESSIBILITY, COL_OWN_WORDS, COL_CONSENT_DATE,
    COL_CONSENT_METHOD,
)
ALIASES = {
    "利用者コード": COL_CODE, "利用者ID": COL_CODE, "ケース番号": COL_CODE,
    "利用者氏名": COL_NAME, "名前": COL_NAME,
    "ふりがな": COL_KANA, "氏名カナ": COL_KANA, "カナ氏名": COL_KANA,
    "障害の種別": COL_CATEGORIES, "障がい種別": COL_CATEGORIES,
    "現住所区分": COL_PLACE, "居所": COL_PLACE,
    "入居希望時期": COL_MOVE_DATE, "転居希望日": COL_MOVE_DATE,
    "支援状況": COL_STATUS,
    "家賃上限(共益費込)": COL_BUDGET, "家賃+共益費上限": COL_BUDGET, "予算": COL_BUDGET,
    "住宅扶助基準額": COL_ALLOWANCE,
    "希望地域コード": COL_MUNICIPALITIES, "市区町村コード": COL_MUNICIPALITIES,
    "1階又はエレベーター": COL_STEP_FREE, "1階またはEV": COL_STEP_FREE,
    "本人の思い": COL_OWN_WORDS, "本人の意向": COL_OWN_WORDS,
    "情報提供の同意日": COL_CONSENT_DATE, "同意日": COL_CONSENT_DATE,
}

# Which CSV column an API field (of ClientInput, NeedsInput or NewConsent) came from, to
# report the API's field errors in the office's own words.
FIELD_COLUMNS = {
    "display_code": COL_CODE, "name": COL_NAME, "name_kana": COL_KANA,
    "date_of_birth": COL_DOB, "categories": COL_CATEGORIES, "current_place": COL_PLACE,
    "current_place_note": COL_PLACE_NOTE, "target_move_date": COL_MOVE_DATE,
    "status": COL_STATUS, "max_monthly_total": COL_BUDGET,
    "housing_allowance_limit": COL_ALLOWANCE, "municipalities": COL_MUNICIPALITIES,
    "preferred_layouts": COL_LAYOUTS, "min_area_m2": COL_AREA, "needs_pets": COL_PETS,
    "ground_floor_or_elevator": COL_STEP_FREE, "accessibility_musts": COL_ACCESSIBILITY,
    "own_words": COL_OWN_WORDS, "given_on": COL_CONSENT_DATE, "method": COL_CONSENT_METHOD,
    "recipient_org_id": "--corp-org-id",
}

# Japanese labels → the API's enum values. A cell may name the enum value itself. Labels
# are matched exactly first, then by the keywords in order (the first that occurs wins).
CATEGORY_LABELS: list[tuple[tuple[str, ...], Category]] = [
    (("身体障害", "身体", "肢体不自由", "視覚障害", "聴覚障害", "言語障害", "内部障害"),
     Category.DISABILITY_PHYSICAL),
    (("知的障害", "知的"), Category.DISABILITY_INTELLECTUAL),
    # 発達障害 and 高次脳機能障害 are served as 精神障害 (精神障害者保健福祉手帳).
    (("精神障害", "精神", "発達障害", "発達", "高次脳機能障害"), Category.DISABILITY_MENTAL),
    (("高齢者", "高齢"), Category.ELDERLY),
    (("低額所得者", "低所得", "生活保護"), Category.LOW_INCOME),
    (("子育て世帯", "子育て"), Category.CHILD_REARING),
    (("被災者", "被災"), Category.DISASTER_VICTIM),
    (("難病", "その他"), Category.OTHER),
]
PLACE_LABELS: list[tuple[tuple[str, ...], CurrentPlace]] = [
    (("病院に入院中", "入院中", "入院", "病院"), CurrentPlace.HOSPITAL),
    (("施設に入所中", "入所施設", "入所", "施設"), CurrentPlace.INSTITUTION),
    (("グループホーム", "共同生活援助", "GH"), CurrentPlace.GROUP_HOME),
    (("家族と同居", "家族", "実家", "同居"), CurrentPlace.FAMILY),
    (("自宅(単身)", "単身", "一人暮らし", "ひとり暮らし", "自宅"), CurrentPlace.OWN_HOME),
    (("その他",), CurrentPlace.OTHER),
]
STATUS_LABELS: list[tuple[tuple[str, ...], ClientStatus]] = [
    (("住まい探し中", "探している", "支援中", "検索中"), ClientStatus.SEARCHING),
    (("入居済み", "入居済", "入居"), ClientStatus.HOUSED),
    (("終結", "支援終了", "終了"), ClientStatus.CLOSED),
]
ACCESSIBILITY_LABELS: list[tuple[tuple[str, ...], Accessibility]] = [
    (("室内の段差なし", "室内段差なし", "室内"), Accessibility.STEP_FREE_INTERIOR),
    (("段差のない玄関", "玄関段差なし", "玄関"), Accessibility.STEP_FREE_ENTRANCE),
    (("車椅子対応", "車いす対応", "車椅子", "車いす", "車イス"), Accessibility.WHEELCHAIR_ACCESSIBLE),
    (("手すり", "手摺"), Accessibility.HANDRAILS),
    (("広い出入口", "広い出入り口", "出入口"), Accessibility.WIDE_DOORS),
    (("バリアフリー浴室・トイレ", "浴室", "トイレ"), Accessibility.ACCESSIBLE_BATHROOM),
    (("点字・誘導設備", "点字", "誘導"), Accessibility.TACTILE_GUIDANCE),
]
YES = {"はい", "あり", "有", "有り", "要", "必要", "希望", "○", "〇", "◯", "✓", "y", "yes", "true", "1"}
NO = {"いいえ", "なし", "無", "無し", "不要", "×", "✕", "-", "ー", "n", "no", "false", "0"}

LIST_SEPARATORS = re.compile(r"[・,、/／;；\s]+")
ERAS = {"明治": 1867, "大正": 1911, "昭和": 1925, "平成": 1988, "令和": 2018,
        "M": 1867, "T": 1911, "S": 1925, "H": 1988, "R": 2018}
WAREKI = re.compile(
    r"^(明治|大正|昭和|平成|令和|[MTSHR])\s*(元|\d{1,2})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$",
    re.IGNORECASE,
)
SEIREKI = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
EXCEL_TIME = re.compile(r"\s+\d{1,2}:\d{2}(:\d{2})?$")  # "1985/06/14 0:00" from Excel


# ---------------------------------------------------------------------------------------
# Errors


class ConfigError(Exception):
    """Configuration or connection trouble: the run stops with exit code 2."""


@dataclasses.dataclass
class RowError:
    column: str  # the CSV column (or option) in the office's words
    field: str  # the API field, e.g. date_of_birth or municipalities[1]
    message: str


class RowFailed(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(f"{e.column}: {e.message}" for e in errors))
        self.errors = errors


# ---------------------------------------------------------------------------------------
# Reading the CSV


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s).strip()


def decode_csv(data: bytes, encoding: str) -> tuple[str, str]:
    """Returns the text and the encoding used. ``auto`` takes a BOM (UTF-8 or UTF-16),
    else UTF-8 when the bytes are valid UTF-8, else cp932 (Shift_JIS as Windows and
    Excel write it, with NEC and IBM extensions such as ①, ㈱, 髙)."""
    if encoding != "auto":
        name = {"sjis": "cp932", "shift_jis": "cp932", "shift-jis": "cp932"}.get(encoding.lower(), encoding)
        try:
            return data.decode(name), name
        except (UnicodeDecodeError, LookupError) as e:
            raise ConfigError(f"CSV を {encoding} として読めません: {e}") from e
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), "UTF-8 (BOM付き)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "Shift_JIS (cp932)"
    except UnicodeDecodeError as e:
        raise ConfigError(
            "CSV の文字コードが分かりません (UTF-8 でも Shift_JIS でもありません)。"
            "--encoding で指定してください"
        ) from e


def header_key(cell: str) -> str:
    key = re.sub(r"\s+", "", nfkc(cell.lstrip("\ufeff")))
    return ALIASES.get(key, key)


@dataclasses.dataclass
class CsvFile:
    rows: list[tuple[int, dict[str, str]]]  # (line number, column → cell)
    columns: list[str]
    ignored: list[str]
    encoding: str


def read_csv(path: Path, encoding: str) -> CsvFile:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"CSV を開けません: {path}: {e.strerror}") from e
    text, used = decode_csv(data, encoding)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration as e:
        raise ConfigError("CSV が空です") from e
    columns = [header_key(h) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ConfigError(
            "CSV に必須の列がありません: " + "、".join(missing)
            + " (README.md の列の表を見てください)"
        )
    dupes = sorted({c for c in columns if c and columns.count(c) > 1})
    if dupes:
        raise ConfigError("CSV の列名が重複しています: " + "、".join(dupes))
    ignored = [h.strip() for h, c in zip(header, columns, strict=True) if c and c not in KNOWN_COLUMNS]
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            cells = {c: (record[i] if i < len(record) else "") for i, c in enumerate(columns)
                     if c in KNOWN_COLUMNS}
            rows.append((start, cells))
    except csv.Error as e:
        raise ConfigError(f"CSV の {reader.line_num} 行目が読めません: {e}") from e
    return CsvFile(rows, [c for c in columns if c in KNOWN_COLUMNS], ignored, used)


# ---------------------------------------------------------------------------------------
# One row, checked and converted


@dataclasses.dataclass
class Needs:
    max_monthly_total: int
    housing_allowance_limit: int | None
    municipalities: list[str]
    preferred_layouts: list[str]
    min_area_m2: float | None
    needs_pets: bool
    ground_floor_or_elevator: bool
    accessibility_musts: list[Accessibility]
    own_words: str | None


@dataclasses.dataclass
class CaseRow:
    """A row of the CSV as the API wants it. ``present`` holds the columns the file has:
    a column the file lacks leaves that field as it is in 住まいリンク."""

    line: int
    present: set[str]
    display_code: str = ""
    name: str = ""
    name_kana: str | None = None
    date_of_birth: dt.date | None = None
    categories: list[Category] = dataclasses.field(default_factory=list)
    current_place: CurrentPlace | None = None
    current_place_note: str | None = None
    target_move_date: dt.date | None = None
    status: ClientStatus | None = None  # None: keep (searching for a new client)
    needs: Needs | None = None  # None: 家賃上限 blank, needs are left alone
    consent_date: dt.date | None = None
    consent_method: ConsentMethod = ConsentMethod.WRITTEN
    errors: list[RowError] = dataclasses.field(default_factory=list)

    def fail(self, column: str, field: str, message: str) -> None:
        self.errors.append(RowError(column, field, message))


def parse_date(raw: str) -> dt.date:
    s = EXCEL_TIME.sub("", nfkc(raw))
    m = WAREKI.match(s)
    if m:
        era, year, month, day = m.groups()
        base = ERAS[era.upper() if len(era) == 1 else era]
        return dt.date(base + (1 if year == "元" else int(year)), int(month), int(day))
    m = SEIREKI.match(s)
    if m:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if re.fullmatch(r"\d{8}", s):
        return dt.date(int(s[:4]), int(s[4:6]), int(s[6:]))
    if re.fullmatch(r"\d{5}", s) and 10000 <= int(s) <= 80000:  # an Excel serial day
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(s))
    raise ValueError(s)


DATE_HELP = "日付として読めません (2027-03-31、2027/3/31、令和9年3月31日、R9.3.31 など)"


def parse_yen(raw: str) -> int:
    s = nfkc(raw).replace(",", "").replace("円", "").replace(" ", "").replace("¥", "")
    if s.endswith("万"):
        return round(float(s[:-1]) * 10_000)
    if re.fullmatch(r"\d+", s):
        return int(s)
    raise ValueError(s)


def parse_bool(raw: str) -> bool:
    s = nfkc(raw).lower()
    if s == "" or s in NO:
        return False
    if s in YES:
        return True
    raise ValueError(s)


def split_list(raw: str) -> list[str]:
    return [p for p in LIST_SEPARATORS.split(nfkc(raw)) if p]


def map_label(raw: str, table: Sequence[tuple[tuple[str, ...], Any]]) -> Any:
    s = nfkc(raw)
    for labels, value in table:
        if s == value.value or s in labels:
            return value
    for labels, value in table:
        if any(k in s for k in labels):
            return value
    raise ValueError(s)


def check_digit(five: str) -> str:
    total = sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def municipality(code: str) -> str:
    """A 全国地方公共団体コード: 5 digits get their check digit, 6 digits are checked."""
    if not re.fullmatch(r"\d{5,6}", code):
        raise ValueError(f"「{code}」は5桁か6桁の市区町村コードではありません")
    expected = code[:5] + check_digit(code[:5])
    if len(code) == 6 and code != expected:
        raise ValueError(f"「{code}」の検査数字が違います (正しくは {expected})")
    return expected


def parse_row(line: int, cells: dict[str, str]) -> CaseRow:
    """Checks one row locally. Every bad cell is reported, not only the first. Messages
    never repeat the name, the birth date or the person's words (要配慮個人情報)."""
    row = CaseRow(line=line, present=set(cells))

    def cell(col: str) -> str:
        return cells.get(col, "").strip()

    row.display_code = nfkc(cell(COL_CODE))
    if not row.display_code:
        row.fail(COL_CODE, "display_code", "空欄です")
    elif not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", row.display_code):
        row.fail(COL_CODE, "display_code", "英数字・ハイフン・下線の32文字以内にしてください (氏名は入れない)")
    row.name = re.sub(r"\s+", " ", cell(COL_NAME))
    if not row.name:
        row.fail(COL_NAME, "name", "空欄です")
    row.name_kana = re.sub(r"\s+", " ", nfkc(cell(COL_KANA))) or None
    try:
        row.date_of_birth = parse_date(cell(COL_DOB))
    except ValueError:
        row.fail(COL_DOB, "date_of_birth", "空欄か、日付として読めません" if not cell(COL_DOB)
                 else "日付として読めません (1985-06-14、昭和60年6月14日、S60.6.14 など)")
    for part in split_list(cell(COL_CATEGORIES)):
        try:
            cat = map_label(part, CATEGORY_LABELS)
            if cat not in row.categories:
                row.categories.append(cat)
        except ValueError:
            row.fail(COL_CATEGORIES, "categories",
                     f"「{part}」は分かりません (身体障害・知的障害・精神障害・発達障害・難病 など)")
    if not row.categories and not cell(COL_CATEGORIES):
        row.fail(COL_CATEGORIES, "categories", "空欄です")
    try:
        row.current_place = map_label(cell(COL_PLACE), PLACE_LABELS)
    except ValueError:
        row.fail(COL_PLACE, "current_place",
                 f"「{cell(COL_PLACE)}」は分かりません"
                 " (入院中・施設入所・グループホーム・家族と同居・自宅(単身)・その他)")
    row.current_place_note = cell(COL_PLACE_NOTE) or None
    if cell(COL_MOVE_DATE):
        try:
            row.target_move_date = parse_date(cell(COL_MOVE_DATE))
        except ValueError:
            row.fail(COL_MOVE_DATE, "target_move_date", f"「{cell(COL_MOVE_DATE)}」は{DATE_HELP}")
    if cell(COL_STATUS):
        try:
            row.status = map_label(cell(COL_STATUS), STATUS_LABELS)
        except ValueError:
            row.fail(COL_STATUS, "status", f"「{cell(COL_STATUS)}」は分かりません (住まい探し中・入居済み・終結)")
    row.needs = parse_needs(row, cell)
    if cell(COL_CONSENT_DATE):
        try:
            row.consent_date = parse_date(cell(COL_CONSENT_DATE))
        except ValueError:
            row.fail(COL_CONSENT_DATE, "given_on", f"「{cell(COL_CONSENT_DATE)}」は{DATE_HELP}")
    method = nfkc(cell(COL_CONSENT_METHOD))
    if method in ("", "書面", "文書", "同意書", "written"):
        row.consent_method = ConsentMethod.WRITTEN
    elif method in ("口頭", "oral"):
        row.consent_method = ConsentMethod.ORAL
    else:
        row.fail(COL_CONSENT_METHOD, "method", f"「{method}」は分かりません (書面・口頭)")
    return row


def parse_needs(row: CaseRow, cell: Callable[[str], str]) -> Needs | None:
    if not cell(COL_BUDGET):
        return None
    budget = 0
    try:
        budget = parse_yen(cell(COL_BUDGET))
    except ValueError:
        row.fail(COL_BUDGET, "max_monthly_total",
                 f"「{cell(COL_BUDGET)}」は金額として読めません (55000、55,000円、5.5万 など)")
    allowance = None
    if cell(COL_ALLOWANCE):
        try:
            allowance = parse_yen(cell(COL_ALLOWANCE))
        except ValueError:
            row.fail(COL_ALLOWANCE, "housing_allowance_limit", f"「{cell(COL_ALLOWANCE)}」は金額として読めません")
    munis: list[str] = []
    for i, code in enumerate(split_list(cell(COL_MUNICIPALITIES))):
        try:
            munis.append(municipality(code))
        except ValueError as e:
            row.fail(COL_MUNICIPALITIES, f"municipalities[{i}]", str(e))
    area = None
    if cell(COL_AREA):
        try:
            area = float(re.sub(r"(m2|㎡|平米|平方メートル)$", "", nfkc(cell(COL_AREA))))
        except ValueError:
            row.fail(COL_AREA, "min_area_m2", f"「{cell(COL_AREA)}」は数として読めません (25、25㎡ など)")
    flags = {}
    for col, field in ((COL_PETS, "needs_pets"), (COL_STEP_FREE, "ground_floor_or_elevator")):
        try:
            flags[field] = parse_bool(cell(col))
        except ValueError:
            flags[field] = False
            row.fail(col, field, f"「{cell(col)}」は はい/いいえ (あり/なし、○/空欄) で書いてください")
    access: list[Accessibility] = []
    for part in split_list(cell(COL_ACCESSIBILITY)):
        try:
            a = map_label(part, ACCESSIBILITY_LABELS)
            if a not in access:
                access.append(a)
        except ValueError:
            row.fail(COL_ACCESSIBILITY, "accessibility_musts",
                     f"「{part}」は分かりません (段差のない玄関・車椅子対応・手すり など)")
    return Needs(
        max_monthly_total=budget,
        housing_allowance_limit=allowance,
        municipalities=munis,
        preferred_layouts=[nfkc(p).upper() for p in split_list(cell(COL_LAYOUTS))],
        min_area_m2=area,
        needs_pets=flags["needs_pets"],
        ground_floor_or_elevator=flags["ground_floor_or_elevator"],
        accessibility_musts=access,
        own_words=cell(COL_OWN_WORDS) or None,
    )


# ---------------------------------------------------------------------------------------
# The API: one signed-in session over the generated client


def problem_of(resp: Response[Any]) -> Problem | None:
    if isinstance(resp.parsed, Problem):
        return resp.parsed
    try:
        body = json.loads(resp.content)
        return Problem.from_dict(body) if isinstance(body, dict) and "status" in body else None
    except (ValueError, KeyError, TypeError):
        return None


def describe(resp: Response[Any]) -> str:
    p = problem_of(resp)
    if p is None:
        return f"HTTP {int(resp.status_code)}"
    return f"HTTP {p.status} {p.title}: {p.detail}"


class Api:
    """Signs in with the API key and sends requests through the generated client,
    renewing the access token before it expires and on 401, and retrying requests the
    server could not take (dropped connection, 5xx, 429, 409 ``idempotency-key-in-use``)
    after ``Retry-After``. Every write carries an Idempotency-Key, so a retry is safe."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 30.0,
                 log: Callable[[str], None] = print) -> None:
        self.base_url = base_url
        self._api_key = api_key
        self._timeout = httpx.Timeout(timeout)
        self._client: AuthenticatedClient | None = None
        self._expires_at = 0.0
        self.sign_ins = 0
        self.log = log
        self._deprecated: set[str] = set()

    def close(self) -> None:
        if self._client is not None:
            self._client.get_httpx_client().close()
            self._client = None

    def sign_in(self) -> None:
        """Exchanges the API key for an access token (operation auth_token)."""
        anonymous = Client(base_url=self.base_url, timeout=self._timeout,
                           headers={"User-Agent": USER_AGENT})
        body = TokenRequestApiKey(api_key=self._api_key, grant_type=TokenRequestApiKeyGrantType.API_KEY)
        try:
            # The generated auth_token is typed for an AuthenticatedClient although the
            # operation needs no token; a plain Client works the same.
            resp = self._retrying(lambda: auth_token.sync_detailed(
                client=cast(AuthenticatedClient, anonymous), body=body))
        finally:
            anonymous.get_httpx_client().close()
        if resp.status_code != 200 or not isinstance(resp.parsed, TokenResponse):
            if resp.status_code in (401, 422):
                raise ConfigError("API キーが受け付けられませんでした (失効・取り消し・入力違い): " + describe(resp))
            raise ConfigError("サインインできません: " + describe(resp))
        tokens = resp.parsed
        self.close()
        self._client = AuthenticatedClient(
            base_url=self.base_url, token=tokens.access_token, timeout=self._timeout,
            headers={"User-Agent": USER_AGENT},
        )
        margin = min(TOKEN_MARGIN_SECS, tokens.expires_in // 5)
        self._expires_at = time.monotonic() + tokens.expires_in - margin
        self.sign_ins += 1

    def call(self, op: Any, *args: Any, **kwargs: Any) -> Response[Any]:
        """``op.sync_detailed(*args, client=…, **kwargs)`` with a valid token."""
        renewed = False
        while True:
            if self._client is None or time.monotonic() >= self._expires_at:
                self.sign_in()
            resp = self._retrying(functools.partial(op.sync_detailed, *args, client=self._client, **kwargs))
            if resp.status_code == 401 and not renewed:
                # The token expired or was revoked in the meantime: sign in again, once.
                renewed = True
                self.close()
                continue
            if resp.status_code == 401:
                raise ConfigError("サインインし直しても 401 です: " + describe(resp))
            name = getattr(op, "__name__", str(op)).rsplit(".", 1)[-1]
            if "deprecation" in resp.headers and name not in self._deprecated:
                # README "Versioning and deprecation": the operation will stop answering
                # after its Sunset; update the script (and the generated client) before.
                self._deprecated.add(name)
                self.log(f"注意: {name} は非推奨です (Sunset: {resp.headers.get('sunset', '?')})。"
                         "スクリプトと生成クライアントを更新してください")
            return resp

    def _retrying(self, send: Callable[[], Response[Any]]) -> Response[Any]:
        delay = 1.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            last = attempt == MAX_ATTEMPTS
            try:
                resp = send()
            except httpx.TransportError as e:
                if last:
                    raise ConfigError(f"{self.base_url} に接続できません: {e}") from e
                self.log(f"  接続エラー ({type(e).__name__}); {delay:.0f} 秒後に再送します")
                time.sleep(delay)
                delay *= 2
                continue
            code = int(resp.status_code)
            problem = problem_of(resp) if code == 409 else None
            busy = problem is not None and problem.type_.endswith("idempotency-key-in-use")
            if not (code in (429, 502, 503, 504) or code >= 500 or busy) or last:
                if code >= 500:
                    raise ConfigError("サーバーエラーが続いています: " + describe(resp))
                return resp
            wait = delay
            retry_after = resp.headers.get("retry-after")
            if retry_after and retry_after.isdigit():
                wait = float(retry_after)
            wait = min(wait, MAX_RETRY_WAIT_SECS)
            self.log(f"  {describe(resp)}; {wait:.0f} 秒後に再送します")
            time.sleep(wait)
            delay *= 2
        raise AssertionError("unreachable")


def idempotency_key(*parts: Any) -> str:
    """A key derived from the operation, the target and the body: the same request gets
    the same key (a retry is answered from the first), a different one another key."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return "office-sync-" + hashlib.sha256(blob.encode()).hexdigest()[:48]


def field_errors(resp: Response[Any], what: str) -> list[RowError]:
    """The API's problem+json as row errors (one per field when it names fields)."""
    p = problem_of(resp)
    if p is None:
        return [RowError(what, "", f"HTTP {int(resp.status_code)}")]
    if p.errors:
        out = []
        for e in p.errors:
            base = re.split(r"[.\[]", e.field, maxsplit=1)[0]
            out.append(RowError(FIELD_COLUMNS.get(base, what), e.field, e.message))
        return out
    return [RowError(what, "", f"{p.title}: {p.detail}")]


def etag_of(resp: Response[Any]) -> str:
    tag = resp.headers.get("etag")
    if not tag:
        raise ConfigError("応答に ETag がありません (API の版が合っていない可能性があります)")
    return tag


# ---------------------------------------------------------------------------------------
# Building the API's bodies and comparing them with what is stored


def unset_to_none(v: Any) -> Any:
    return None if isinstance(v, Unset) else v


def client_body(row: CaseRow, current: ClientView | None) -> ClientInput:
    """The whole record for POST/PUT: the CSV's columns, and for what the CSV lacks the
    stored values (services and the responsible staff member always come from there)."""

    def keep(col: str, new: Any, old: Any) -> Any:
        return new if col in row.present or current is None else old

    c = current
    status = row.status or (c.status if c else ClientStatus.SEARCHING)
    assert row.date_of_birth is not None and row.current_place is not None
    return ClientInput(
        display_code=row.display_code,
        name=row.name,
        name_kana=keep(COL_KANA, row.name_kana, unset_to_none(c.name_kana) if c else None),
        date_of_birth=row.date_of_birth,
        categories=row.categories,
        current_place=row.current_place,
        current_place_note=keep(COL_PLACE_NOTE, row.current_place_note,
                                unset_to_none(c.current_place_note) if c else None),
        target_move_date=keep(COL_MOVE_DATE, row.target_move_date,
                              unset_to_none(c.target_move_date) if c else None),
        status=status,
        responsible_user_id=unset_to_none(c.responsible_user_id) if c else UNSET,
        services=list(c.services) if c else [],
    )


def client_as_input(view: ClientView) -> ClientInput:
    return ClientInput(
        display_code=view.display_code, name=view.name,
        name_kana=unset_to_none(view.name_kana), date_of_birth=view.date_of_birth,
        categories=list(view.categories), current_place=view.current_place,
        current_place_note=unset_to_none(view.current_place_note),
        target_move_date=unset_to_none(view.target_move_date), status=view.status,
        responsible_user_id=unset_to_none(view.responsible_user_id),
        services=[ServicePeriod.from_dict(s.to_dict()) for s in view.services],
    )


NEEDS_COLUMNS = {
    "housing_allowance_limit": COL_ALLOWANCE, "municipalities": COL_MUNICIPALITIES,
    "preferred_layouts": COL_LAYOUTS, "min_area_m2": COL_AREA, "needs_pets": COL_PETS,
    "ground_floor_or_elevator": COL_STEP_FREE, "accessibility_musts": COL_ACCESSIBILITY,
    "own_words": COL_OWN_WORDS,
}


def needs_body(needs: Needs, current: NeedsView | None, present: set[str]) -> NeedsInput:
    """The whole set of needs. A column the CSV lacks keeps the stored value; the places
    that matter and the search circle are never in the CSV, so the stored ones are kept."""
    stored = needs_as_input(current) if current is not None else None
    values = {f: getattr(needs, f) for f in NEEDS_COLUMNS}
    if stored is not None:
        for f, col in NEEDS_COLUMNS.items():
            if col not in present:
                values[f] = getattr(stored, f)
    return NeedsInput(
        max_monthly_total=needs.max_monthly_total,
        around=stored.around if stored else None,
        places=stored.places if stored else [],
        **values,
    )


def needs_as_input(view: NeedsView) -> NeedsInput:
    def lst(v: Any) -> list[Any]:
        return [] if isinstance(v, Unset) or v is None else list(v)

    return NeedsInput(
        max_monthly_total=view.max_monthly_total,
        housing_allowance_limit=unset_to_none(view.housing_allowance_limit),
        municipalities=lst(view.municipalities), preferred_layouts=lst(view.preferred_layouts),
        min_area_m2=unset_to_none(view.min_area_m2),
        needs_pets=bool(unset_to_none(view.needs_pets)),
        ground_floor_or_elevator=bool(unset_to_none(view.ground_floor_or_elevator)),
        accessibility_musts=lst(view.accessibility_musts), own_words=unset_to_none(view.own_words),
        around=unset_to_none(view.around), places=lst(view.places),
    )


SET_FIELDS = {"categories", "municipalities", "preferred_layouts", "accessibility_musts"}
CLIENT_DEFAULTS: dict[str, Any] = {
    "name_kana": None, "current_place_note": None, "target_move_date": None,
    "responsible_user_id": None, "services": [], "status": "searching",
}
NEEDS_DEFAULTS: dict[str, Any] = {
    "housing_allowance_limit": None, "municipalities": [], "around": None, "places": [],
    "accessibility_musts": [], "min_area_m2": None, "preferred_layouts": [],
    "needs_pets": False, "ground_floor_or_elevator": False, "own_words": None,
}


def canonical(body: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """A body in the form the server stores it (trimmed text, empty text as null, lists
    that are sets sorted, numbers as floats), to tell a real change from none."""
    out = dict(defaults)
    for k, v in body.items():
        if isinstance(v, str):
            v = unicodedata.normalize("NFC", v).strip() or None
        if k in SET_FIELDS and isinstance(v, list):
            v = sorted(set(map(str, v)))
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = round(float(v), 3)
        out[k] = v
    return out


def differs(a: ClientInput | NeedsInput, b: ClientInput | NeedsInput) -> list[str]:
    defaults = CLIENT_DEFAULTS if isinstance(a, ClientInput) else NEEDS_DEFAULTS
    ca, cb = canonical(a.to_dict(), defaults), canonical(b.to_dict(), defaults)
    return sorted(k for k in set(ca) | set(cb) if ca.get(k) != cb.get(k))


# ---------------------------------------------------------------------------------------
# Syncing


@dataclasses.dataclass
class RowResult:
    line: int
    display_code: str
    outcome: str = "変更なし"  # 新規登録 | 更新 | 変更なし | エラー (dry run: …予定)
    changes: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    errors: list[RowError] = dataclasses.field(default_factory=list)
    todo: list[str] = dataclasses.field(default_factory=list)  # for a person, in 住まいリンク
    client_id: uuid.UUID | None = None
    status: ClientStatus | None = None
    has_needs: bool = False
    matches: MatchResult | None = None
    match_note: str | None = None


@dataclasses.dataclass
class Settings:
    dry_run: bool
    corp_org_id: uuid.UUID | None
    match_limit: int


class Syncer:
    def __init__(self, api: Api | None, settings: Settings, log: Callable[[str], None]) -> None:
        self.api = api
        self.settings = settings
        self.log = log
        self.existing: dict[str, ClientSummary] = {}
        # Set once the API refused to record a consent for this caller (it records
        # consents given by a person only, not by an API key): the rest become to-dos.
        self.consent_refused: str | None = None

    def load_existing(self) -> None:
        """Every client of the office (pseudonyms only), by display code."""
        assert self.api is not None
        cursor: str | Unset = UNSET
        while True:
            resp = self.api.call(clients_list, limit=200, cursor=cursor)
            if resp.status_code != 200 or not isinstance(resp.parsed, PageClientSummary):
                raise ConfigError("利用者の一覧を読めません: " + describe(resp))
            for c in resp.parsed.items:
                self.existing[c.display_code] = c
            nxt = unset_to_none(resp.parsed.next_cursor)
            if not nxt:
                return
            cursor = nxt

    def sync_row(self, row: CaseRow, res: RowResult) -> None:
        """Syncs one row into ``res``. A ConfigError (the run cannot go on) marks the row
        as failed and is raised again."""
        if row.errors:
            res.outcome, res.errors = "エラー", list(row.errors)
            return
        if self.api is None:  # --dry-run without an API key: the file alone
            res.outcome = "確認のみ"
            return
        try:
            self._sync(row, res)
        except RowFailed as e:
            res.outcome = "エラー"
            res.errors.extend(e.errors)
        except ConfigError as e:
            res.outcome = "エラー"
            res.errors.append(RowError("-", "", f"ここで中断しました: {e}"))
            raise
        if res.outcome != "エラー" and res.changes:
            res.outcome = res.outcome if res.outcome.startswith("新規登録") else (
                "更新予定" if self.settings.dry_run else "更新")

    def _sync(self, row: CaseRow, res: RowResult) -> None:
        api = self.api
        assert api is not None
        dry = self.settings.dry_run
        summary = self.existing.get(row.display_code)
        view: ClientView | None = None
        if summary is None:
            body = client_body(row, None)
            if dry:
                res.status = cast(ClientStatus, body.status)
                res.outcome = "新規登録予定"
                res.changes.append("利用者情報")
                if row.needs:
                    res.changes.append("希望条件")
                if row.consent_date and self.settings.corp_org_id:
                    res.todo.append(f"居住支援法人への情報提供の同意 ({row.consent_date.isoformat()}) "
                                    "が住まいリンクに未記録です")
                return
            view = self._create(body)
            self.existing[row.display_code] = ClientSummary(
                id=view.id, office_org_id=view.office_org_id, display_code=view.display_code,
                current_place=view.current_place, status=view.status)
            res.outcome = "新規登録"
            res.changes.append("利用者情報")
        else:
            view, etag = self._read(summary.id)
            body = client_body(row, view)
            changed = differs(body, client_as_input(view))
            if changed:
                res.changes.append("利用者情報(" + "・".join(FIELD_COLUMNS.get(f, f) for f in changed) + ")")
                if not dry:
                    view = self._replace(view.id, body, etag)
        res.client_id = view.id
        res.status = cast(ClientStatus, body.status) if dry else view.status
        self._sync_needs(row, res, view.id, created=summary is None)
        self._sync_consent(row, res, view.id)

    def _create(self, body: ClientInput) -> ClientView:
        assert self.api is not None
        key = idempotency_key("clients_create", body.to_dict())
        resp = self.api.call(clients_create, body=body, idempotency_key=key)
        if resp.status_code == 201 and isinstance(resp.parsed, ClientView):
            return resp.parsed
        p = problem_of(resp)
        if resp.status_code == 409 and p is not None and p.type_.endswith("idempotency-outcome-unknown"):
            # The first request was carried out but its answer was lost: look it up.
            self.existing.clear()
            self.load_existing()
            found = self.existing.get(body.display_code)
            if found is not None:
                return self._read(found.id)[0]
        self._raise_for(resp, "利用者の登録")

    def _read(self, client_id: uuid.UUID) -> tuple[ClientView, str]:
        assert self.api is not None
        resp = self.api.call(clients_read, client_id)
        if resp.status_code == 200 and isinstance(resp.parsed, ClientView):
            return resp.parsed, etag_of(resp)
        self._raise_for(resp, "利用者の読み出し")

    def _replace(self, client_id: uuid.UUID, body: ClientInput, etag: str) -> ClientView:
        assert self.api is not None
        for _ in range(2):
            key = idempotency_key("clients_replace", str(client_id), etag, body.to_dict())
            resp = self.api.call(clients_replace, client_id, body=body, if_match=etag, idempotency_key=key)
            if resp.status_code == 200 and isinstance(resp.parsed, ClientView):
                return resp.parsed
            if resp.status_code != 412:
                break
            # Someone changed the client since it was read: read it again and retry once.
            current, etag = self._read(client_id)
            body = client_body_from(body, current)
        self._raise_for(resp, "利用者の更新")

    def _sync_needs(self, row: CaseRow, res: RowResult, client_id: uuid.UUID, created: bool) -> None:
        assert self.api is not None
        current: NeedsView | None = None
        etag: str | None = None
        if not created:
            resp = self.api.call(clients_needs_read, client_id)
            if resp.status_code == 200 and isinstance(resp.parsed, NeedsView):
                current, etag = resp.parsed, etag_of(resp)
            elif resp.status_code != 404:  # 404: no needs recorded yet
                self._raise_for(resp, "希望条件の読み出し")
        res.has_needs = current is not None
        if row.needs is None:
            if current is None:
                res.notes.append("家賃上限が空欄のため希望条件は未登録です (候補は出せません)")
            else:
                res.notes.append("家賃上限が空欄のため希望条件は変更していません")
            return
        body = needs_body(row.needs, current, row.present)
        if current is not None:
            changed = differs(body, needs_as_input(current))
            if not changed:
                return
            label = "希望条件(" + "・".join(FIELD_COLUMNS.get(f, f) for f in changed) + ")"
        else:
            label = "希望条件"
        res.changes.append(label)
        if self.settings.dry_run:
            return
        key = idempotency_key("clients_needs_put", str(client_id), etag, body.to_dict())
        resp = self.api.call(clients_needs_put, client_id, body=body,
                             if_match=etag if etag is not None else UNSET, idempotency_key=key)
        if resp.status_code == 200 and isinstance(resp.parsed, NeedsView):
            res.has_needs = True
            return
        self._raise_for(resp, "希望条件の登録", created_client=created)

    def _sync_consent(self, row: CaseRow, res: RowResult, client_id: uuid.UUID) -> None:
        assert self.api is not None
        corp = self.settings.corp_org_id
        if row.consent_date is None and COL_CONSENT_DATE not in row.present:
            return
        if corp is None:
            if row.consent_date is not None:
                res.notes.append("--corp-org-id がないため同意は記録していません")
            return
        resp = self.api.call(clients_consents_list, client_id)
        if resp.status_code != 200 or not isinstance(resp.parsed, list):
            self._raise_for(resp, "同意の読み出し")
        same = [c for c in cast(list[ConsentView], resp.parsed)
                if c.purpose == ConsentPurpose.SHARE_WITH_CORP and unset_to_none(c.recipient_org_id) == corp]
        active = [c for c in same if c.active]
        if row.consent_date is None:
            if active:
                res.notes.append("同意日は空欄ですが有効な同意が記録されています (撤回は住まいリンクで本人と)")
            return
        if active:
            return
        if any(c.given_on >= row.consent_date for c in same):
            # Withdrawn in 住まいリンク after (or on) the day in the CSV: the person's
            # withdrawal stands; never ask to record the old consent again.
            res.notes.append("この同意は住まいリンクで撤回されています。"
                             "ケース記録の同意日を確かめてください (新しい同意なら新しい日付で)")
            return
        method_ja = "書面" if row.consent_method == ConsentMethod.WRITTEN else "口頭"
        todo = (f"居住支援法人への情報提供の同意 ({row.consent_date.isoformat()}、{method_ja}) を"
                "住まいリンクで記録してください")
        if self.consent_refused is not None:
            res.todo.append(todo)
            return
        if self.settings.dry_run:
            # Whether this caller may record it shows only when it tries (see below).
            res.todo.append(f"居住支援法人への情報提供の同意 ({row.consent_date.isoformat()}、{method_ja}) "
                            "が住まいリンクに未記録です")
            return
        body = NewConsent(
            purpose=ConsentPurpose.SHARE_WITH_CORP, method=row.consent_method,
            given_on=row.consent_date, recipient_org_id=corp,
            note="ケース記録システムから連携 (office-sync)",
        )
        key = idempotency_key("clients_consents_create", str(client_id), body.to_dict())
        resp = self.api.call(clients_consents_create, client_id, body=body, idempotency_key=key)
        if resp.status_code == 403:
            # The API lets only a person (a user of the office) record a consent; the
            # office's staff member records it, with the person, in 住まいリンク.
            self.consent_refused = describe(resp)
            res.todo.append(todo)
            return
        if resp.status_code != 201:
            self._raise_for(resp, "同意の記録")
        res.changes.append("居住支援法人への情報提供の同意")

    def _raise_for(self, resp: Response[Any], what: str, created_client: bool = False) -> NoReturn:
        code = int(resp.status_code)
        if code == 403:
            raise ConfigError(
                f"{what}: 権限がありません (API キーのロールは staff が必要です): {describe(resp)}")
        errors = field_errors(resp, what)
        if code not in (400, 422):
            errors = [RowError(what, e.field, f"{e.message} ({describe(resp)})" if e.field else e.message)
                      for e in errors]
        if created_client:
            errors.append(RowError(what, "", "利用者は登録済みです。直して再実行すると希望条件だけ登録します"))
        raise RowFailed(errors)

    def run_matches(self, res: RowResult) -> None:
        assert self.api is not None
        if res.client_id is None or self.settings.dry_run:
            return
        if res.status != ClientStatus.SEARCHING:
            res.match_note = f"状態が「{STATUS_JA.get(str(res.status), res.status)}」のため候補検索はしていません"
            return
        if not res.has_needs:
            res.match_note = "希望条件が未登録のため候補検索はしていません"
            return
        resp = self.api.call(clients_matches, res.client_id, limit=self.settings.match_limit)
        if resp.status_code == 200 and isinstance(resp.parsed, MatchResult):
            res.matches = resp.parsed
        else:
            res.match_note = "候補検索ができませんでした: " + describe(resp)


def client_body_from(previous: ClientInput, current: ClientView) -> ClientInput:
    """The CSV's values of ``previous`` over a freshly read record (after a 412)."""
    body = client_as_input(current)
    for f in ("display_code", "name", "name_kana", "date_of_birth", "categories", "current_place",
              "current_place_note", "target_move_date", "status"):
        setattr(body, f, getattr(previous, f))
    return body


# ---------------------------------------------------------------------------------------
# The summary (Markdown, Japanese)

STATUS_JA = {"searching": "住まい探し中", "housed": "入居済み", "closed": "終結"}
PART_JA = {"distance": "距離", "budget": "予算", "area": "広さ", "layout": "間取り",
           "step_free": "段差・階", "landlord_conditions": "家主の条件", "support": "見守り・保証"}


def yen(n: int) -> str:
    return f"{n:,}円"


def md(s: str) -> str:
    """Text from the API or the CSV made safe for a Markdown table cell or list item."""
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def rental_label(r: Any) -> str:
    name = unset_to_none(r.building_name) or "(建物名なし)"
    return f"{name} {r.unit_number}号室"


def write_summary(path: Path, results: list[RowResult], meta: dict[str, str], aborted: str | None) -> None:
    # 要配慮個人情報: the summary names clients only by 利用者番号 (display_code). Never add
    # the name, フリガナ, date of birth or the person's own words here: the file is read
    # at the office, printed, mailed and kept where client records are not.
    counts = {k: 0 for k in ("新規登録", "更新", "変更なし", "エラー")}
    for r in results:
        counts[r.outcome if r.outcome in counts else "エラー" if r.errors else "変更なし"] += 1
    out: list[str] = [
        "<!-- 要配慮個人情報を含む事業所内の記録です。利用者は利用者番号でのみ示しています。 -->",
        f"# 住まいリンク 利用者同期の結果 ({md(meta['office'])})",
        "",
        f"- 実行日時: {meta['run_at']}",
        f"- 入力: {md(meta['csv'])} ({meta['encoding']}、{meta['rows']} 行)",
        f"- 接続先: {md(meta['base_url'])}",
    ]
    if meta.get("ignored"):
        out.append(f"- 使わなかった列 (送信していません): {md(meta['ignored'])}")
    if meta.get("note"):
        out.append(f"- {md(meta['note'])}")
    if aborted:
        out += ["", f"**途中で止まりました: {md(aborted)}** 以下はそこまでの結果です。"]
    out += ["", "## 件数", "", "| 新規登録 | 更新 | 変更なし | エラー |", "|---:|---:|---:|---:|",
            f"| {counts['新規登録']} | {counts['更新']} | {counts['変更なし']} | {counts['エラー']} |",
            "", "## 利用者ごとの結果", ""]
    for r in results:
        out.append(f"### {md(r.display_code)} ({r.line} 行目)")
        out.append("")
        what = f"{r.outcome}: " + "、".join(r.changes) if r.changes and r.outcome != "エラー" else r.outcome
        out.append(f"- 同期: {md(what)}")
        if r.status is not None:
            out.append(f"- 状態: {STATUS_JA.get(str(r.status), str(r.status))}")
        for note in r.notes:
            out.append(f"- メモ: {md(note)}")
        for todo in r.todo:
            out.append(f"- 要対応: {md(todo)}")
        if r.errors:
            out.append("- エラー: 下の「エラー」の表を見てください")
        if r.match_note:
            out.append(f"- 候補: {md(r.match_note)}")
        m = r.matches
        if m is not None:
            out.append(f"- 候補件数: {len(m.matches)} 件 (多くて {meta['limit']} 件まで、"
                       f"調べた物件 {m.candidates} 件)")
            out.append("")
            for i, match in enumerate(m.matches, 1):
                out += match_lines(i, match)
            if m.near_misses:
                out += ["", "惜しい物件 (条件をわずかに外れるもの):", ""]
                for nm in m.near_misses[:3]:
                    out.append(f"- {md(rental_label(nm.rental))} 家賃＋共益費 {yen(nm.rental.monthly_total)}: "
                               + md("、".join(nm.reasons)))
        out.append("")
    todos = [(r, t) for r in results for t in r.todo]
    if todos:
        out += ["## 要対応 (住まいリンクで担当者が行うこと)", ""]
        if meta.get("consent_refused"):
            out += [("同意は本人から受けた担当者が記録します。住まいリンクは API キーからの同意の記録を"
                     f"受け付けませんでした ({md(meta['consent_refused'])})。"), ""]
        out += ["| 利用者番号 | 内容 |", "|---|---|"]
        out += [f"| {md(r.display_code)} | {md(t)} |" for r, t in todos]
        out.append("")
    out += ["## エラー", ""]
    errors = [(r, e) for r in results for e in r.errors]
    if not errors:
        out.append("エラーはありません。")
    else:
        out += ["| 行 | 利用者番号 | 項目 | API の項目 | 内容 |", "|---:|---|---|---|---|"]
        for r, e in errors:
            out.append(f"| {r.line} | {md(r.display_code)} | {md(e.column)} | {md(e.field) or '-'} | {md(e.message)} |")
    out += ["", "候補は住まいリンクの提案です。決めるのは本人です。", ""]
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(out))
    os.replace(tmp, path)


def match_lines(i: int, match: Match) -> list[str]:
    r = match.rental
    lines = [
        (f"{i}. **{md(rental_label(r))}** ({md(r.municipality_name)}、{md(r.layout)}、{r.floor_area_m2:g}㎡) "
         f"家賃＋共益費 {yen(r.monthly_total)} (家賃 {yen(r.rent)} + 共益費 {yen(r.common_fee)})"
         f" — スコア {match.score:.1f}"),
    ]
    for p in match.parts:
        lines.append(f"   - {PART_JA.get(p.part, p.part)} {p.points:.1f}/{p.max_:g}: {md(p.reason)}")
    return lines


# ---------------------------------------------------------------------------------------
# Command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="相談支援事業所のケース記録 CSV から住まいリンクへ利用者を同期し、候補物件の要約を書きます。"
                    " (Sync a support office's clients from a CSV export into sumai-link.)",
        epilog="API キーは環境変数 SUMAI_API_KEY (または SUMAI_API_KEY_FILE が指すファイル) から読みます。"
               " 終了コード: 0 全行同期、1 一部の行がエラー、2 設定・接続の問題。",
    )
    p.add_argument("csv", type=Path, help="ケース記録システムから書き出した CSV")
    p.add_argument("--base-url", default=os.environ.get("SUMAI_BASE_URL"),
                   help="住まいリンクの URL (既定: 環境変数 SUMAI_BASE_URL)")
    p.add_argument("--encoding", default="auto",
                   help="CSV の文字コード: auto (既定: BOM、UTF-8、Shift_JIS の順に判定)、utf-8、cp932 など")
    p.add_argument("--corp-org-id", type=uuid.UUID, default=None, metavar="UUID",
                   help="情報提供の同意の相手 (居住支援法人) の組織 ID。省略すると同意は記録しません")
    p.add_argument("--summary", type=Path, default=Path("summary.md"),
                   help="要約 (Markdown) の出力先 (既定: summary.md)")
    p.add_argument("--limit", type=int, default=5, help="利用者ごとに出す候補の数、1-200 (既定: 5)")
    p.add_argument("--dry-run", action="store_true",
                   help="書き込まずに、何が変わるかだけを表示します (読み出しはします)")
    p.add_argument("--timeout", type=float, default=30.0, help="1 リクエストのタイムアウト秒 (既定: 30)")
    args = p.parse_args(argv)
    if not 1 <= args.limit <= 200:
        p.error("--limit は 1 から 200 です")
    return args


def api_key_from_env() -> str | None:
    key = os.environ.get("SUMAI_API_KEY", "").strip()
    if key:
        return key
    path = os.environ.get("SUMAI_API_KEY_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip() or None
        except OSError as e:
            raise ConfigError(f"SUMAI_API_KEY_FILE を読めません: {path}: {e.strerror}") from e
    return None


def check_base_url(url: str | None) -> str:
    if not url:
        raise ConfigError("--base-url か環境変数 SUMAI_BASE_URL で住まいリンクの URL を指定してください")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"URL が正しくありません: {url}")
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        # The rows are 要配慮個人情報: never send them unencrypted over a network.
        raise ConfigError("http:// は手元の試験用 (localhost) だけです。https:// の URL を指定してください")
    return url.rstrip("/")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    log = print
    started = dt.datetime.now(JST)
    api: Api | None = None
    try:
        key = api_key_from_env()
        if key is None and not args.dry_run:
            raise ConfigError("環境変数 SUMAI_API_KEY (または SUMAI_API_KEY_FILE) に API キーを設定してください")
        base_url = check_base_url(args.base_url) if key else (args.base_url or "(未接続)")
        data = read_csv(args.csv, args.encoding)
        if not args.dry_run and not args.summary.parent.is_dir():
            raise ConfigError(f"要約の出力先のフォルダがありません: {args.summary.parent}")
    except ConfigError as e:
        print(f"エラー: {e}", file=sys.stderr)
        return EXIT_CONFIG
    log(f"{args.csv}: {data.encoding}、{len(data.rows)} 行")
    if data.ignored:
        log("使わない列 (送信しません): " + "、".join(data.ignored))
    rows = [parse_row(line, cells) for line, cells in data.rows]
    seen: dict[str, int] = {}
    for row in rows:
        if row.display_code and row.display_code in seen:
            row.fail(COL_CODE, "display_code", f"{seen[row.display_code]} 行目と同じ利用者番号です")
        seen.setdefault(row.display_code, row.line)

    meta = {
        "run_at": started.strftime("%Y-%m-%d %H:%M (JST)"), "csv": args.csv.name,
        "encoding": data.encoding, "base_url": base_url, "office": "",
        "ignored": "、".join(data.ignored), "rows": str(len(rows)), "limit": str(args.limit),
    }
    results: list[RowResult] = []
    aborted: str | None = None
    syncer: Syncer | None = None
    try:
        if key:
            api = Api(base_url, key, timeout=args.timeout, log=log)
            me = api.call(me_read)
            if me.status_code != 200 or not isinstance(me.parsed, Me):
                raise ConfigError("/me を読めません: " + describe(me))
            meta["office"] = me.parsed.organization_name
            if str(me.parsed.organization_kind) != "support_office":
                raise ConfigError("この API キーは相談支援事業所のものではありません")
            if args.corp_org_id is None:
                meta["note"] = "--corp-org-id がないため、居住支援法人への情報提供の同意は記録していません"
                hint = partner_hint(api, me.parsed.organization_id)
                if hint:
                    meta["note"] += f" (事業所の連携先: {hint})"
        syncer = Syncer(api, Settings(args.dry_run, args.corp_org_id, args.limit), log)
        if api is not None:
            syncer.load_existing()
        for row in rows:
            res = RowResult(line=row.line, display_code=row.display_code or "(空欄)")
            results.append(res)
            syncer.sync_row(row, res)
            log(f"{res.line:>4} 行目 {res.display_code}: {res.outcome}"
                + (" (" + "、".join(res.changes) + ")" if res.changes else "")
                + "".join(f"\n       {e.column} [{e.field or '-'}]: {e.message}" for e in res.errors)
                + "".join(f"\n       要対応: {t}" for t in res.todo)
                + "".join(f"\n       メモ: {n}" for n in res.notes))
        if api is not None and not args.dry_run:
            for res in results:
                if res.outcome != "エラー":
                    syncer.run_matches(res)
    except ConfigError as e:
        aborted = str(e)
        print(f"エラー: {e}", file=sys.stderr)
    finally:
        if api is not None:
            api.close()
    if syncer is not None and syncer.consent_refused:
        meta["consent_refused"] = syncer.consent_refused
    if args.dry_run:
        log("--dry-run: 何も書き込んでいません。")
        if key is None:
            log("API キーがないため、ファイルの確認だけをしました。")
    elif api is not None or results:
        meta["office"] = meta["office"] or "事業所"
        try:
            write_summary(args.summary, results, meta, aborted)
            log(f"要約: {args.summary}")
        except OSError as e:
            print(f"エラー: 要約を書けません: {args.summary}: {e.strerror}", file=sys.stderr)
            return EXIT_CONFIG
    failed = sum(1 for r in results if r.outcome == "エラー")
    log(f"新規登録 {sum(r.outcome.startswith('新規登録') for r in results)}、"
        f"更新 {sum(r.outcome.startswith('更新') for r in results)}、"
        f"変更なし {sum(r.outcome == '変更なし' for r in results)}、エラー {failed}"
        + (f"、確認のみ {checked}" if (checked := sum(r.outcome == '確認のみ' for r in results)) else ""))
    if aborted:
        return EXIT_CONFIG
    return EXIT_ROWS_FAILED if failed else EXIT_OK


def partner_hint(api: Api, office_id: uuid.UUID) -> str | None:
    """The office's partner from its set-up (offices_read_setup), to suggest for
    --corp-org-id; None when there is none or the key may not read it."""
    resp = api.call(offices_read_setup, office_id)
    if (resp.status_code == 200 and isinstance(resp.parsed, SetupView)
            and str(resp.parsed.partner_kind) == "housing_support_corp"):
        return str(resp.parsed.partner_org_id)
    return None


if __name__ == "__main__":
    sys.exit(main())
