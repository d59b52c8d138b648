"""DynamoDB's PartiQL: the statements, parsed with DynamoDB's error messages (``parser``), their
literals and parameters as AttributeValues (``literals``), each statement as the native request
that does its work (``plan``), and what it must be authorized for (``access``). Pure: no storage,
no operations; ``operations/partiql.py`` runs the plans.
"""
