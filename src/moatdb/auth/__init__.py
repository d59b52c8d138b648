"""Identity: who sent a request (SigV4 verification against the principals kept in storage)."""
