"""The real ``pactum`` command line, run as a process of its own against services a test
started."""

import asyncio
import os
import sys

from tests.support.platform import Platform
from tests.support.warm_cli import WARM, Ran

__all__ = ["Ran", "environment", "pactum"]


def environment(platform: Platform, *services: str) -> dict[str, str]:
    """The running services' environment, as an operator's shell would have it: their
    databases, NATS, the var directory with the key files, the token issuer and audience."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PACTUM_")}
    env |= {
        "PACTUM_VAR_DIR": str(platform.var_dir),
        "PACTUM_NATS_URL": platform.nats_url,
        "PACTUM_OPERATOR": "test-operator",
        "PACTUM_TOKEN_ISSUER": platform.settings("agreements").token_issuer,
        "PACTUM_TOKEN_AUDIENCE": platform.settings("agreements").token_audience,
    }
    for service in services or tuple(platform.apps):
        settings = platform.runtime(service).settings
        env[f"PACTUM_{service.upper()}_DATABASE_URL"] = settings.database_url
        if settings.migration_database_url:
            env[f"PACTUM_{service.upper()}_MIGRATION_DATABASE_URL"] = (
                settings.migration_database_url
            )
        if settings.database_schema:
            env[f"PACTUM_{service.upper()}_DATABASE_SCHEMA"] = settings.database_schema
    return env


async def pactum(env: dict[str, str], *arguments: str, cold: bool = False) -> Ran:
    """Run ``pactum ARGUMENTS`` (``python -m deploy.operator``) in a process of its own without
    blocking the event loop, so the services running in this process keep serving and relaying
    meanwhile: forked from the warm interpreter, or ``cold`` from a new interpreter, as an
    operator's shell starts it (a test of the command's own start keeps that)."""
    if not cold:
        return await asyncio.to_thread(WARM.run, env, arguments, 120)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "deploy.operator",
        *arguments,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(120):
        out, err = await process.communicate()
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())
