"""Pin every container image of the compose deployment by digest (TOM-T6).

    python -m deploy.image_pin [--env-file deploy/.env] [VARIABLE ...]   # `make image-pin`
    python -m deploy.image_pin --check [--env-file deploy/.env]  # before `docker compose up`

docker-compose.yml names each image through a variable (``PACTUM_NATS_IMAGE`` ...), whose
default is a tag; a tag can be moved by whoever controls the registry, a digest cannot. The
first form asks the registry, with ``docker buildx imagetools inspect``, for the digest each
reference has now and writes ``VARIABLE=<name>:<tag>@sha256:<digest>`` into the env file
(other lines are kept). Review the change like a lock file change. ``--check`` asks nothing:
it fails (exit 1) naming every variable of the env file that is missing or not pinned by
digest. pactum's own two images (``PACTUM_IMAGE``, ``PACTUM_OPERATOR_IMAGE``) are pinned the
same way once pushed to the registry the hosts pull from; the base images of deploy/Dockerfile
reach the build as ``PACTUM_PYTHON_IMAGE`` and ``PACTUM_POSTGRES_CLIENT_IMAGE``.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Variable -> the reference docker-compose.yml (or deploy/Dockerfile) falls back to.
IMAGES = {
    "PACTUM_IMAGE": "pactum:dev",
    "PACTUM_OPERATOR_IMAGE": "pactum-operator:dev",
    "PACTUM_PYTHON_IMAGE": "python:3.11-slim",
    "PACTUM_POSTGRES_CLIENT_IMAGE": "postgres:16-bookworm",
    "PACTUM_NATS_IMAGE": "nats:2.15-alpine",
    "PACTUM_POSTGRES_IMAGE": "postgres:16-alpine",
    "PACTUM_CADDY_IMAGE": "caddy:2.10-alpine",
    "PACTUM_OTEL_COLLECTOR_IMAGE": "otel/opentelemetry-collector-contrib:0.165.0",
    "PACTUM_JAEGER_IMAGE": "jaegertracing/jaeger:2.13.0",
    "PACTUM_PROMETHEUS_IMAGE": "prom/prometheus:v3.8.0",
    "PACTUM_ALERTMANAGER_IMAGE": "prom/alertmanager:v0.29.0",
    "PACTUM_GRAFANA_IMAGE": "grafana/grafana:12.2.0",
}
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def is_pinned(reference: str) -> bool:
    return bool(DIGEST.search(reference))


def without_digest(reference: str) -> str:
    return reference.split("@", 1)[0]


def read_env(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        name, equals, value = line.partition("=")
        if equals and not line.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    return values


def unpinned(values: dict[str, str]) -> list[str]:
    """Each image variable that is missing or names a tag without a digest, with what to do."""
    problems = []
    for name in IMAGES:
        reference = values.get(name, "")
        if not reference:
            problems.append(f"{name} is not set (the deployment would run {IMAGES[name]})")
        elif not is_pinned(reference):
            problems.append(f"{name}={reference} is a tag, not pinned by digest")
    return problems


def digest_from_inspect(output: str) -> str:
    """The digest in ``docker buildx imagetools inspect --format '{{json .Manifest}}'`` output:
    the manifest list's for a multi-platform image, so every platform keeps its own image."""
    digest = json.loads(output)["digest"]
    if not isinstance(digest, str) or not DIGEST.search(f"@{digest}"):
        raise ValueError(f"not a sha256 digest: {digest!r}")
    return digest


def resolve(reference: str) -> str:
    docker = shutil.which("docker")
    if docker is None:
        raise RuntimeError("docker is not installed: image-pin needs docker buildx and a registry")
    answer = subprocess.run(  # noqa: S603 (docker, with one image reference as argument)
        [docker, "buildx", "imagetools", "inspect", "--format", "{{json .Manifest}}", reference],
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        raise RuntimeError(f"{reference}: {answer.stderr.strip() or 'docker buildx failed'}")
    return f"{reference}@{digest_from_inspect(answer.stdout)}"


def write_pins(path: Path, pins: dict[str, str]) -> None:
    """Set each variable in the env file: its line replaced where it has one, else appended."""
    lines = path.read_text().splitlines() if path.exists() else []
    remaining = dict(pins)
    for number, line in enumerate(lines):
        name = line.partition("=")[0].strip()
        if name in remaining and not line.lstrip().startswith("#"):
            lines[number] = f"{name}={remaining.pop(name)}"
    lines += [f"{name}={reference}" for name, reference in remaining.items()]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.image_pin", description=__doc__)
    parser.add_argument("--env-file", type=Path, default=ROOT / "deploy" / ".env")
    parser.add_argument("--check", action="store_true", help="only check, ask no registry")
    parser.add_argument(
        "names", nargs="*", metavar="VARIABLE", help="pin only these (default: every image)"
    )
    arguments = parser.parse_args(argv)
    unknown = sorted(set(arguments.names) - set(IMAGES))
    if unknown:
        parser.error(f"not an image variable: {', '.join(unknown)} (one of {', '.join(IMAGES)})")
    values = read_env(arguments.env_file) if arguments.env_file.exists() else {}
    if arguments.check:
        problems = unpinned(values)
        for problem in problems:
            print(f"image-pin: {problem}", file=sys.stderr)
        if problems:
            print("image-pin: run `make image-pin` (docs/deployment.md)", file=sys.stderr)
            return 1
        print(f"every image in {arguments.env_file} is pinned by digest")
        return 0
    pins = {}
    for name in arguments.names or IMAGES:
        reference = without_digest(values.get(name) or IMAGES[name])
        try:
            pins[name] = resolve(reference)
        except (RuntimeError, ValueError) as error:
            print(f"image-pin: {name}: {error}", file=sys.stderr)
            return 1
        print(f"{name}={pins[name]}")
    write_pins(arguments.env_file, pins)
    return 0


if __name__ == "__main__":
    sys.exit(main())
