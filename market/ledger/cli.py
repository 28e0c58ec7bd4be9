"""`flask ledger verify | release | note-fee | head | keygen | witness-add`."""

import sys

import click
from flask.cli import AppGroup

ledger_cli = AppGroup("ledger", help="The care-fund ledger.")


@ledger_cli.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--saved-head", "saved", multiple=True, type=click.File("r"),
              help="A head saved earlier (JSON of /ledger/tree-head) that today's log must extend.")
def verify_command(as_json, saved):
    """Check every entry, balance, leaf hash, tree head, signature and witnessed head, and the books
    against orders, refunds and disbursements; exit 1 naming the first bad entry."""
    import json

    from market.ledger.verify import report_json, verify_ledger

    try:
        saved_heads = [json.load(f) for f in saved]
        for head in saved_heads:
            int(head["size"]), bytes.fromhex(head["root"])
    except (ValueError, KeyError, TypeError) as error:
        click.echo(f"A saved head must be the JSON of /ledger/tree-head ({error})", err=True)
        sys.exit(2)
    report = verify_ledger(saved_heads=saved_heads)
    if as_json:
        click.echo(report_json(report))
    if report.ok:
        if not as_json:
            click.echo(
                f"OK: {report.entries} entries, {report.postings} postings, {report.heads} tree heads; "
                f"root {report.root} ({report.rate:,.0f} entries/s)"
            )
        return
    if not as_json:
        click.echo(f"FAILED at {report.first_problem}", err=True)
        for problem in report.problems:
            click.echo(f"  {problem}", err=True)
    sys.exit(1)


@ledger_cli.command("release")
def release_command():
    """Move care-fund income that can no longer be refunded from pending to available."""
    from market.ledger.entries import release_due
    from models import db

    count = release_due()
    db.session.commit()
    click.echo(f"Released care-fund income of {count} orders.")


@ledger_cli.command("note-fee")
def note_fee_command():
    """Log the platform fee (PLATFORM_FEE_BPS) in the public audit log if it changed since the
    last note (the `fund.note_platform_fee` job does it every 10 minutes)."""
    from market.ledger.audit import note_current_platform_fee

    entry = note_current_platform_fee()
    click.echo(f"Noted the platform fee as entry {entry.seq}." if entry else "The platform fee is unchanged.")


@ledger_cli.command("head")
def head_command():
    """Record a signed tree head for the log as it stands now and print it (after the upgrade
    that introduced signatures: a signed head of the latest unsigned one)."""
    from market.ledger.log import record_tree_head, sign_latest_if_unsigned
    from models import db

    head = record_tree_head()
    if head is not None and head.signature is None:
        head = sign_latest_if_unsigned()
    db.session.commit()
    if head is None:
        click.echo("The log is empty.")
    else:
        click.echo(f"size {head.size} root {head.root} signature {head.signature}")


@ledger_cli.command("keygen")
@click.option("--if-missing", is_flag=True, help="Do nothing (exit 0) if the key file exists.")
def keygen_command(if_missing):
    """Write the Ed25519 key that signs tree heads to LEDGER_SIGNING_KEY_FILE and print its public key."""
    from flask import current_app

    from market.ledger import signing

    path = signing.key_path()
    if path.exists():
        if if_missing:
            click.echo(f"{path} exists; public key {signing.public_key_hex()}")
            return
        click.echo(f"{path} exists: refusing to replace the log's key (heads signed with it would "
                   "no longer check). Move it away first if you really mean to.", err=True)
        sys.exit(1)
    signing.generate(path)
    click.echo(f"Wrote {path}. Public key (publish it): {signing.public_key_hex(current_app)}")


@ledger_cli.command("witness-add")
@click.argument("name")
@click.argument("public_key")
def witness_add_command(name, public_key):
    """Register a witness (NAME, its Ed25519 PUBLIC_KEY in hex, as tools/witness.py prints it)."""
    from market.ledger.witnesses import register

    try:
        register(name, public_key)
    except ValueError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(f"Registered witness {name}.")


@ledger_cli.command("grant-app-role")
@click.argument("role")
@click.option("--schema", default="public", show_default=True)
def grant_app_role_command(role, schema):
    """PostgreSQL, run as the tables' owner after each upgrade: let ROLE (the application's role)
    read and write the operational tables but only INSERT and SELECT the ledger's."""
    from models import db
    from models.roles import grant_app_role

    if db.engine.dialect.name != "postgresql":
        click.echo("Roles are for PostgreSQL; SQLite has none.", err=True)
        sys.exit(1)
    with db.engine.begin() as conn:
        grant_app_role(conn, role, schema)
    click.echo(f"{role} may now INSERT and SELECT the ledger tables only.")
