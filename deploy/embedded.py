"""The embedded stack behind ``make run``: a bundled nats-server and a readiness announcement.

    python -m deploy.embedded nats       # exec the virtualenv's nats-server with JetStream and
                                         # one user per service (shared/bus_access.py)
    python -m deploy.embedded service S  # exec service S as its own NATS user
    python -m deploy.embedded announce   # wait for every service's /readyz, then print the URLs,
                                         # the console's first, and the demo's invitation links

The NATS users' passwords are generated on first use, one file each under
``$PACTUM_VAR_DIR/nats/users/`` (readable by their owner only); whichever process of the Procfile
comes first writes them, and they are kept for the next run.

Both read the same environment variables as the services (``PACTUM_NATS_URL``,
``PACTUM_VAR_DIR``, ``PACTUM_<SERVICE>_HOST`` / ``_PORT``; see ``shared/settings.py``), so moving
a port or the data directory moves it for every process of ``deploy/Procfile``.
"""

import argparse
import os
import re
import secrets
import signal
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path
from types import FrameType
from typing import NoReturn
from urllib.parse import urlsplit

import httpx

from deploy.natsserver import nats_server_binary
from shared.bus_access import STREAM_ADMIN, bus_users, server_users
from shared.settings import API_PORTS, DEFAULT_PORTS, PLATFORM_PREFIX, ServiceSettings

SERVICES = tuple(DEFAULT_PORTS)
NATS_SERVER_NAME = "pactum-dev"
READY_TIMEOUT_SECONDS = 90.0
INVITATION_WAIT_SECONDS = 10.0
INVITATION_SETTLE_SECONDS = 3.0
POLL_SECONDS = 0.5


def platform_setting(field: str) -> str:
    """A platform-wide ``PACTUM_<FIELD>`` value, or the default declared in the settings."""
    default = ServiceSettings.model_fields[field].default
    return os.environ.get(f"{PLATFORM_PREFIX}{field.upper()}") or str(default)


def nats_address(url: str) -> tuple[str, int]:
    """The host and port the embedded server listens on: the first server of the NATS URL."""
    first = url.split(",")[0].strip()
    parts = urlsplit(first if "://" in first else f"nats://{first}")
    return parts.hostname or "127.0.0.1", parts.port or 4222


def bus_passwords(directory: Path) -> dict[str, Path]:
    """Each NATS user's password file, generated once (never printed, never logged)."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    files = {}
    for user in bus_users():
        path = files[user] = directory / f"{user}.password"
        if path.exists():
            continue
        staged = directory / f".{user}.{os.getpid()}"
        descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
        try:
            os.link(staged, path)  # atomic: a process starting beside this one keeps its own out
        except FileExistsError:
            pass
        finally:
            staged.unlink()
    return files


def users_dir() -> Path:
    return Path(platform_setting("var_dir")) / "nats" / "users"


def run_nats() -> NoReturn:
    """Replace this process with nats-server, so honcho's signals reach the server directly."""
    host, port = nats_address(platform_setting("nats_url"))
    store = Path(platform_setting("var_dir")) / "nats"
    store.mkdir(parents=True, exist_ok=True)
    try:
        binary = nats_server_binary()
    except RuntimeError as error:
        raise SystemExit(str(error)) from None
    passwords = {
        user: path.read_text().strip() for user, path in bus_passwords(users_dir()).items()
    }
    config = store / "nats-server.conf"
    descriptor = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(
            f'server_name: "{NATS_SERVER_NAME}"\nlisten: "{host}:{port}"\n'
            f'jetstream {{\n  store_dir: "{store}"\n}}\n{server_users(passwords)}'
        )
    print(
        f"nats-server on {host}:{port}, one user per service, JetStream store {store}", flush=True
    )
    os.execv(binary, [binary, "-c", str(config)])  # noqa: S606 - a fixed binary and arguments


def run_service(service: str) -> NoReturn:
    """Replace this process with the service, logged in to NATS as its own user."""
    files = bus_passwords(users_dir())
    prefix = f"{PLATFORM_PREFIX}{service.upper()}_"
    env = dict(os.environ)
    env.setdefault(f"{prefix}NATS_PASSWORD_FILE", str(files[service]))
    env.setdefault(f"{prefix}STREAM_ADMIN", str(service == STREAM_ADMIN).lower())
    argv = [sys.executable, "-m", f"services.{service}"]
    os.execve(sys.executable, argv, env)  # noqa: S606 - this Python, a fixed module


def service_url(service: str) -> str:
    """The base URL of one service, from the same settings (and precedence) the service uses."""
    settings_class: type[ServiceSettings] = type(
        f"{service.title()}Settings", (ServiceSettings,), {"service": service}
    )
    settings = settings_class()
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(settings.host, settings.host)  # noqa: S104
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def probe(client: httpx.Client, url: str) -> str | None:
    """None when ``/readyz`` answers 200, else what stands in the way."""
    try:
        response = client.get(f"{url}/readyz")
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"
    if response.status_code == httpx.codes.OK:
        return None
    return f"HTTP {response.status_code} {response.text.strip()[:200]}"


def wait_until_ready(urls: dict[str, str], timeout: float) -> dict[str, str]:
    """Poll every ``/readyz`` until all answer 200; return the ones still not ready at timeout."""
    pending = dict.fromkeys(urls, "not polled yet")
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while pending:
            for service in list(pending):
                problem = probe(client, urls[service])
                if problem is None:
                    del pending[service]
                else:
                    pending[service] = problem
            if not pending or time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
    return pending


def banner(urls: dict[str, str], nats_url: str, var_dir: Path, invitations: dict[str, str]) -> str:
    """What a newcomer needs, the console first and last: where to click, and how to get in."""
    rule = "-" * 72
    console = urls.get("console", "")
    lines = [rule, "pactum is ready", "", f"  Open the console: {console}", ""]
    lines += [
        f"  {service:<11} {url:<24} docs {url}/docs"
        for service, url in urls.items()
        if service != "console"
    ]
    lines += [
        f"  {'nats':<11} {nats_url}  (JetStream store {var_dir / 'nats'})",
        f"  {'mail':<11} every mail lands in {var_dir / 'mail'}/ (nothing leaves this machine)",
        "",
        f"Ctrl-C stops everything; the data stays in {var_dir}/ for the next run.",
        "",
    ]
    if invitations:
        lines.append("Take a demo account: open its one-time invitation link (from the mail sink):")
        lines += [f"  {email:<26} {link}" for email, link in invitations.items()]
    else:
        lines += [
            f"Sign in at {console}/sign-in with a demo account you took earlier; forgot the",
            f"password? Ask for a reset link there: it arrives in {var_dir / 'mail'}/.",
        ]
    lines.append(rule)
    return "\n".join(lines)


INVITATION = re.compile(r"https?://\S+/account/invitation#token=[A-Za-z0-9_-]+")


def mailed_invitations(mail_dir: Path, *, since: float, wait: float) -> dict[str, str]:
    """The newest invitation link each address was mailed since ``since`` (the demo's first admins
    on a first start); waits up to ``wait`` seconds for the first to arrive."""
    deadline = time.monotonic() + wait
    found: dict[str, str] = {}
    settled_at: float | None = None  # a second look after the first finds: the rest follow soon
    while True:
        for path in sorted(mail_dir.glob("*.eml")) if mail_dir.is_dir() else []:
            if path.stat().st_mtime < since:
                continue
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            body = message.get_body(preferencelist=("plain",))
            link = INVITATION.search(body.get_content() if body is not None else "")
            if link:
                found[str(message["To"])] = link.group(0)
        if time.monotonic() >= deadline or (settled_at and time.monotonic() >= settled_at):
            return found
        if found and settled_at is None:
            settled_at = time.monotonic() + INVITATION_SETTLE_SECONDS
        time.sleep(POLL_SECONDS)


def announce(timeout: float) -> int:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    started = time.time() - 5.0
    urls = {service: service_url(service) for service in SERVICES}
    not_ready = wait_until_ready(urls, timeout)
    if not_ready:
        for service, problem in not_ready.items():
            print(
                f"{service} is not ready after {timeout:.0f} s ({urls[service]}/readyz: {problem})",
                file=sys.stderr,
                flush=True,
            )
        return 1
    var_dir = Path(platform_setting("var_dir"))
    demo = platform_setting("demo_data").lower() in {"1", "true", "yes"}
    invitations = (
        mailed_invitations(var_dir / "mail", since=started, wait=INVITATION_WAIT_SECONDS)
        if demo
        else {}
    )
    print(banner(urls, platform_setting("nats_url"), var_dir, invitations), flush=True)
    while True:
        signal.pause()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.embedded", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("nats", help="exec the bundled nats-server with JetStream")
    service_parser = commands.add_parser("service", help="exec a service as its own NATS user")
    service_parser.add_argument("service", choices=sorted(API_PORTS))
    announce_parser = commands.add_parser("announce", help="wait for readiness, print the URLs")
    announce_parser.add_argument("--timeout", type=float, default=READY_TIMEOUT_SECONDS)
    args = parser.parse_args(argv)
    if args.command == "nats":
        run_nats()
    if args.command == "service":
        run_service(args.service)
    return announce(args.timeout)


if __name__ == "__main__":
    sys.exit(main())
