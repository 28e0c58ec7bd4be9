"""The staff room calendar (being written)."""
