"""Background jobs on a real queue: RQ on the Redis the app already uses (``REDIS_URL``).

``flask --app wsgi worker`` runs the jobs (``make run`` starts one beside the web server). Jobs
are retried with a growing delay when sending fails. When Redis cannot be reached, :func:`enqueue`
returns None and the caller decides: residents' requests run the job inline with a logged
warning, so a resident never sees an error because the queue is down; ``notify send-due`` sends
inline too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.job import Job

# Delays between attempts (seconds): a mail server that is down for a while gets time to recover.
RETRY_INTERVALS = [30, 120, 600]
JOB_TIMEOUT_SECONDS = 120


def redis_connection() -> Redis:
    """A connection to ``REDIS_URL`` that gives up quickly when Redis is down."""
    return Redis.from_url(
        current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=10
    )


def get_queue(connection: Redis | None = None) -> Queue:
    """The app's job queue."""
    return Queue(current_app.config["QUEUE_NAME"], connection=connection or redis_connection())


def enqueue(func: Callable[..., Any], *args: Any) -> Job | None:
    """Queue ``func(*args)`` with retries; None (and a warning) when Redis cannot be reached."""
    try:
        return get_queue().enqueue(
            func,
            *args,
            retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
            job_timeout=JOB_TIMEOUT_SECONDS,
            failure_ttl=7 * 24 * 3600,
        )
    except RedisError as error:
        current_app.logger.warning("Queue unavailable (%r): %s not queued", error, func.__name__)
        return None


def enqueue_many(func: Callable[..., Any], argument_lists: list[tuple[Any, ...]]) -> int:
    """Queue many calls in one round trip; return how many were queued (0 if Redis is down)."""
    if not argument_lists:
        return 0
    retry = Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS)
    try:
        queue = get_queue()
        jobs = [
            Queue.prepare_data(
                func, args=args, retry=retry, timeout=JOB_TIMEOUT_SECONDS, failure_ttl=7 * 24 * 3600
            )
            for args in argument_lists
        ]
        return len(queue.enqueue_many(jobs))
    except RedisError as error:
        current_app.logger.warning("Queue unavailable (%r): %s not queued", error, func.__name__)
        return 0


def run_worker(burst: bool = False, connection: Redis | None = None) -> bool:
    """Run jobs in this process, inside the current app context (no fork per job)."""
    from rq import SimpleWorker

    connection = connection or redis_connection()
    worker = SimpleWorker([get_queue(connection)], connection=connection)
    return bool(worker.work(burst=burst, with_scheduler=True, logging_level="WARNING"))
