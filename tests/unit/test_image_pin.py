"""`make image-pin` and its check (TOM-T6): a deployment's images are named by digest, the
Dockerfile's base images come in as build arguments, and a tag is refused by the check."""

import json
import re
from pathlib import Path

import pytest

from deploy.image_pin import (
    IMAGES,
    ROOT,
    digest_from_inspect,
    is_pinned,
    main,
    read_env,
    unpinned,
    write_pins,
)

DIGEST = "sha256:" + "3f" * 32


def test_tom_t6_only_a_reference_with_a_sha256_digest_counts_as_pinned() -> None:
    assert is_pinned(f"nats:2.15-alpine@{DIGEST}")
    assert is_pinned(f"registry.example.org:5000/pactum@{DIGEST}")
    assert not is_pinned("nats:2.15-alpine")
    assert not is_pinned("nats@sha256:short")
    assert not is_pinned(f"nats@sha512:{'3f' * 32}")


def test_tom_t6_the_check_names_every_image_that_is_missing_or_a_tag(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    lines = [f"{name}={default}@{DIGEST}" for name, default in IMAGES.items()]
    env.write_text("\n".join(["PACTUM_DOMAIN=localhost", *lines]) + "\n")
    assert main(["--check", "--env-file", str(env)]) == 0

    values = read_env(env) | {"PACTUM_NATS_IMAGE": "nats:2.15-alpine"}
    del values["PACTUM_IMAGE"]
    problems = unpinned(values)
    assert problems == [
        "PACTUM_IMAGE is not set (the deployment would run pactum:dev)",
        "PACTUM_NATS_IMAGE=nats:2.15-alpine is a tag, not pinned by digest",
    ]
    env.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    assert main(["--check", "--env-file", str(env)]) == 1


def test_tom_t6_the_example_environment_is_not_production_ready_by_digest() -> None:
    # deploy/.env.example builds locally by tag: the check says so instead of passing it.
    assert main(["--check", "--env-file", str(ROOT / "deploy" / ".env.example")]) == 1


def test_tom_t6_pins_replace_their_lines_and_keep_the_rest(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# PACTUM_IMAGE=commented\nPACTUM_IMAGE=pactum:dev\nPACTUM_TLS=internal\n")
    write_pins(env, {"PACTUM_IMAGE": f"pactum:dev@{DIGEST}", "PACTUM_NATS_IMAGE": f"nats@{DIGEST}"})
    assert env.read_text().splitlines() == [
        "# PACTUM_IMAGE=commented",
        f"PACTUM_IMAGE=pactum:dev@{DIGEST}",
        "PACTUM_TLS=internal",
        f"PACTUM_NATS_IMAGE=nats@{DIGEST}",
    ]


def test_tom_t6_the_digest_is_read_from_buildx_imagetools_output() -> None:
    manifest = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": DIGEST}
    assert digest_from_inspect(json.dumps(manifest)) == DIGEST
    with pytest.raises(ValueError, match="not a sha256 digest"):
        digest_from_inspect(json.dumps(manifest | {"digest": "latest"}))


def test_tom_t6_the_dockerfile_takes_its_base_images_as_arguments_with_the_same_defaults() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE) == [
        "${POSTGRES_CLIENT_IMAGE}",
        "${PYTHON_IMAGE}",
    ]
    defaults = dict(re.findall(r"^ARG (\w+)=(\S+)$", dockerfile, re.MULTILINE))
    assert defaults["PYTHON_IMAGE"] == IMAGES["PACTUM_PYTHON_IMAGE"]
    assert defaults["POSTGRES_CLIENT_IMAGE"] == IMAGES["PACTUM_POSTGRES_CLIENT_IMAGE"]


def test_tom_t6_image_pin_refuses_a_variable_it_does_not_know(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["--env-file", str(tmp_path / ".env"), "PACTUM_IMAGES"])
    assert refused.value.code == 2
    assert not (tmp_path / ".env").exists()
