import click
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
def seed_command():
    """Fill an empty database with three demo homes, their listings and demo accounts."""
    from market.demo.seed import seed

    logins = seed()
    if logins is None:
        click.echo("The database already has homes; demo data not added.")
        return
    click.echo("Demo logins (password for all: demo-pass-2026):")
    for role, identifier in logins:
        click.echo(f"  {role:<30} {identifier}")
