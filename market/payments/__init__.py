"""Payments: providers (offline, stripe), payment records and refunds."""
