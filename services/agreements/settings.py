"""The agreements service's settings (``PACTUM_AGREEMENTS_*``), on top of every service's."""

from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings


class AgreementsSettings(ServiceSettings):
    service: ClassVar[str] = "agreements"

    deadline_sweep_seconds: float = Field(
        default=60.0, gt=0, description="How often passed deadlines and retention are applied."
    )
    staff_retention_days: int = Field(
        default=365, ge=1, description="Days a removed staff member's name is kept (TOM-T1)."
    )
    breach_contact_retention_days: int = Field(
        default=1825, ge=1, description="Days a breach report's contact point is kept (TOM-T1)."
    )
    record_retention_days: int = Field(
        default=1825,
        ge=1,
        description="Days a data subject's request or an assistance request keeps its free text "
        "after it ended when none of its Annex 1 categories gives a period in days (TOM-T1).",
    )
    subject_request_working_days: int = Field(
        default=5,
        ge=1,
        le=30,
        description="Working days the processor has to assist with a data subject's request "
        "forwarded to the controller (DPA-15).",
    )
    closure_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Days after termination within which the data must be returned or destroyed "
        "and the processor must attest it (DPA-13); past them the agreement is raised as overdue.",
    )
    closure_reminder_days: int = Field(
        default=7,
        ge=0,
        le=60,
        description="Days before the return-or-destruction deadline both parties are reminded.",
    )
