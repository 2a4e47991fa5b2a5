"""A support office's main flow through the API with the Python client generated from
openapi.yaml (openapi-python-client; .ci/api-clients.sh generates and installs it):
log in, register a client with needs and a consent, rank rentals, propose the best one
(an inquiry), and read the office's compliance of the month. Every answer is parsed into
the generated models, so a change of the document that breaks the client fails here.

    python tests/clients/flow.py --base-url http://127.0.0.1:8080
"""

from __future__ import annotations

import argparse
import datetime
import sys
import uuid
from http import HTTPStatus
from typing import TypeVar

from sumai_link_client import AuthenticatedClient, Client
from sumai_link_client.api.auth import auth_token
from sumai_link_client.api.clients import (
    clients_consents_create,
    clients_create,
    clients_matches,
    clients_needs_put,
    clients_read,
    clients_replace,
)
from sumai_link_client.api.inquiries import inquiries_create, inquiries_read
from sumai_link_client.api.me import me_read
from sumai_link_client.api.offices import offices_compliance
from sumai_link_client.models import (
    Area,
    Category,
    ClientInput,
    ClientView,
    ConsentMethod,
    ConsentPurpose,
    ConsentView,
    CurrentPlace,
    InquiryStatus,
    InquiryView,
    MatchResult,
    Me,
    NeedsInput,
    NeedsView,
    NewConsent,
    NewInquiry,
    OfficeCompliance,
    PlaceInput,
    PlaceKind,
    Problem,
    TokenRequestPassword,
    TokenRequestPasswordGrantType,
    TokenResponse,
)
from sumai_link_client.types import Response

T = TypeVar("T")
TOKYO = datetime.timezone(datetime.timedelta(hours=9))


def ok(response: Response[T | Problem], status: HTTPStatus, what: str) -> T:
    """The parsed body of a successful answer, or a failure naming the problem."""
    parsed = response.parsed
    if response.status_code != status or isinstance(parsed, Problem) or parsed is None:
        detail = parsed.detail if isinstance(parsed, Problem) else response.content[:300]
        sys.exit(f"FAIL {what}: {response.status_code} {detail!r}")
    print(f"ok   {what}")
    return parsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--password", default="demo-pass-2026")
    args = parser.parse_args()
    today = datetime.datetime.now(TOKYO).date()

    anonymous = Client(base_url=args.base_url, raise_on_unexpected_status=True)
    login = TokenRequestPassword(
        grant_type=TokenRequestPasswordGrantType.PASSWORD,
        email="office-staff@demo.example",
        password=args.password,
    )
    tokens = ok(auth_token.sync_detailed(client=anonymous, body=login), HTTPStatus.OK, "auth_token")
    assert isinstance(tokens, TokenResponse) and tokens.token_type == "Bearer"
    api = AuthenticatedClient(base_url=args.base_url, token=tokens.access_token, raise_on_unexpected_status=True)

    me = ok(me_read.sync_detailed(client=api), HTTPStatus.OK, "me_read")
    assert isinstance(me, Me) and me.organization_kind.value == "support_office"

    code = f"PY-{uuid.uuid4().hex[:6].upper()}"
    record = ClientInput(
        display_code=code,
        name="試験 一郎",
        name_kana="シケン イチロウ",
        date_of_birth=datetime.date(1975, 9, 1),
        categories=[Category.DISABILITY_MENTAL],
        current_place=CurrentPlace.HOSPITAL,
        current_place_note="精神科病院に入院中、退院予定",
        target_move_date=today + datetime.timedelta(days=60),
    )
    key = str(uuid.uuid4())
    created = ok(
        clients_create.sync_detailed(client=api, body=record, idempotency_key=key),
        HTTPStatus.CREATED,
        "clients_create",
    )
    assert isinstance(created, ClientView) and created.display_code == code
    # The same request again with its key: the first answer, not a second client.
    again = ok(
        clients_create.sync_detailed(client=api, body=record, idempotency_key=key),
        HTTPStatus.CREATED,
        "clients_create replayed with its Idempotency-Key",
    )
    assert isinstance(again, ClientView) and again.id == created.id

    # PUT replaces the whole record; If-Match carries the ETag read.
    read = clients_read.sync_detailed(created.id, client=api)
    etag = read.headers["etag"]
    record.current_place_note = "退院日が決まった"
    replaced = ok(
        clients_replace.sync_detailed(created.id, client=api, body=record, if_match=etag),
        HTTPStatus.OK,
        "clients_replace",
    )
    assert isinstance(replaced, ClientView) and replaced.current_place_note == "退院日が決まった"
    assert "deprecation" not in read.headers

    needs = NeedsInput(
        max_monthly_total=80000,
        around=Area(lat=43.0621, lon=141.3544, radius_m=3000),
        places=[PlaceInput(kind=PlaceKind.CLINIC, name="さっぽろ駅前クリニック", lat=43.068, lon=141.35, weight=5)],
        min_area_m2=20.0,
        preferred_layouts=["1K", "1DK"],
        needs_pets=False,
        ground_floor_or_elevator=False,
        own_words="病院の近くで、静かなところに一人で住みたい。",
    )
    stored = ok(clients_needs_put.sync_detailed(created.id, client=api, body=needs), HTTPStatus.OK, "clients_needs_put")
    assert isinstance(stored, NeedsView) and stored.max_monthly_total == 80000

    result = ok(clients_matches.sync_detailed(created.id, client=api, limit=5), HTTPStatus.OK, "clients_matches")
    assert isinstance(result, MatchResult)
    if not result.matches:
        sys.exit(f"FAIL the demo register gave no match ({result.candidates} candidates)")
    best = result.matches[0]
    print(f"     {len(result.matches)} matches of {result.candidates} candidates; best score {best.score:.0f}")
    assert all(p.reason for p in best.parts), "every part of a score says why"

    consent = NewConsent(
        purpose=ConsentPurpose.SHARE_WITH_LANDLORD,
        method=ConsentMethod.WRITTEN,
        given_on=today,
        recipient_org_id=best.rental.owner_org_id,
        note="物件の問い合わせに必要な範囲で家主に提供することに同意",
    )
    given = ok(
        clients_consents_create.sync_detailed(created.id, client=api, body=consent),
        HTTPStatus.CREATED,
        "clients_consents_create",
    )
    assert isinstance(given, ConsentView) and given.purpose == ConsentPurpose.SHARE_WITH_LANDLORD

    inquiry = ok(
        inquiries_create.sync_detailed(
            client=api,
            body=NewInquiry(client_id=created.id, rental_id=best.rental.id, note="見守りは居住支援法人が週1回訪問します。"),
            idempotency_key=str(uuid.uuid4()),
        ),
        HTTPStatus.CREATED,
        "inquiries_create",
    )
    assert isinstance(inquiry, InquiryView) and inquiry.status == InquiryStatus.PROPOSED
    back = ok(inquiries_read.sync_detailed(inquiry.id, client=api), HTTPStatus.OK, "inquiries_read")
    assert isinstance(back, InquiryView) and back.rental_id == best.rental.id

    month = today.strftime("%Y-%m")
    compliance = ok(
        offices_compliance.sync_detailed(me.organization_id, client=api, from_=month, to=month),
        HTTPStatus.OK,
        "offices_compliance",
    )
    assert isinstance(compliance, OfficeCompliance) and [m.month for m in compliance.months] == [month]
    status = compliance.months[0].status
    print(f"     {month}: {status.status.value}")
    print("python client flow: all steps passed")


if __name__ == "__main__":
    main()
