"""The capacity model of docs/scaling.md: from measured costs to a platform's size.

    python -m bench.capacity              # the tables of docs/scaling.md, as Markdown
    python -m bench.capacity --json       # the same figures as JSON

Pure arithmetic, no I/O: every input is a named figure below with the run it comes from, so that
a new measurement changes one number and ``docs/scaling.md`` is regenerated from it (a unit test
fails while the page and this module disagree). The model sizes a platform for its **busiest
minute**: a day's work per organisation (``Workload``), the share of it that falls in the busiest
hour (the office-hours profile of ``bench/simulation.py``), a burst factor within that hour, and
a target utilisation that leaves headroom for a replica's loss.
"""

import argparse
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

SIZES = (100, 1_000, 10_000)


@dataclass(frozen=True)
class Costs:
    """CPU milliseconds on one core of the reference machine (2.6 GHz AMD EPYC), measured."""

    # An audited read (GET /agreements/{id}) end to end: the service, its relay, nats-server and
    # the audit consumer. Quiet full-stack run, 2026-11-28 (docs/performance.md, "full stack"):
    # agreements 3.11, audit 1.69, nats-server about 0.3.
    audited_read_ms: float = 5.1
    # An audited write (POST /agreements): agreements 4.14, audit 2.41, nats-server about 0.3.
    audited_write_ms: float = 6.9
    # An access event from the processor's own application (POST /audit/events): not measured
    # separately; taken as an audited write, whose path it shares (token, validation, outbox,
    # relay, ingest).
    external_event_ms: float = 6.9
    # PostgreSQL's own CPU per event (outbox insert and mark, inbox claim, entry and tree rows):
    # the audit ingest bench's server side is not measured; the fault proof's runs give about a
    # third of the services' cost. An estimate, stated as such in docs/scaling.md.
    postgres_per_event_ms: float = 2.0
    # A password login: argon2id m=19 MiB, t=2 (88 verifications/s on 2 quiet cores, 22.7 ms
    # each) times the measured login/verify ratio on PostgreSQL, 1.9 to 2.1 (docs/performance.md,
    # "identity").
    login_ms: float = 45.0
    # One audit consumer (partition) ingests 12,183 entries/s into PostgreSQL when it has a core
    # (bench.audit --small, quiet, 2026-12-06).
    audit_partition_events_per_s: float = 12_183.0
    # One relay publishes to JetStream one event at a time: 7,393 PubAcks/s on one quiet node;
    # a three-replica stream needs a quorum per PubAck, taken as half of that.
    relay_events_per_s: float = 3_700.0
    # A Python replica's resident memory (peak RSS, 122 to 137 MiB, quiet full-stack run).
    replica_mib: float = 140.0
    # Idle CPU per replica (polling relays and consumers, timers): 0.04 to 0.07 cores per service
    # of two replicas in bench.simulation, 2026-12-07.
    replica_idle_cores: float = 0.035
    # Disk per audit entry with its indexes, Merkle nodes and sealed personal data, PostgreSQL
    # (bench.simulation's audit schema size over its 1,574 entries, 2026-12-07: 2,405 bytes,
    # the tables' fixed pages included, so an upper bound).
    audit_bytes_per_entry: float = 2_400.0


# The same costs as bench.simulation measured them on 2026-12-07 beyond the processes' idle CPU:
# PostgreSQL, two replicas per service, a three-node cluster with the stream on three replicas,
# on a saturated machine (load 17 to 22 on 2 cores) whose contention inflates CPU time, and at
# rates so low that the audit consumer's batches hold one or two events. Per audited request:
# agreements 8.15 ms, audit 7.68, the three NATS nodes 4.84, PostgreSQL 5.9 (shared with other
# work, so an upper bound). The model run on these gives the pessimistic bound of each size.
SIMULATED = Costs(
    audited_read_ms=20.7,
    audited_write_ms=20.7,
    external_event_ms=20.7,
    postgres_per_event_ms=5.9,
)


@dataclass(frozen=True)
class Workload:
    """What one organisation does on a working day (assumptions, not measurements)."""

    console_reads: float = 150.0  # its people reading agreements, notices and the log
    console_writes: float = 15.0  # instructions, decisions, users, settings
    logins: float = 20.0  # ten people, some twice (30-minute idle timeout)
    external_events: float = 5_000.0  # accesses to personal data in the processor's application
    busiest_hour_share: float = 0.127  # bench.simulation.DAY: the busiest hour / the whole day
    burst: float = 2.0  # the busiest minute against the busiest hour's average
    utilisation: float = 0.6  # plan cores to 60 %: a replica's loss and a rollout fit
    retention_years: float = 2.0  # audit entries kept online (older ones exported and archived)


@dataclass(frozen=True)
class Limits:
    """What one PostgreSQL server is planned for (assumptions from common practice, stated)."""

    postgres_cores: float = 16.0
    postgres_online_tib: float = 4.0  # beyond this, backup and restore leave the recovery time


@dataclass(frozen=True)
class Size:
    organisations: int
    events_per_day: float
    peak_events_per_s: float
    peak_logins_per_s: float
    service_cores: float
    postgres_cores: float
    replicas: dict[str, int] = field(default_factory=dict)
    audit_partitions: int = 1
    nats_nodes: int = 3
    memory_gib: float = 0.0
    audit_tib_per_year: float = 0.0
    audit_tib_online: float = 0.0
    postgres_servers: int = 1
    pressures: dict[str, float] = field(default_factory=dict)

    @property
    def first_bottleneck(self) -> str:
        """The resource nearest its limit, and how near (its load over its limit)."""
        name = max(self.pressures, key=lambda key: self.pressures[key])
        return f"{name} ({self.pressures[name]:.0%})"


def size(
    organisations: int,
    costs: Costs = Costs(),
    workload: Workload = Workload(),
    limits: Limits = Limits(),
) -> Size:
    """The platform ``organisations`` need, sized for their busiest minute."""
    w = workload
    per_day = w.console_reads + w.console_writes + w.logins + w.external_events
    events_per_day = organisations * per_day
    peak = w.busiest_hour_share * w.burst / 3600.0
    peak_events = events_per_day * peak
    peak_logins = organisations * w.logins * peak
    read_cores = organisations * w.console_reads * peak * costs.audited_read_ms / 1000
    write_cores = organisations * w.console_writes * peak * costs.audited_write_ms / 1000
    external_cores = organisations * w.external_events * peak * costs.external_event_ms / 1000
    login_cores = peak_logins * costs.login_ms / 1000
    service_cores = (read_cores + write_cores + external_cores + login_cores) / w.utilisation
    postgres_cores = peak_events * costs.postgres_per_event_ms / 1000 / w.utilisation
    partitions = max(
        1, math.ceil(peak_events / (costs.audit_partition_events_per_s * w.utilisation))
    )
    # Access events enter through audit's API and leave through audit's outbox relay; the
    # console's reads and writes through agreements' and identity's.
    external_events = organisations * w.external_events * peak
    audit_relays = math.ceil(external_events / (costs.relay_events_per_s * w.utilisation))
    # Each service gets at least two replicas (one may fail); more where its cores demand.
    replicas = {
        "identity": max(2, math.ceil(login_cores / w.utilisation)),
        "agreements": max(2, math.ceil((read_cores + write_cores) / w.utilisation)),
        "audit": max(2, partitions, audit_relays, math.ceil(external_cores / w.utilisation)),
        "notifier": 2,
        "console": max(2, math.ceil(read_cores / w.utilisation)),
    }
    per_year = events_per_day * 250 * costs.audit_bytes_per_entry / 2**40  # working days
    online = per_year * w.retention_years
    servers = max(
        math.ceil(postgres_cores / limits.postgres_cores),
        math.ceil(online / limits.postgres_online_tib),
        1,
    )
    pressures = {
        "audit storage in one PostgreSQL": online / limits.postgres_online_tib,
        "PostgreSQL CPU": postgres_cores / limits.postgres_cores,
        "one audit partition's ingest": peak_events / costs.audit_partition_events_per_s,
        "one relay's publish rate": external_events / costs.relay_events_per_s,
    }
    return Size(
        organisations=organisations,
        events_per_day=events_per_day,
        peak_events_per_s=peak_events,
        peak_logins_per_s=peak_logins,
        service_cores=service_cores,
        postgres_cores=postgres_cores,
        replicas=replicas,
        audit_partitions=partitions,
        nats_nodes=3 if peak_events < 20_000 else 5,
        memory_gib=sum(replicas.values()) * costs.replica_mib / 1024,
        audit_tib_per_year=per_year,
        audit_tib_online=online,
        postgres_servers=servers,
        pressures=pressures,
    )


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.0f}"
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def markdown(sizes: tuple[int, ...] = SIZES, costs: Costs = Costs()) -> str:
    """A sizing table of docs/scaling.md: ``costs`` applied to each size."""
    found = [size(organisations, costs=costs) for organisations in sizes]
    rows: list[tuple[str, Callable[[Size], str]]] = [
        ("events per working day", lambda s: _number(s.events_per_day)),
        ("busiest minute, events/s", lambda s: _number(s.peak_events_per_s)),
        ("busiest minute, logins/s", lambda s: _number(s.peak_logins_per_s)),
        ("service cores (at 60 %)", lambda s: _number(s.service_cores)),
        ("PostgreSQL cores (at 60 %)", lambda s: _number(s.postgres_cores)),
        ("replicas: identity / agreements / audit / notifier / console",
         lambda s: " / ".join(str(n) for n in s.replicas.values())),
        ("audit partitions", lambda s: str(s.audit_partitions)),
        ("NATS nodes (stream on 3 replicas)", lambda s: str(s.nats_nodes)),
        ("service memory, GiB", lambda s: _number(s.memory_gib)),
        ("audit log growth, TiB per year", lambda s: _number(s.audit_tib_per_year)),
        ("audit log online (2 years), TiB", lambda s: _number(s.audit_tib_online)),
        ("PostgreSQL servers", lambda s: str(s.postgres_servers)),
        ("load over limit: audit storage / PostgreSQL CPU / one partition / one relay",
         lambda s: " / ".join(f"{value:.0%}" for value in s.pressures.values())),
        ("first bottleneck", lambda s: s.first_bottleneck),
    ]  # fmt: skip
    header = "| | " + " | ".join(f"{s.organisations:,} organisations" for s in found) + " |"
    lines = [header, "|---|" + "---:|" * len(found)]
    lines += [f"| {name} | " + " | ".join(cell(s) for s in found) + " |" for name, cell in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__)
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    arguments = parser.parse_args(argv)
    if arguments.json:
        found = {
            "measured": [asdict(size(n)) for n in SIZES],
            "simulated": [asdict(size(n, costs=SIMULATED)) for n in SIZES],
        }
        print(json.dumps(found, indent=2))
    else:
        print("With the costs measured per component on a quiet machine:\n")
        print(markdown())
        print("\nWith the costs the simulation measured (a saturated machine, an upper bound):\n")
        print(markdown(costs=SIMULATED))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
