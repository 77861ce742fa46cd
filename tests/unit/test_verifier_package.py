"""The verifier anyone can install (issue 15.3): its own package depending on nothing but
``cryptography``, no framework loaded by any of its modules, and its Merkle tree checked against
independent vectors (the RFC 6962 test data that certificate-transparency and transparency-dev's
merkle packages share), not only against itself."""

import hashlib
import subprocess
import sys
import tomllib
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pactum_verify import leaves, merkle

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "verifier" / "pactum_verify"
MODULES = sorted(
    f"pactum_verify.{path.stem}" for path in PACKAGE.glob("*.py") if path.stem != "__main__"
)
FRAMEWORKS = (
    "sqlalchemy",
    "sqlmodel",
    "fastapi",
    "starlette",
    "structlog",
    "opentelemetry",
    "faststream",
    "nats",
    "pydantic",
    "httpx",
)

# RFC 6962 test data: the leaves, and the root of the tree of the first n leaves.
VECTOR_LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
VECTOR_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (index, size, audit path) and (first, second, proof) from the same test data.
VECTOR_INCLUSION = [
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
VECTOR_CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


def _loaded_by(module: str, *, without_orjson: bool = False) -> list[str]:
    probe = (
        "import importlib, sys\n"
        + ("sys.modules['orjson'] = None\n" if without_orjson else "")
        + f"importlib.import_module({module!r})\n"
        + f"names = {(*FRAMEWORKS, 'services', 'shared')!r}\n"
        + "print(' '.join(n for n in names if n in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_the_package_depends_on_nothing_but_cryptography() -> None:
    project = tomllib.loads((ROOT / "verifier" / "pyproject.toml").read_text())["project"]
    assert [dependency.split(">")[0] for dependency in project["dependencies"]] == ["cryptography"]
    assert project["scripts"] == {"pactum-verify": "pactum_verify.cli:main"}
    assert "pactum_verify.cli" in MODULES and "pactum_verify.merkle" in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_every_module_of_the_verifier_loads_no_framework_and_nothing_of_the_platform(
    module: str,
) -> None:
    assert _loaded_by(module) == []
    assert _loaded_by(module, without_orjson=True) == []


def _vector_tree(size: int) -> tuple[list[bytes], dict[tuple[int, int], bytes]]:
    frontier: list[bytes] = []
    stored: dict[tuple[int, int], bytes] = {}
    for index, leaf in enumerate(VECTOR_LEAVES[:size]):
        hashed = merkle.leaf_hash(bytes.fromhex(leaf))
        stored[(0, index)] = hashed
        frontier, nodes = merkle.append(frontier, index, hashed)
        stored |= {(level, i): value for level, i, value in nodes}
    return frontier, stored


@pytest.mark.parametrize("size", range(1, 9))
def test_the_root_of_every_size_matches_the_rfc_6962_vectors(size: int) -> None:
    frontier, _ = _vector_tree(size)
    assert merkle.root(frontier).hex() == VECTOR_ROOTS[size - 1]
    assert merkle.EMPTY_ROOT.hex() == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize(("index", "size", "path"), VECTOR_INCLUSION)
def test_inclusion_proofs_match_the_rfc_6962_vectors(
    index: int, size: int, path: list[str]
) -> None:
    _, stored = _vector_tree(size)
    planned = [
        merkle.range_hash(start, end, lambda level, i: stored[(level, i)]).hex()
        for start, end in merkle.inclusion_ranges(index, size)
    ]
    assert planned == path
    leaf = merkle.leaf_hash(bytes.fromhex(VECTOR_LEAVES[index]))
    root = bytes.fromhex(VECTOR_ROOTS[size - 1])
    steps = [bytes.fromhex(step) for step in path]
    assert merkle.verify_inclusion(index, size, leaf, steps, root)
    wrong = merkle.leaf_hash(b"not the leaf")
    assert not merkle.verify_inclusion(index, size, wrong, steps, root)


@pytest.mark.parametrize(("first", "second", "path"), VECTOR_CONSISTENCY)
def test_consistency_proofs_match_the_rfc_6962_vectors(
    first: int, second: int, path: list[str]
) -> None:
    _, stored = _vector_tree(second)
    planned = [
        merkle.range_hash(start, end, lambda level, i: stored[(level, i)]).hex()
        for start, end in merkle.consistency_ranges(first, second)
    ]
    assert planned == path
    older, newer = (bytes.fromhex(VECTOR_ROOTS[size - 1]) for size in (first, second))
    steps = [bytes.fromhex(step) for step in path]
    assert merkle.verify_consistency(first, second, older, newer, steps)
    if first != second:
        other = bytes.fromhex(VECTOR_ROOTS[first - 2]) if first > 1 else newer
        assert not merkle.verify_consistency(first, second, other, newer, steps)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(JSON)
def test_the_standard_library_writes_a_leaf_byte_for_byte_as_orjson(value: object) -> None:
    assert leaves.canonical_json(value) == orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


@pytest.mark.parametrize(
    "number", [1e-5, -2.5e-5, 1.5e-7, 1e16, 1.2345678901234568e17, 5e-324, 0.1, -0.0, 1e300]
)
def test_floats_are_written_as_orjson_writes_them(number: float) -> None:
    assert leaves.canonical_json(number) == orjson.dumps(number)
