"""AWS Organizations' API (JSON 1.1, ``AWSOrganizationsV20161128.*``) over the organization that
``moatdb.auth.organization`` keeps: its root, OUs, accounts, SCPs and RCPs."""
