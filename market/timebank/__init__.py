"""The time bank: volunteer hours recorded, confirmed, stored and spent, on the ledger (TIME)."""
