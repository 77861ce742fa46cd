"""The metrics tests reuse the identity and notifier test drivers and their fixtures."""

from tests.identity.conftest import identity, identity_platform, services
from tests.notifier.conftest import mail_sink, notifier, receiver

__all__ = ["identity", "identity_platform", "mail_sink", "notifier", "receiver", "services"]
