"""Taking a world to AWS and back: ``export`` writes it as policy files, CloudFormation templates and
Terraform configurations; ``deploy`` applies it to an organization with boto3, plan first; ``importer``
reads an organization into a world file (docs/export-deploy-import.md).

What AWS does not let a caller choose (account, VPC and endpoint ids, OU and policy ids) is matched:
accounts and VPCs must exist, the rest is found by name or by the tag deploy leaves on what it creates.
"""

# What ``moatdb export`` writes, each in a directory of its name.
FORMATS = ("policies", "cloudformation", "terraform")
