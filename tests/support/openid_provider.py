"""A real OpenID Provider for the federation tests: panva's certified ``oidc-provider`` on the
machine's Node.js (tests/support/oidc_provider/provider.mjs), started as a process.

``OpenIdProvider.sign_in`` plays the person's browser at the provider: it follows the
authorization URL identity answered, fills in the provider's sign-in form (who, and which
``acr``/``amr`` the provider reports) and returns where the provider sends the browser back (the
redirect URI with ``code`` and ``state``). Absent Node.js or the package (``npm ci`` in that
directory), the tests are skipped saying so; ``REQUIRE_BROWSER=1`` (CI) fails them instead.
"""

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

DIRECTORY = Path(__file__).parent / "oidc_provider"
CLIENT_ID = "pactum-console"
CLIENT_SECRET = "test-client-secret-for-the-federation-tests"


def provider_missing() -> str | None:
    if shutil.which("node") is None:
        return "federation tests skipped: no Node.js (node) on this machine"
    if not (DIRECTORY / "node_modules" / "oidc-provider").is_dir():
        return (
            f"federation tests skipped: oidc-provider is not installed (cd {DIRECTORY} && npm ci)"
        )
    return None


def skip_without_provider() -> None:
    missing = provider_missing()
    if missing:
        pytest.fail(missing) if os.environ.get("REQUIRE_BROWSER") == "1" else pytest.skip(missing)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Returned:
    """Where the provider sent the browser back."""

    url: str

    @property
    def code(self) -> str:
        return parse_qs(urlsplit(self.url).query)["code"][0]

    @property
    def state(self) -> str:
        return parse_qs(urlsplit(self.url).query)["state"][0]


@dataclass
class OpenIdProvider:
    redirect_uri: str
    port: int = field(default_factory=free_port)
    issuer_host: str = "127.0.0.1"
    process: subprocess.Popen[str] | None = None

    @property
    def issuer(self) -> str:
        return f"http://{self.issuer_host}:{self.port}"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "OpenIdProvider":
        self.process = subprocess.Popen(
            ["node", str(DIRECTORY / "provider.mjs")],
            cwd=DIRECTORY,
            env={
                **os.environ,
                "PORT": str(self.port),
                "ISSUER": self.issuer,
                "CLIENT_ID": CLIENT_ID,
                "CLIENT_SECRET": CLIENT_SECRET,
                "REDIRECT_URI": self.redirect_uri,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/.well-known/openid-configuration").status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the OpenID Provider did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    async def sign_in(
        self,
        authorization_url: str,
        email: str,
        *,
        acr: str = "",
        amr: str = "pwd",
    ) -> Returned:
        """Sign in at the provider as ``email`` and come back to the redirect URI."""
        async with httpx.AsyncClient() as browser:
            url = authorization_url
            for _ in range(10):
                if url.startswith(self.redirect_uri):
                    return Returned(url)
                if "/interaction/" in urlsplit(url).path:
                    page = await browser.get(url)
                    assert page.status_code == 200, page.text
                    response = await browser.post(
                        url, data={"login": email, "acr": acr, "amr": amr}
                    )
                else:
                    response = await browser.get(url)
                assert response.status_code in (302, 303), (response.status_code, response.text)
                url = urljoin(url, response.headers["location"])
        raise AssertionError("the provider never sent the browser back")


@contextmanager
def running(redirect_uri: str) -> Iterator[OpenIdProvider]:
    """A provider for a test module (skipped, saying why, where it cannot run)."""
    skip_without_provider()
    started = OpenIdProvider(redirect_uri=redirect_uri).start()
    try:
        yield started
    finally:
        started.stop()
