"""What every pactum service needs and nothing domain-specific."""
