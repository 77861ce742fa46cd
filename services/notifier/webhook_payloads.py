"""The bodies of the notifier's signed webhooks, one schema per notice kind (issue 16.4).

A webhook carries what a notice carries (``addressing._message``): the notice kind, the event it
answers to, the thread, the organisation told, the facts as registered and the link back to the
item. The facts are the keys the notice texts label (``templates.LABELS``), each described by its
label, and the two no text labels (``UNLABELLED``); the schema is closed, so a fact outside
those fails the documented schema (tests/notifier/test_webhook_payloads.py). No address, secret or
notice text is ever in a body.

``install`` documents them as the OpenAPI 3.1 ``webhooks`` of the notifier's document, so an
integrator generates the receiving side's models as it generates the client.
"""

from functools import cache
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, create_model

from services.notifier.domain import Topic
from services.notifier.templates import LABELS, SUBJECTS

TOPICS = "|".join(topic.value for topic in Topic)
_FACT_EXAMPLES: dict[str, Any] = {
    "breach_id": "5f0c6a1e-9a53-4d2c-8c55-3f1c2b7d9e10",
    "agreement_id": "0b6f2a4e-7c1d-4f3a-9e8b-2d5c6a7b8c9d",
    "authority_deadline": "2026-12-09T14:30:00+00:00",
}


# Facts a notice carries that its text does not label (a reminder keeps its event's id; a
# renewal of recovery codes says how many).
UNLABELLED = {
    "event_id": "A reminder's facts: the id of the event that opened the clock.",
    "count": "How many recovery codes were issued.",
}


def _fact_description(key: str) -> str:
    if key in UNLABELLED:
        return UNLABELLED[key]
    return f"The registered {LABELS[key]} (`{key}`), as in the notice's text."


NoticeFacts: type[BaseModel] = create_model(
    "NoticeFacts",
    __config__=ConfigDict(extra="forbid"),
    **{  # type: ignore[call-overload]
        key: (Any, Field(default=None, description=_fact_description(key)))
        for key in sorted({*LABELS, *UNLABELLED})
    },
)
NoticeFacts.__doc__ = (
    "The facts of the event as registered, by key; which keys appear depends on the notice "
    "kind and on what was registered (absent when unknown)."
)


def notice_kinds() -> list[str]:
    """Every notice the notifier sends (each has its subject line in nl, fr and en)."""
    return sorted(SUBJECTS)


def _camel(notice: str) -> str:
    return "".join(part.title() for part in notice.split("_"))


@cache
def webhook_model(notice: str) -> type[BaseModel]:
    """The body of the webhook of one notice kind, as ``addressing._message`` writes it."""
    data = create_model(
        f"{_camel(notice)}WebhookData",
        __config__=ConfigDict(extra="forbid"),
        notice=(  # type: ignore[arg-type]
            Literal[notice],
            Field(description="The notice kind: what happened, for whom the texts are written."),
        ),
        event_id=(
            str,
            Field(description="The id of the event the notice answers to (the audit trail's)."),
        ),
        thread_id=(
            str | None,
            Field(
                description="The breach, subprocessor change or agreement the notice belongs "
                "to; acknowledgements and reminders follow it."
            ),
        ),
        organisation_id=(str, Field(description="The organisation the notice is for.")),
        facts=(NoticeFacts, Field(description="The facts as registered.")),
        link=(str, Field(description="The console page of the item (absolute URL).")),
    )
    body = create_model(
        f"{_camel(notice)}Webhook",
        __config__=ConfigDict(extra="forbid"),
        type=(
            str,
            Field(
                pattern=rf"^pactum\.({TOPICS})\.{notice}$",
                description="`pactum.<topic>.<notice>`: the topic the endpoint subscribed to "
                "and the notice kind.",
                examples=[f"pactum.{_example_topic(notice)}.{notice}"],
            ),
        ),
        timestamp=(
            str | None,
            Field(description="When the event happened (ISO 8601 with its UTC offset)."),
        ),
        data=(data, Field(description="The notice.")),
    )
    body.__doc__ = (
        f"The `{notice}` notice, posted to every enabled endpoint subscribed to its topic and "
        "signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`)."
    )
    body.model_config["json_schema_extra"] = {"examples": [_example(notice)]}
    return body


SECURITY_NOTICES = {"account_locked", "mfa_changed", "password_changed", "new_sign_in"}


def _example_topic(notice: str) -> str:
    """The topic an example names (the sender's plans decide the real one)."""
    for topic in (Topic.breach, Topic.subprocessor):
        if notice.startswith(topic.value):
            return topic.value
    if notice in SECURITY_NOTICES or notice.startswith(("grant_", "maintenance", "endpoint")):
        return Topic.security.value
    return Topic.agreement.value


def _example(notice: str) -> dict[str, Any]:
    return {
        "type": f"pactum.{_example_topic(notice)}.{notice}",
        "timestamp": "2026-12-07T09:30:00+00:00",
        "data": {
            "notice": notice,
            "event_id": "6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "thread_id": _FACT_EXAMPLES["breach_id"],
            "organisation_id": "2c9e8d7f-6a5b-4c3d-9e1f-0a1b2c3d4e5f",
            "facts": {"breach_id": _FACT_EXAMPLES["breach_id"]},
            "link": f"https://pactum.example/breaches/{_FACT_EXAMPLES['breach_id']}",
        },
    }


def install(app: FastAPI) -> None:
    """Document one webhook per notice kind in ``app``'s OpenAPI document."""
    for notice in notice_kinds():
        model = webhook_model(notice)

        async def receive(body: model) -> None:  # type: ignore[valid-type]
            """What the receiver gets; any 2xx answer acknowledges the delivery."""

        app.webhooks.add_api_route(
            notice,
            receive,
            methods=["POST"],
            operation_id=f"receive_{notice}",
            summary=f"The {notice.replace('_', ' ')} notice",
            description=model.__doc__,
            status_code=204,
        )
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        for operations in document.get("webhooks", {}).values():
            for operation in operations.values():
                operation["responses"] = {
                    "2XX": {"description": "Received: the delivery counts as delivered."},
                    "default": {
                        "description": "Not received: the delivery is retried with growing "
                        "back-off for about 27 hours, then the endpoint is disabled."
                    },
                }
        return document

    app.openapi = openapi  # type: ignore[method-assign]
