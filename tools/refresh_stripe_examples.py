#!/usr/bin/env python3
"""Vendor Stripe's published example objects for the fake Stripe (tests/stripe_fake.py).

    python3 tools/refresh_stripe_examples.py <clone of github.com/stripe/openapi> [<commit>]

Stripe publishes one example of every API object in `openapi/fixtures3.json` of its OpenAPI
repository (the objects stripe-mock answers with). This copies the examples of the objects the
market handles into tests/data/stripe_examples.json, with the commit they came from, so the tests
never download anything. Run it when stripe-python and the pinned API version move; the fake fits
each example to the pinned version's fields (tests/stripe_schema.py), and
tests/payments/test_stripe_examples.py says what the fitting had to change.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

OBJECTS = ("checkout.session", "payment_intent", "charge", "refund", "dispute", "balance_transaction",
           "webhook_endpoint", "event")
TARGET = Path(__file__).resolve().parent.parent / "tests" / "data" / "stripe_examples.json"


def git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, text=True).stdout


def main(repo: str, commit: str = "HEAD") -> None:
    sha, date = git(repo, "log", "-1", "--format=%H %cI", commit).split()
    resources = json.loads(git(repo, "show", f"{sha}:openapi/fixtures3.json"))["resources"]
    vendored = {
        "source": {"repository": "https://github.com/stripe/openapi", "path": "openapi/fixtures3.json",
                   "commit": sha, "committed": date},
        "resources": {name: resources[name] for name in OBJECTS},
    }
    TARGET.write_text(json.dumps(vendored, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {TARGET} from stripe/openapi {sha[:12]} ({date})")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(*sys.argv[1:])
