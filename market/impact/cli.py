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
        if check.waiting:
            click.echo(f"{check.waiting} roll-up rows of an earlier month wait for the job "
                       "(or run `flask impact rollup`).")
        return
    click.echo(f"FAILED: {len(check.problems)} differences", err=True)
    for problem in check.problems[:MAX_SHOWN]:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@impact_cli.command("rollup")
def rollup_command():
    """Recompute every home's roll-up row (the admin comparison) from the summary tables."""
    from market.impact.rollup import refresh

    click.echo(f"{refresh(every_row=True)} homes' roll-up rows recomputed.")
