"""DynamoDB: tables, items, expressions, as the DynamoDB API Reference defines them."""
