"""The capacity model behind docs/scaling.md (bench/capacity.py): its arithmetic, and the page
showing what the model computes today."""

from dataclasses import replace
from pathlib import Path

from bench.capacity import SIMULATED, Costs, Workload, markdown, size

SCALING = Path(__file__).resolve().parents[2] / "docs" / "scaling.md"


def test_the_sizing_table_in_the_docs_is_the_models_output() -> None:
    page = SCALING.read_text()
    for table in (markdown(), markdown(costs=SIMULATED)):
        assert table in page, "docs/scaling.md is out of date: paste `python -m bench.capacity`"


def test_ten_times_the_organisations_is_ten_times_the_events_and_the_cores() -> None:
    small, large = size(1_000), size(10_000)
    assert large.events_per_day == 10 * small.events_per_day
    assert large.peak_events_per_s == 10 * small.peak_events_per_s
    assert abs(large.service_cores - 10 * small.service_cores) < 1e-9


def test_every_service_keeps_two_replicas_however_small_the_platform() -> None:
    assert all(count >= 2 for count in size(1).replicas.values())


def test_the_busiest_minute_follows_the_share_of_the_busiest_hour_and_the_burst() -> None:
    flat = Workload(busiest_hour_share=1 / 24, burst=1.0)
    found = size(24 * 3600, workload=flat)
    per_day = flat.console_reads + flat.console_writes + flat.logins + flat.external_events
    assert abs(found.peak_events_per_s - per_day) < 1e-6


def test_storage_names_the_first_bottleneck_when_access_events_dominate() -> None:
    assert size(1_000).first_bottleneck.startswith("audit storage")
    cheap_disk = replace(Costs(), audit_bytes_per_entry=1.0)
    assert not size(1_000, costs=cheap_disk).first_bottleneck.startswith("audit storage")


def test_more_partitions_once_the_busiest_minute_passes_what_one_audit_consumer_takes() -> None:
    costs = Costs()
    workload = Workload(console_reads=0, console_writes=0, logins=0)
    at_limit = costs.audit_partition_events_per_s * workload.utilisation
    organisations = int(3 * at_limit * 3600 / (workload.busiest_hour_share * workload.burst))
    organisations //= int(workload.external_events)
    assert size(organisations, workload=workload).audit_partitions == 3
