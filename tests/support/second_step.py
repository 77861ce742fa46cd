"""Finishing a login whose organisation requires a second factor, as a person with an
authenticator app does: set one up when asked to, or type its current code."""

from typing import Any

import httpx

from services.identity.totp import code_at, current_step


async def finish_login(
    client: httpx.AsyncClient, answer: dict[str, Any], secrets: dict[str, str], email: str
) -> dict[str, Any]:
    """The tokens of a login that answered ``answer``; ``secrets`` keeps each address's TOTP
    secret between logins (a later login's code uses the same app)."""
    if "access_token" in answer:
        return answer
    challenge = answer["challenge"]
    if answer["next"] == "enrol_second_factor":
        started = await client.post("/login/enrolment", json={"challenge": challenge})
        assert started.status_code == 200, started.text
        secrets[email] = started.json()["secret"]
        done = await client.post(
            "/login/enrolment",
            json={"challenge": challenge, "code": code_at(secrets[email], current_step())},
        )
    else:
        step = current_step() + 1  # a code not used yet by the enrolment (codes are single-use)
        done = await client.post(
            "/login/second-factor",
            json={"challenge": challenge, "code": code_at(secrets[email], step)},
        )
    assert done.status_code == 200, done.text
    tokens: dict[str, Any] = done.json()
    return tokens
