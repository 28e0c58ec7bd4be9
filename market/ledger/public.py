"""What every fund and ledger page shows about the log: its public key, and a loud alarm when
today's log does not extend a head a witness co-signed."""

from market.ledger import log, signing


def ledger_public_key() -> str:
    return signing.public_key_hex()


def ledger_alarm() -> list:
    return log.witnessed_conflicts()
