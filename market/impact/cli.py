"""`flask impact verify`."""

import sys

import click
from flask.cli import AppGroup

impact_cli = AppGroup("impact", help="Evaluation: service records, surveys, reviews and their figures.")


@impact_cli.command("verify")
def verify_command():
    """Recompute every impact figure from the raw records; exit 1 listing each difference."""
    from market.impact.verify import MAX_SHOWN, verify_impact

    check = verify_impact()
    if check.ok:
        click.echo(f"OK: {check.rows} summary rows and the pages of {check.homes} homes match the records.")
        return
    click.echo(f"FAILED: {len(check.problems)} differences", err=True)
    for problem in check.problems[:MAX_SHOWN]:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)
