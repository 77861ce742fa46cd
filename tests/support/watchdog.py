"""A test that runs far too long prints what every asyncio task is waiting on.

pytest-timeout shows only the main thread, which for a hung event loop is ``selectors.select``:
the task that never finishes (often in a fixture's teardown) is what one needs to see. A timer
thread prints every task's stack shortly before the timeout fires.
"""

import asyncio
import io
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def _describe_tasks() -> str:
    report = io.StringIO()
    # every loop's tasks (private, but the only view from another thread than the loop's)
    tasks = list(asyncio.tasks._all_tasks)  # type: ignore[attr-defined]
    report.write(f"\n=== watchdog: {len(tasks)} asyncio task(s) not yet collected ===\n")
    for task in tasks:
        if task.done():
            continue
        report.write(f"--- {task!r}\n")
        task.print_stack(limit=12, file=report)
    return report.getvalue()


@contextmanager
def watchdog(after_seconds: float, name: str) -> Iterator[None]:
    def bark() -> None:
        sys.stderr.write(f"\n=== watchdog: {name} still running after {after_seconds:.0f} s")
        sys.stderr.write(_describe_tasks())
        sys.stderr.flush()

    timer = threading.Timer(after_seconds, bark)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
