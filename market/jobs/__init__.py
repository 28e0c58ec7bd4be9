"""Background work: the task queue (`queue`), the durable outbox (`outbox`), and the schedules
each domain declares in its own `tasks.py` (imported here so a worker knows them all)."""

import importlib

TASK_MODULES = ("market.jobs.tasks", "market.orders.tasks", "market.fund.tasks", "market.search.tasks",
                "market.payments.tasks", "market.timebank.tasks", "market.impact.tasks")


def init_app(app) -> None:
    from market.jobs import queue

    queue.configure(app)
    for name in TASK_MODULES:
        importlib.import_module(name)
