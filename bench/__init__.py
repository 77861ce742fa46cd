"""pactum's benchmarks.

``python -m bench`` (``make bench``) runs the event-pipeline benchmark: raw JetStream, then the
outbox → relay → JetStream → audit pipeline, same run, same machine (``bench.cli``). Service
sections have their own modules (``python -m bench.agreements`` and so on) and share
``bench.natsserver`` and ``bench.stats``. ``docs/performance.md`` explains the figures. Nothing
here is a test: no figure is asserted, they are measured and reported.
"""
