"""``pactum-verify`` as a controller runs it (issue 15.3, TOM-T4, DPA-11): the standalone package,
without orjson or anything of the platform, verifies an export, an inclusion proof (hashing the
entry it is shown again), a consistency proof from a pinned checkpoint, and a signed-note
checkpoint; and refuses each of them changed."""

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from tests.audit.conftest import Producer, entries_of, event, reader
from tests.support.platform import Platform

STANDALONE = (
    "import sys\n"
    "sys.modules['orjson'] = None\n"  # as installed alone: nothing but cryptography
    "from pactum_verify.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "assert not any(n in sys.modules for n in ('services', 'shared', 'sqlalchemy', 'fastapi'))\n"
    "sys.exit(code)\n"
)


def pactum_verify(*arguments: str | Path) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-c", STANDALONE, *map(str, arguments)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.stderr == "", done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, report


def _saved(folder: Path, name: str, value: Any) -> Path:
    path = folder / name
    path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return path


async def test_a_controller_verifies_export_proofs_and_note_with_the_package_alone__TOM_T4(
    audit: Platform, producer: Producer, tmp_path: Path
) -> None:
    organisation = str(uuid.uuid4())
    client, headers = audit.clients["audit"], reader(audit, organisation)
    await producer.send(*(event(organisation) for _ in range(3)))
    await entries_of(audit, organisation, 3)
    kept = (await client.post("/audit/checkpoints", headers=headers)).json()
    await producer.send(*(event(organisation, actor="user-2") for _ in range(2)))
    await entries_of(audit, organisation, 5)
    keys = _saved(tmp_path, "keys.json", (await client.get("/audit/checkpoint-key")).json())
    pin = f"@{keys}"

    export = (await client.get("/audit/export", headers=headers)).text
    exported = _saved(tmp_path, "export.jsonl", export)
    assert pactum_verify("export", exported, "--public-key", pin) == (
        0,
        {
            "valid": True,
            "tree_size": len(export.splitlines()) - 1,
            "entries_checked": len(export.splitlines()) - 1,
            "first_bad_position": None,
            "problem": None,
            "unproven": 0,
        },
    )
    lines = export.splitlines()
    line = json.loads(lines[2])  # the entry at index 1
    forged = line | {"leaf": line["leaf"] | {"actor_id": "someone-else"}}
    tampered = _saved(tmp_path, "tampered.jsonl", "\n".join([*lines[:2], json.dumps(forged)]))
    code, report = pactum_verify("export", tampered, "--public-key", pin)
    assert (code, report["first_bad_position"]) == (1, 1)

    proof = (await client.get("/audit/proofs/inclusion/1", headers=headers)).json()
    proven = _saved(tmp_path, "proof.json", proof)
    entry = _saved(tmp_path, "line.json", line)
    code, report = pactum_verify("inclusion", proven, "--public-key", pin, "--entry", entry)
    assert (code, report["valid"]) == (0, True)
    code, report = pactum_verify(
        "inclusion", proven, "--public-key", pin, "--entry", _saved(tmp_path, "f.json", forged)
    )
    assert (code, report["problem"]) == (1, "entry 1 does not match its leaf hash")

    latest = (await client.post("/audit/checkpoints", headers=headers)).json()
    consistency = (
        await client.get(
            f"/audit/proofs/consistency?first={kept['size']}&second={latest['size']}",
            headers=headers,
        )
    ).json()
    grown = _saved(tmp_path, "consistency.json", consistency)
    pinned = _saved(tmp_path, "kept.json", kept)
    code, report = pactum_verify("consistency", grown, "--public-key", pin, "--pinned", pinned)
    assert (code, report["valid"]) == (0, True)
    other = _saved(tmp_path, "other.json", kept | {"root": "00" * 32})
    code, report = pactum_verify("consistency", grown, "--public-key", pin, "--pinned", other)
    assert (code, report["problem"]) == (1, "the older checkpoint is not the one you pinned")
    bent = consistency | {"path": list(reversed(consistency["path"]))}
    code, report = pactum_verify(
        "consistency", _saved(tmp_path, "bent.json", bent), "--public-key", pin
    )
    assert code == 1 and "not a prefix" in report["problem"]

    note = (
        await client.get(f"/audit/organisations/{organisation}/checkpoint", headers=headers)
    ).text
    noted = _saved(tmp_path, "note.txt", note)
    vkey = json.loads(keys.read_text())["note_verifier_key"]
    origin = f"pactum.localhost/audit/{organisation}"
    code, report = pactum_verify("note", noted, "--key", vkey, "--origin", origin)
    newest = (await client.get("/audit/checkpoints/latest", headers=headers)).json()
    assert (code, report["tree_size"], report["root"]) == (0, newest["size"], newest["root"])
    code, report = pactum_verify("note", noted, "--key", vkey, "--origin", origin + "x")
    assert code == 1 and not report["valid"]
    changed = _saved(tmp_path, "changed.txt", note.replace(f"\n{newest['size']}\n", "\n99\n"))
    assert pactum_verify("note", changed, "--key", vkey)[0] == 1

    assert pactum_verify("inclusion", keys, "--public-key", pin)[0] == 2  # not a proof
    assert pactum_verify("note", noted, "--key", "not-a-key")[0] == 2


async def test_a_controller_verifies_its_processors_entries_it_is_shown__TOM_T3c(
    audit: Platform, producer: Producer, tmp_path: Path
) -> None:
    controller, processor, agreement = (str(uuid.uuid4()) for _ in range(3))
    parties = {"agreement_id": agreement, "controller_id": controller, "processor_id": processor}
    read = {"agreement_id": agreement, "fields": ["annex"]}
    await producer.send(
        event(controller, type="dpa.agreements.agreement.created.v1", data=parties),
        *(event(processor, actor="p-staff", data=read) for _ in range(3)),
    )
    await entries_of(audit, processor, 3)
    client = audit.clients["audit"]
    await client.post("/audit/checkpoints", headers=reader(audit, processor))
    await producer.send(event(processor, actor="p-staff", data=read))  # after the checkpoint
    await entries_of(audit, processor, 4)
    keys = _saved(tmp_path, "keys.json", (await client.get("/audit/checkpoint-key")).json())

    for query in ("", "?agreement=" + agreement):  # the whole view, and a filtered one
        export = (await client.get(f"/audit/export{query}", headers=reader(audit, controller))).text
        lines = export.splitlines()
        theirs = [json.loads(line) for line in lines[1:] if '"tree"' in line]
        assert len(theirs) == 4 and sum("proof" in line for line in theirs) == 3
        code, report = pactum_verify(
            "export", _saved(tmp_path, "view.jsonl", export), "--public-key", f"@{keys}"
        )
        assert (code, report["unproven"]) == (0, 1), report
        assert report["entries_checked"] == (len(lines) - 1) - 1  # all but the unproven one

        proven = next(line for line in theirs if "proof" in line)
        forged = proven | {"leaf": proven["leaf"] | {"actor_id": "someone-else"}}
        changed = "\n".join(
            json.dumps(forged) if json.loads(line) == proven else line for line in lines
        )
        code, report = pactum_verify(
            "export", _saved(tmp_path, "forged.jsonl", changed), "--public-key", f"@{keys}"
        )
        assert code == 1 and report["problem"] == (
            f"entry {proven['leaf']['log_index']} of {processor}'s log does not match its leaf hash"
        )
