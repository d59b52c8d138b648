"""Storage: an ordered key-value store with transactions, behind one narrow interface."""
