"""AWS STS: who am I, and temporary credentials (AssumeRole arrives with the policy engine)."""
