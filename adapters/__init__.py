"""Domain adapters built on sqlbatch."""
