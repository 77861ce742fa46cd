"""Real components for the tests: a nats-server, databases, the four services, tokens."""
