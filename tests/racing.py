"""Race real OS processes against one database: every contender released at once.

Each work is a callable returning a pair ``(code, detail)``; it runs in its own forked
process with its own database connection, after a barrier that all of them reach. A work
that raises is reported as a crash, and any crash fails the race with its traceback.
"""

import multiprocessing
import traceback
from collections.abc import Callable

from django.db import connection, connections

Work = Callable[[], tuple]


def _contender(barrier, results, index: int, work: Work) -> None:
    try:
        barrier.wait(timeout=60)
        results.put((index, work()))
    except Exception:
        results.put((index, ("crash", traceback.format_exc())))
    finally:
        connections.close_all()


def race(works: list[Work]) -> list[tuple]:
    """Run each work in its own OS process, all released at once; outcomes in order."""
    # Several processes need one shared database: a file or a server, never memory.
    assert connection.vendor == "postgresql" or connection.settings_dict["NAME"] != ":memory:"
    connections.close_all()  # forked children must not share the parent's connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(works))
    results = context.Queue()
    processes = [
        context.Process(target=_contender, args=(barrier, results, index, work))
        for index, work in enumerate(works)
    ]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=120) for _ in works)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    crashes = [detail for code, detail in outcomes.values() if code == "crash"]
    assert not crashes, crashes[0]
    return [outcomes[index] for index in range(len(works))]
