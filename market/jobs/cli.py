"""`flask worker` (a Huey consumer) and `flask jobs status|sweep|retry`."""

import json
import logging

import click
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Background jobs: the outbox and the queue.")


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Threads running jobs.")
@click.option("--no-periodic", is_flag=True, help="Leave the schedules to another worker.")
def worker_command(workers: int, no_periodic: bool) -> None:
    """Run jobs from the queue and the schedules until Ctrl-C (or SIGTERM)."""
    from market.jobs.queue import huey, storage_name

    if huey.immediate:
        raise click.ClickException("JOBS_IMMEDIATE is on: jobs run in the web process, no worker needed.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    click.echo(f"worker: queue on {storage_name()}, {workers} thread(s)")
    huey.create_consumer(workers=workers, worker_type="thread", periodic=not no_periodic,
                         check_worker_health=True).run()


@jobs_cli.command("status")
def status_command() -> None:
    """Queue length, jobs by state, the oldest waiting job and the last heartbeat, as JSON."""
    from market.jobs import outbox

    click.echo(json.dumps(outbox.status(), indent=2))


@jobs_cli.command("sweep")
@click.option("--all", "everything", is_flag=True, help="Enqueue every due job, however recent.")
def sweep_command(everything: bool) -> None:
    """Enqueue jobs still waiting (as the minute's sweeper does)."""
    from market.jobs import outbox

    count = outbox.sweep(0 if everything else None)
    click.echo(f"{count} job(s) enqueued.")


@jobs_cli.command("retry")
@click.argument("job_id", type=int)
def retry_command(job_id: int) -> None:
    """Try a failed job again from its first try."""
    from market.jobs import outbox

    if not outbox.retry(job_id):
        raise click.ClickException(f"job {job_id} is not failed or waiting")
    click.echo(f"job {job_id} enqueued.")


def register(app) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(jobs_cli)
