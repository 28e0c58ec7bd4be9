import time

import click
from flask.cli import AppGroup

search_cli = AppGroup("search", help="The search index.")


@search_cli.command("reindex")
def reindex_command():
    """Build a fresh index from the database beside the live one and swap it in."""
    from market.search import indexing

    started = time.perf_counter()
    count = indexing.reindex()
    click.echo(f"Indexed {count} listings in {time.perf_counter() - started:.1f} s.")


@search_cli.command("update")
def update_command():
    """Apply the listings queued after failed index writes."""
    from market.search import indexing

    queued = indexing.queued_count()
    ok = indexing.update_listings()
    click.echo(f"{queued} queued listings {'applied' if ok else 'still queued (see the log)'}.")
