import click
from flask.cli import AppGroup

orders_cli = AppGroup("orders", help="Orders: release expired holds.")


@orders_cli.command("expire")
def expire_command():
    """Release every unpaid order whose hold has ended."""
    from market.orders.lifecycle import expire_due

    count = expire_due()
    click.echo(f"expired {count} order(s)")
