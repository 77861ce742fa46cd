"""Run one service under uvicorn with pactum's logging; used by ``python -m services.<name>``."""

import gc
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from shared.logging import configure_logging
from shared.settings import ServiceSettings


def serve(create_app: Callable[[ServiceSettings], FastAPI], settings: ServiceSettings) -> None:
    configure_logging(service=settings.service, level=settings.log_level, fmt=settings.log_format)
    app = create_app(settings)
    # Everything imported so far lives as long as the process: keep it out of the collector's
    # full passes, which otherwise pause a service for hundreds of milliseconds.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
