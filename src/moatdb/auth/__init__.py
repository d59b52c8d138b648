"""Identity: who sent a request. Today the credential scope is read; SigV4 verification comes next."""
