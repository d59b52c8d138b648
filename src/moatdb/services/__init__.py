"""AWS services: each maps its operations to IAM actions and resources, then executes them."""
