"""Section: what the console adds to the API calls its pages make, page by page.

    python -m bench.console [--quick] [--rounds 200] [--postgres postgresql://...]

nats-server, the four services and the console run as separate processes, as ``make run`` starts
them (SQLite by default, demo data off). One controller organisation gets an admin (through the
operator's command line and identity's invitation API), thirty colleagues (so the users page
lists 31 people) and an agreement draft; the admin signs in to the console like a browser does
(CSRF token, session cookie). On PostgreSQL its audit log is then filled to ``--log-size``
entries (a million by default), bulk-inserted as ``bench.audit`` does, so the log page reads the
newest 50 of a large log.

Then, in alternating rounds, one page at a time (no concurrency: this is latency, not load):

* each **console page**: the time a client waits for the whole HTML answer, and the part of it
  that the console spent waiting for the four services (its ``Server-Timing: api`` header: the
  union of its API calls' intervals, parallel calls counted once);
* **the same API calls made directly** by this process with the admin's own access token, in
  parallel as the page makes them: the baseline a page can never beat.

The console's cost is ``page - api`` (rendering, session, refresh, CSRF, middleware); the target
(issue 11) is at most 30 % of the API time. Results: a table and ``bench/results/console.json``.
"""

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.machine import describe
from bench.natsserver import NatsServer, free_port
from bench.probes import load_average
from bench.stats import summarise

RESULTS = Path(__file__).parent / "results" / "console.json"
SERVICES = ("identity", "agreements", "audit", "notifier", "console")
TARGET_ADDED = 0.30
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
TIMING = re.compile(r"api;dur=([0-9.]+)")
PASSWORD = "a bench password of some length"  # noqa: S105 (a throw-away test account)


@dataclass
class Stack:
    work: Path
    postgres_url: str | None = None
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    nats: NatsServer | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        self.nats = NatsServer(self.work / "nats").start()
        ports = {service: free_port() for service in SERVICES}
        self.urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PACTUM_", "OTEL_"))}
        env |= {
            "PACTUM_VAR_DIR": str(self.work / "var"),
            "PACTUM_NATS_URL": self.nats.url,
            "PACTUM_JWKS_URL": f"{self.urls['identity']}/.well-known/jwks.json",
            "PACTUM_LOG_LEVEL": "WARNING",
            "PACTUM_DEMO_DATA": "false",
            "PACTUM_SMTP_PORT": str(free_port()),  # no mail in this bench
            "PACTUM_NOTIFIER_IDENTITY_URL": self.urls["identity"],
            "PACTUM_CONSOLE_PUBLIC_URL": self.urls["console"],
        }
        env |= {f"PACTUM_{s.upper()}_PORT": str(port) for s, port in ports.items()}
        env |= {f"PACTUM_CONSOLE_{s.upper()}_URL": self.urls[s] for s in SERVICES[:4]}
        if self.postgres_url:
            for service in SERVICES:
                env[f"PACTUM_{service.upper()}_DATABASE_URL"] = self.postgres_url
                env[f"PACTUM_{service.upper()}_DATABASE_SCHEMA"] = self.schema(service)
        self.env = env
        for service in SERVICES:
            log = (self.work / f"{service}.log").open("wb")
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_ready(self, http: httpx.AsyncClient) -> None:
        deadline = time.monotonic() + 90
        pending = set(SERVICES)
        while pending:
            for name in list(pending):
                if self.processes[name].poll() is not None:
                    log = (self.work / f"{name}.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"{name} exited: {log}")
                try:
                    if (await http.get(f"{self.urls[name]}/readyz")).status_code == 200:
                        pending.discard(name)
                except httpx.TransportError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready: {sorted(pending)}")
            await asyncio.sleep(0.2)

    def schema(self, service: str) -> str:
        return f"bench_{service}_{self.suffix}"

    async def fill_audit_log(self, organisation: str, rows: int) -> float:
        """``rows`` entries in the organisation's log, bulk-inserted as bench.audit does (the
        hashes are not valid; the plan and the indexes are the real ones). PostgreSQL only."""
        assert self.postgres_url is not None
        from sqlalchemy import text

        from bench.audit import _BULK
        from shared.database import create_engine

        engine = create_engine(self.postgres_url, schema=self.schema("audit"))
        started = time.perf_counter()
        async with engine.begin() as connection:
            base = await connection.scalar(
                text(
                    "SELECT coalesce(max(log_index) + 1, 0) FROM audit_entry"
                    " WHERE organisation_id = :org"
                ),
                {"org": organisation},
            )
            # Far past the live entries: the audit consumer goes on appending the admin's own
            # events (sign-in, reads) at the tree's end while the bulk rows go in.
            offset = int(base or 0) + 100_000
            await connection.execute(
                text(_BULK.replace("g - 1,", f"g - 1 + {offset},")),
                {"org": organisation, "rows": rows},
            )
            await connection.execute(text("ANALYZE audit_entry"))
        await engine.dispose()
        return time.perf_counter() - started

    async def drop_schemas(self) -> None:
        if not self.postgres_url:
            return
        from sqlalchemy import text

        from shared.database import create_engine

        engine = create_engine(self.postgres_url)
        async with engine.begin() as connection:
            for service in SERVICES:
                await connection.execute(
                    text(f'DROP SCHEMA IF EXISTS "{self.schema(service)}" CASCADE')
                )
        await engine.dispose()

    def command(self, *arguments: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "services.identity.cli", *arguments],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.nats is not None:
            self.nats.stop()


@dataclass
class Admin:
    token: str
    organisation_id: str
    agreement_id: str


async def prepare(stack: Stack, http: httpx.AsyncClient) -> Admin:
    """A controller, its admin with thirty colleagues, and an agreement draft."""
    printed = stack.command(
        "create-organisation", "--name", "Bench gemeente", "--kind", "controller", "--mfa", "none"
    )
    organisation = printed.strip().splitlines()[-1]
    processor = stack.command(
        "create-organisation", "--name", "Bench BV", "--kind", "processor", "--mfa", "none"
    )
    processor_id = processor.strip().splitlines()[-1]
    email = f"admin-{uuid.uuid4().hex[:6]}@bench.test"
    link = stack.command("create-admin", "--organisation", organisation, "--email", email)
    secret = link.split("#token=", 1)[1].split()[0]
    identity = stack.urls["identity"]
    accepted = await http.post(
        f"{identity}/invitations/accept", json={"token": secret, "password": PASSWORD}
    )
    accepted.raise_for_status()
    tokens = (
        await http.post(f"{identity}/login", json={"email": email, "password": PASSWORD})
    ).json()
    bearer = {"authorization": f"Bearer {tokens['access_token']}"}
    for number in range(30):
        invited = await http.post(
            f"{identity}/users",
            json={"email": f"colleague-{number}-{email}", "display_name": f"Colleague {number}"},
            headers=bearer,
        )
        invited.raise_for_status()
    agreement_id = await _draft(stack, http, bearer, processor_id)
    return Admin(tokens["access_token"], organisation, agreement_id)


async def _draft(
    stack: Stack, http: httpx.AsyncClient, bearer: dict[str, str], counterparty: str
) -> str:
    """A draft with the processor, once agreements has learnt both organisations."""
    body = {"title": "Bench verwerkersovereenkomst", "counterparty_id": counterparty}
    deadline = time.monotonic() + 30
    while True:
        answer = await http.post(
            f"{stack.urls['agreements']}/agreements", json=body, headers=bearer
        )
        if answer.status_code == 201:
            return str(answer.json()["id"])
        if time.monotonic() > deadline:
            raise RuntimeError(f"no draft: {answer.status_code} {answer.text[:300]}")
        await asyncio.sleep(0.3)


async def sign_in(stack: Stack, email_and_password: tuple[str, str]) -> httpx.AsyncClient:
    browser = httpx.AsyncClient(base_url=stack.urls["console"], trust_env=False)
    page = await browser.get("/sign-in")
    token = TOKEN.search(page.text)
    assert token is not None
    email, password = email_and_password
    answer = await browser.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": token.group(1)}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"console sign-in failed: {answer.status_code}")
    return browser


@dataclass
class Page:
    name: str
    path: str
    calls: list[
        tuple[str, str, dict[str, Any]]
    ]  # the API calls the page makes: (service, path, params)
    total: list[float] = field(default_factory=list)
    api: list[float] = field(default_factory=list)
    direct: list[float] = field(default_factory=list)


async def measure_page(browser: httpx.AsyncClient, page: Page) -> None:
    started = time.perf_counter()
    answer = await browser.get(page.path)
    page.total.append(time.perf_counter() - started)
    if answer.status_code != 200:
        raise RuntimeError(f"{page.path}: {answer.status_code}")
    timing = TIMING.search(answer.headers.get("server-timing", ""))
    page.api.append(float(timing.group(1)) / 1000 if timing else float("nan"))


async def measure_direct(http: httpx.AsyncClient, stack: Stack, token: str, page: Page) -> None:
    headers = {"authorization": f"Bearer {token}"}
    started = time.perf_counter()
    answers = await asyncio.gather(
        *(
            http.get(f"{stack.urls[service]}{path}", params=params, headers=headers)
            for service, path, params in page.calls
        )
    )
    page.direct.append(time.perf_counter() - started)
    for answer in answers:
        answer.raise_for_status()


async def run(*, rounds: int, postgres_url: str | None, log_size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pactum-bench-console-") as work:
        stack = Stack(Path(work), postgres_url)
        stack.start()
        try:
            async with httpx.AsyncClient(timeout=30, trust_env=False) as http:
                await stack.wait_ready(http)
                admin = await prepare(stack, http)
                email = (
                    await http.get(
                        f"{stack.urls['identity']}/me",
                        headers={"authorization": f"Bearer {admin.token}"},
                    )
                ).json()["email"]
                browser = await sign_in(stack, (email, PASSWORD))
                filled = (
                    await stack.fill_audit_log(admin.organisation_id, log_size)
                    if postgres_url and log_size
                    else None
                )
                pages = [
                    Page("users", "/organisation/users", [("identity", "/users", {})]),
                    Page("inbox", "/inbox", [("notifier", "/notifier/inbox", {"limit": 500})]),
                    Page(
                        "agreement",
                        f"/agreements/{admin.agreement_id}",
                        [("agreements", f"/agreements/{admin.agreement_id}", {})],
                    ),
                    Page("audit log", "/audit", [("audit", "/audit/entries", {"limit": 50})]),
                ]
                token = admin.token
                for _warm_up in range(10):
                    for page in pages:
                        await measure_page(browser, page)
                        await measure_direct(http, stack, token, page)
                for page in pages:
                    page.total.clear()
                    page.api.clear()
                    page.direct.clear()
                refreshed_at = time.monotonic()
                for _round in range(rounds):
                    if time.monotonic() - refreshed_at > 120:  # access tokens live 5 minutes
                        token = await _fresh_token(stack, http, email)
                        refreshed_at = time.monotonic()
                    for page in pages:
                        await measure_page(browser, page)
                        await measure_direct(http, stack, token, page)
                await browser.aclose()
                return {
                    "machine": describe(),
                    "load_average": load_average(),
                    "database": "postgresql" if postgres_url else "sqlite",
                    "audit_log_entries": log_size if filled is not None else None,
                    "audit_log_fill_seconds": filled,
                    "rounds": rounds,
                    "pages": {page.name: _figures(page) for page in pages},
                }
        finally:
            stack.stop()
            await stack.drop_schemas()


async def _fresh_token(stack: Stack, http: httpx.AsyncClient, email: str) -> str:
    answer = await http.post(
        f"{stack.urls['identity']}/login", json={"email": email, "password": PASSWORD}
    )
    return str(answer.json()["access_token"])


def _figures(page: Page) -> dict[str, Any]:
    total, api, direct = summarise(page.total), summarise(page.api), summarise(page.direct)
    added = [t - a for t, a in zip(page.total, page.api, strict=True)]
    added_p50 = summarise(added).p50_ms
    return {
        "path_template": re.sub(r"[0-9a-f-]{36}", "{id}", page.path),
        "calls": [f"{service} {path}" for service, path, _params in page.calls],
        "page": total.as_dict(),
        "api_within_page": api.as_dict(),
        "api_direct": direct.as_dict(),
        "console_added": summarise(added).as_dict(),
        "added_to_api_p50": added_p50 / api.p50_ms if api.p50_ms else None,
        "target_met": bool(api.p50_ms) and added_p50 / api.p50_ms <= TARGET_ADDED,
    }


def table(results: dict[str, Any]) -> str:
    lines = [
        f"console pages on {results['database']}, {results['rounds']} rounds, "
        f"load average {results['load_average']}",
        f"{'page':<10} {'page p50/p99 ms':>18} {'api in page p50':>16} {'api direct p50':>15} "
        f"{'added p50 ms':>13} {'added/api':>10}  target <= {TARGET_ADDED:.0%}",
    ]
    for name, figures in results["pages"].items():
        page, api = figures["page"], figures["api_within_page"]
        ratio = figures["added_to_api_p50"]
        lines.append(
            f"{name:<10} {page['p50_ms']:>8.2f} / {page['p99_ms']:<7.2f} {api['p50_ms']:>16.2f} "
            f"{figures['api_direct']['p50_ms']:>15.2f} {figures['console_added']['p50_ms']:>13.2f} "
            f"{ratio:>10.2f}  {'met' if figures['target_met'] else 'NOT met'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.console", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="30 rounds, for a check")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL instead of SQLite")
    parser.add_argument(
        "--log-size",
        type=int,
        default=1_000_000,
        help="entries in the organisation's audit log (PostgreSQL only; 20,000 with --quick)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    results = asyncio.run(
        run(
            rounds=30 if args.quick else args.rounds,
            postgres_url=args.postgres,
            log_size=20_000 if args.quick else args.log_size,
        )
    )
    results["quick"] = bool(args.quick)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nRaw figures: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
