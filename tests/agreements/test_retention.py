"""Retention (TOM-T1): personal data this service holds is pseudonymised once its retention has
passed, with one event per action, and only once."""

from datetime import UTC, date, datetime, timedelta
from functools import partial

from services.agreements import sweep
from tests.agreements.contract import Parties
from tests.support.platform import Platform, eventually


async def test_removed_staff_names_are_pseudonymised_after_retention__TOM_T1(
    parties: Parties, platform: Platform
) -> None:
    agreement_id = await parties.active()
    url = f"/agreements/{agreement_id}/staff"
    member = {
        "name": "Jan Peeters",
        "function": "developer",
        "confidentiality_signed_on": date.today().isoformat(),
        "gdpr_briefed": True,
    }
    kept = await parties.client.post(url, json=member, headers=parties.processor_admin())
    gone = await parties.client.post(
        url, json=member | {"name": "An Janssens"}, headers=parties.processor_admin()
    )
    await parties.client.post(
        f"{url}/{gone.json()['id']}/removal", headers=parties.processor_admin()
    )
    runtime = platform.runtime("agreements")
    soon = datetime.now(UTC) + timedelta(days=364)
    assert (await sweep.apply_due(runtime, now=soon))["staff_retention"] == 0
    later = datetime.now(UTC) + timedelta(days=366)
    assert (await sweep.apply_due(runtime, now=later))["staff_retention"] == 1
    assert (await sweep.apply_due(runtime, now=later))["staff_retention"] == 0

    names = {
        m["id"]: m["name"]
        for m in (await parties.client.get(url, headers=parties.controller_admin())).json()["items"]
    }
    assert names[kept.json()["id"]] == "Jan Peeters"
    assert names[gone.json()["id"]].startswith("pseudonym-")
    [entry] = await eventually(
        partial(
            platform.audit_entries,
            organisation_id=parties.controller,
            event_type="dpa.agreements.retention.expired.v1",
        )
    )
    assert entry.subject == agreement_id
    assert entry.actor_type == "system"


async def test_breach_contact_points_are_deleted_after_retention__TOM_T1(parties: Parties) -> None:
    await parties.active()
    reported = await parties.client.post(
        "/breaches",
        json={
            "aware_at": datetime.now(UTC).isoformat(),
            "nature": "misdirected e-mail",
            "data_categories": ["contact data"],
            "data_subject_categories": ["citizens"],
            "approx_data_subjects": 1,
            "approx_records": 1,
            "consequences": "low",
            "measures": "recalled",
            "contact_point": "Michel Smekens",
        },
        headers=parties.processor_admin(),
    )
    later = datetime.now(UTC) + timedelta(days=1826)
    runtime = parties.platform.runtime("agreements")
    assert (await sweep.apply_due(runtime, now=later))["breach_contact_retention"] == 1
    assert (await sweep.apply_due(runtime, now=later))["breach_contact_retention"] == 0
    read = await parties.client.get(
        f"/breaches/{reported.json()['id']}", headers=parties.controller_admin()
    )
    assert read.json()["contact_point"] is None
