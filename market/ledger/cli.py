"""`flask ledger verify | release | head`."""

import sys

import click
from flask.cli import AppGroup

ledger_cli = AppGroup("ledger", help="The care-fund ledger.")


@ledger_cli.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify_command(as_json):
    """Check every entry, balance, leaf hash and tree head; exit 1 naming the first bad entry."""
    from market.ledger.verify import report_json, verify_ledger

    report = verify_ledger()
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


@ledger_cli.command("head")
def head_command():
    """Record a tree head for the log as it stands now and print it."""
    from market.ledger.log import record_tree_head
    from models import db

    head = record_tree_head()
    db.session.commit()
    if head is None:
        click.echo("The log is empty.")
    else:
        click.echo(f"size {head.size} root {head.root}")
