"""The benchmark's throw-away nats-server: the same one the tests start (``deploy.natsserver``)."""

from deploy.natsserver import NatsServer, free_port, nats_server_binary, nats_server_version

__all__ = ["NatsServer", "free_port", "nats_server_binary", "nats_server_version"]
