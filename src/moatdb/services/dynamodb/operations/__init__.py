"""DynamoDB's operations, one module per family: tables, items, reads, batches, the account."""
