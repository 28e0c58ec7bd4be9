"""The care-fund ledger: double-entry postings, allocation, an RFC 6962 Merkle log.

`service.post()` writes one balanced entry; `entries.py` holds every kind the market posts;
`receivers.py` connects the ledger to the money path's news (market/hooks.py).
"""
