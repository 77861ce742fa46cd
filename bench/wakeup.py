"""``python -m bench.wakeup``: is a commit that lands while the relay is publishing picked up late?

The relay is woken by an ``after_commit`` hook. This experiment makes each PubAck take 50 ms,
commits event A (the relay wakes and starts publishing it), commits event B 10 ms later, while A
is still being published, and measures how long B takes to reach the audit log. If the wake-up
for B is kept, B follows A's batch: about 100 ms. If it is lost, B waits for the relay's poll
(``outbox_poll_seconds``, 0.5 s by default) on top of that.
"""

import asyncio
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, TextIO

from bench.natsserver import NatsServer
from bench.pipeline import Load, Pipeline

PUBACK_DELAY = 0.05
TRIALS = 5


async def measure(work_dir: Path, server: NatsServer, sink: TextIO) -> list[float]:
    pipeline = Pipeline(nats_url=server.url, nats_pid=None, work_dir=work_dir, log_sink=sink)
    async with pipeline.running():
        await pipeline.warm_up(10)
        relay = pipeline.runtime("agreements").relay
        publish = relay._publish

        async def slow_publish(payload: bytes, **kwargs: Any) -> Any:
            await asyncio.sleep(PUBACK_DELAY)
            return await publish(payload, **kwargs)

        relay._publish = slow_publish
        delays: list[float] = []
        for _ in range(TRIALS):
            organisation = str(uuid.uuid4())
            load = Load(source="outbox", count=2)
            produce = pipeline.producer(load, organisation)
            await produce(0)  # A: the relay wakes and starts a slow publish
            await asyncio.sleep(0.01)
            await produce(1)  # B: commits while A is still being published
            committed = time.perf_counter()
            await pipeline.wait_for_audit(organisation, 2, within=5.0, interval=0.005)
            delays.append(time.perf_counter() - committed)
            await asyncio.sleep(0.6)  # let the relay go idle again
    return delays


def main() -> int:
    work_dir = Path(tempfile.mkdtemp(prefix="pactum-bench-wakeup-"))
    server = NatsServer(work_dir / "nats").start()
    try:
        with Path(os.devnull).open("w") as sink:
            delays = asyncio.run(measure(work_dir, server, sink))
    finally:
        server.stop()
        shutil.rmtree(work_dir, ignore_errors=True)
    print(
        f"PubAck delayed to {PUBACK_DELAY * 1000:.0f} ms; event B committed while A was being "
        "published reached the audit log after:"
    )
    for delay in delays:
        print(f"  {delay * 1000:.0f} ms")
    print("~100 ms means the wake-up was kept; ~600 ms means it was lost until the relay's poll.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
