"""A strict reader of the Prometheus text exposition format, version 0.0.4.

It checks what a scraper relies on, line by line, and returns the samples: metric and label
names match their grammar, label values use only the three escapes, every family has one
``# TYPE`` line before its samples and its samples are contiguous, no sample repeats, a counter's
samples carry the family's name, and a histogram's buckets are cumulative, ordered by ``le``,
end in ``+Inf`` equal to ``_count``, with ``_sum`` and ``_count`` present.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE = r"(?:[^\"\\\n]|\\[\\\"n])*"
NUMBER = r"(?:[+-]?Inf|NaN|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
PAIRS = rf"{LABEL}=\"{VALUE}\"(?:,{LABEL}=\"{VALUE}\")*,?"
SAMPLE = re.compile(rf"^({NAME})(\{{(?:{PAIRS})?\}})? ({NUMBER})(?: -?\d+)?$")
PAIR = re.compile(rf"({LABEL})=\"({VALUE})\"")
HELP = re.compile(rf"^# HELP ({NAME}) (.*)$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count", "")}

Labels = frozenset[tuple[str, str]]


@dataclass
class Family:
    name: str
    type: str
    help: str = ""
    samples: dict[tuple[str, Labels], float] = field(default_factory=dict)


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), value)


def _number(text: str) -> float:
    return float(text.replace("Inf", "inf"))


def parse(text: str) -> dict[str, Family]:
    """The families of an exposition; AssertionError naming the line that breaks the format."""
    assert text.endswith("\n"), "the exposition must end with a line feed"
    families: dict[str, Family] = {}
    helps: dict[str, str] = {}
    closed: set[str] = set()
    current: str | None = None
    for number, line in enumerate(text[:-1].split("\n"), start=1):
        where = f"line {number}: {line!r}"
        if not line:
            continue
        if line.startswith("#"):
            if match := HELP.match(line):
                assert match.group(1) not in helps, f"second HELP: {where}"
                escaped = re.fullmatch(r"(?:[^\\]|\\[\\n])*", match.group(2))
                assert escaped, f"bad HELP escape: {where}"
                helps[match.group(1)] = match.group(2)
            elif match := TYPE.match(line):
                name, kind = match.groups()
                assert name not in families, f"second TYPE for {name}: {where}"
                if current is not None:
                    closed.add(current)
                families[name] = Family(name, kind, helps.get(name, ""))
                current = name
            else:
                assert not line.startswith(("# HELP", "# TYPE")), f"malformed: {where}"
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample: {where}"
        sample, labels_text, value = match.groups()
        family = _family_of(sample, families)
        assert family is not None, f"sample before its TYPE line: {where}"
        assert family.name not in closed, f"family {family.name} is not contiguous: {where}"
        if family.name != current:
            raise AssertionError(f"sample outside its family block: {where}")
        labels = frozenset((key, _unescape(raw)) for key, raw in PAIR.findall(labels_text or ""))
        assert len(labels) == len(PAIR.findall(labels_text or "")), f"repeated label: {where}"
        assert (sample, labels) not in family.samples, f"repeated sample: {where}"
        family.samples[(sample, labels)] = _number(value)
    for family in families.values():
        _check_family(family)
    return families


def _family_of(sample: str, families: dict[str, Family]) -> Family | None:
    if sample in families:
        family = families[sample]
        return family if family.type not in ("histogram",) else None
    for name, family in families.items():
        for suffix in SUFFIXES.get(family.type, ()):
            if suffix and sample == name + suffix:
                return family
    return None


def _check_family(family: Family) -> None:
    if family.type == "counter":
        for (_, labels), value in family.samples.items():
            assert value >= 0 and not math.isnan(value), f"{family.name}{set(labels)}: {value}"
    if family.type != "histogram":
        return
    series: dict[Labels, list[tuple[float, float]]] = defaultdict(list)
    totals: dict[tuple[str, Labels], float] = {}
    for (sample, labels), value in family.samples.items():
        if sample.endswith("_bucket"):
            le = dict(labels).get("le")
            assert le is not None, f"{family.name}: bucket without le"
            series[labels - {("le", le)}].append((_number(le), value))
        else:
            totals[(sample, labels)] = value
    assert series, f"{family.name}: a histogram without buckets"
    for labels, buckets in series.items():
        bounds = [bound for bound, _ in buckets]
        assert bounds == sorted(bounds), f"{family.name}: buckets out of order"
        assert bounds[-1] == math.inf, f"{family.name}: no +Inf bucket"
        counts = [count for _, count in buckets]
        assert counts == sorted(counts), f"{family.name}: buckets not cumulative"
        count = totals.get((f"{family.name}_count", labels))
        assert count == counts[-1], f"{family.name}: _count {count} != +Inf bucket {counts[-1]}"
        assert (f"{family.name}_sum", labels) in totals, f"{family.name}: no _sum"


def value(families: dict[str, Family], sample: str, **labels: str) -> float:
    """The value of one sample (0 when it is absent: a counter that never moved)."""
    for family in families.values():
        for (name, have), found in family.samples.items():
            if name == sample and set(labels.items()) <= set(have):
                return found
    return 0.0


def total(families: dict[str, Family], sample: str, **labels: str) -> float:
    """The sum over every sample of that name whose labels include ``labels``."""
    return sum(
        found
        for family in families.values()
        for (name, have), found in family.samples.items()
        if name == sample and set(labels.items()) <= set(have)
    )
