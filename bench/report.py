"""The printed tables and the JSON file."""

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _number(value: float | int | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _ms(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: int = 1) -> str:
    """A plain-text table; columns from ``right`` on are right-aligned."""
    widths = [max(len(str(row[i])) for row in (headers, *rows)) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(cell).rjust(width) if i >= right else str(cell).ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def header(machine: dict[str, Any], started: str, seconds: float | None) -> str:
    cores = machine["cores"]
    usable = machine.get("usable_cores")
    core_text = f"{cores} cores" + (f" ({usable} usable)" if usable and usable != cores else "")
    lines = [
        f"pactum benchmark, {started}" + (f", {seconds:.0f} s" if seconds else ""),
        f"machine: {machine['cpu_model']}, {core_text}, {machine['memory_gib']} GiB memory, "
        f"{machine['os']}",
        f"software: Python {machine['python']}, nats-server {machine['nats_server']}, "
        f"nats-py {machine['nats_py']}, faststream {machine['faststream']}, "
        f"SQLAlchemy {machine['sqlalchemy']}, SQLite {machine['sqlite']}",
    ]
    return "\n".join(lines)


def load_note(results: dict[str, Any]) -> str:
    """The machine's load around the run, and a warning when other work competed with it."""
    before = results.get("load_average_before")
    after = results.get("load_average_after")
    text = f"load average (1/5/15 min) before: {before}, after: {after}"
    if results.get("niceness"):
        text += f"; ran at niceness {results['niceness']}"
    others = [
        phase["cpu"].get("other_processes_seconds") / phase["cpu"]["wall_seconds"]
        for phase in [results.get("raw", {}), *results.get("pipeline", {}).get("phases", [])]
        if phase.get("cpu", {}).get("other_processes_seconds") is not None
        and phase["cpu"]["wall_seconds"]
    ]
    busiest = max(others, default=0.0)
    if busiest > 0.1:
        text += (
            f"\nWARNING: other processes used up to {busiest:.0%} of a core during a phase; "
            "these figures are not from a quiet machine."
        )
    return text


def _phase_label(phase: dict[str, Any]) -> str:
    path = (
        "HTTP change -> audit entry" if phase["source"] == "http" else "outbox row -> audit entry"
    )
    if phase["mode"] == "flat-out":
        return f"{path}, flat out ({phase['concurrency']} producers)"
    return f"{path}, steady {phase['offered_rate_per_s']:.0f}/s"


def main_table(results: dict[str, Any]) -> str:
    raw = results.get("raw", {})
    rows: list[list[str]] = []
    sequential = raw.get("publish_sequential")
    if sequential:
        rtt = sequential["puback_round_trip"]
        rows.append(
            [
                "raw JetStream publish, one at a time (await each PubAck)",
                _number(sequential["rate_per_s"]),
                _ms(rtt["p50_ms"]),
                _ms(rtt["p95_ms"]),
                _ms(rtt["p99_ms"]),
                "PubAck round trip",
            ]
        )
    windowed = raw.get("publish_windowed")
    if windowed:
        rows.append(
            [
                f"raw JetStream publish, {windowed['window']} PubAcks in flight",
                _number(windowed["rate_per_s"]),
                "",
                "",
                "",
                "",
            ]
        )
    relay_call = raw.get("publish_faststream_sequential")
    if relay_call:
        call = relay_call["call"]
        rows.append(
            [
                "faststream broker.publish (the relay's call), one at a time",
                _number(relay_call["rate_per_s"]),
                _ms(call["p50_ms"]),
                _ms(call["p95_ms"]),
                _ms(call["p99_ms"]),
                "call duration",
            ]
        )
    consume = raw.get("consume")
    if consume:
        rows.append(
            [
                f"raw pull consume, fetch {consume['fetch_batch']}, ack each",
                _number(consume["rate_per_s"]),
                "",
                "",
                "",
                f"{consume['messages']:,} messages",
            ]
        )
    for phase in results.get("pipeline", {}).get("phases", []):
        lag = phase["lag"]
        note = f"{phase['events']:,} events"
        rounds = phase.get("rounds") or []
        if len(rounds) > 1:
            rates = sorted(round_["events_per_s"] for round_ in rounds)
            note += f", median of {len(rounds)} rounds ({rates[0]:,.0f}-{rates[-1]:,.0f}/s)"
        note += "; lag = recorded_at - created"
        if not phase["complete"]:
            note += f"; INCOMPLETE {phase['audit_entries']}/{phase['events']}"
        rows.append(
            [
                _phase_label(phase),
                _number(phase["events_per_s"]),
                _ms(lag["p50_ms"]),
                _ms(lag["p95_ms"]),
                _ms(lag["p99_ms"]),
                note,
            ]
        )
    return table(["measurement", "per s", "p50 ms", "p95 ms", "p99 ms", "what the ms are"], rows)


def stage_table(results: dict[str, Any]) -> str:
    rows: list[list[str]] = []
    for phase in results.get("pipeline", {}).get("phases", []):
        stages = phase["stages"]
        relay = phase["relay"]
        cpu = phase["cpu"]
        wall = cpu["wall_seconds"] or math.nan
        nats_cpu = cpu["nats_server_seconds"]
        other_cpu = cpu.get("other_processes_seconds")
        rows.append(
            [
                _phase_label(phase),
                " / ".join(
                    _ms(stages[name]["p50_ms"])
                    for name in (
                        "commit_to_relay_pickup",
                        "relay_pickup_to_puback",
                        "puback_to_audit_recorded",
                    )
                ),
                " / ".join(
                    _ms(stages[name]["p99_ms"])
                    for name in (
                        "commit_to_relay_pickup",
                        "relay_pickup_to_puback",
                        "puback_to_audit_recorded",
                    )
                ),
                f"{relay['batches']} x {relay['rows_per_batch']:.0f}",
                f"{100 * relay['publish_seconds'] / relay['busy_seconds']:.0f}%"
                if relay["busy_seconds"]
                else "-",
                f"{100 * cpu['python_seconds'] / wall:.0f}%",
                f"{100 * nats_cpu / wall:.0f}%" if nats_cpu is not None else "-",
                f"{100 * other_cpu / wall:.0f}%" if other_cpu is not None else "-",
            ]
        )
    return table(
        [
            "pipeline phase",
            "p50 ms: pickup / publish / consume",
            "p99 ms: same",
            "relay batches",
            "relay in publish",
            "python CPU",
            "nats CPU",
            "other CPU",
        ],
        rows,
    )


def ratios(results: dict[str, Any]) -> dict[str, float]:
    raw = results.get("raw", {})
    sequential = raw.get("publish_sequential", {}).get("rate_per_s")
    out: dict[str, float] = {}
    for phase in results.get("pipeline", {}).get("phases", []):
        if sequential and phase["mode"] == "flat-out":
            out[phase["name"]] = phase["events_per_s"] / sequential
    return out


def render(results: dict[str, Any]) -> str:
    parts = [
        header(results["machine"], results["started_at"], results.get("seconds")),
        load_note(results),
        "",
        main_table(results),
    ]
    if results.get("pipeline", {}).get("phases"):
        parts += [
            "",
            "Where an event's lag goes (pickup: commit -> relay batch start; publish: batch start "
            "-> PubAck; consume: PubAck -> audit entry recorded)",
            "",
            stage_table(results),
        ]
    http = [phase for phase in results.get("pipeline", {}).get("phases", []) if "http" in phase]
    if http:
        parts += ["", "POST /agreements, as the client saw it:"]
        for phase in http:
            response = phase["http"]["response"]
            to_entry = phase["http"]["request_to_audit_recorded"]
            parts.append(
                f"  {_phase_label(phase)}: response p50 {_ms(response['p50_ms'])} ms, "
                f"p99 {_ms(response['p99_ms'])} ms; request sent -> audit entry p50 "
                f"{_ms(to_entry['p50_ms'])} ms, p99 {_ms(to_entry['p99_ms'])} ms"
            )
    if results.get("ratios"):
        parts += [
            "",
            "pipeline flat-out rate as a share of the raw sequential publish rate:",
            *(f"  {name}: {value:.1%}" for name, value in results["ratios"].items()),
        ]
    return "\n".join(parts)


_FLAT_LIST = re.compile(r"\[\s+([^\[\]{}\"]*?)\s+\]")


def write_json(results: dict[str, Any], path: Path) -> None:
    """Indented JSON, with lists of plain numbers (the per-event rows) kept on one line each."""
    text = json.dumps(results, indent=2, default=str)
    text = _FLAT_LIST.sub(
        lambda match: "[" + ", ".join(part.strip() for part in match.group(1).split(",")) + "]",
        text,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
