"""The demo tenants of the seed contract, shared by each service's demo seed (``make run``).

UTOPIA is the controller ("het bestuur"), iBeauty BVBA the processor, and pactum operations the
operator hosting the platform. Fixed ids let every service seed its part of the same story.
"""

UTOPIA_ID = "0f6a1c2e-7d3b-4e59-8a41-5c2d9e7b1a01"
IBEAUTY_ID = "1b7e2d3f-8c4a-4f6a-9b52-6d3e0f8c2b02"
OPERATOR_ID = "2c8f3e40-9d5b-4a7b-8c63-7e4f1a9d3c03"

ORGANISATIONS = {
    UTOPIA_ID: ("UTOPIA", "controller"),
    IBEAUTY_ID: ("iBeauty BVBA", "processor"),
    OPERATOR_ID: ("pactum operations", "operator"),
}
