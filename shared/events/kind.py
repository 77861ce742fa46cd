"""An event kind: a type name, its payload model, and the requirements it evidences."""

import builtins
from dataclasses import dataclass

from pydantic import BaseModel

from shared.events.subjects import parse_type

ACCESS_VERBS = frozenset({"viewed", "listed", "exported"})


@dataclass(frozen=True)
class EventKind:
    type: str
    payload: builtins.type[BaseModel]
    requirements: tuple[str, ...]
    summary: str

    def __post_init__(self) -> None:
        parse_type(self.type)  # refuse a malformed type at import time
        if not self.requirements:
            raise ValueError(f"{self.type} names no requirement it evidences")

    @property
    def service(self) -> str:
        return parse_type(self.type)[0]

    @property
    def is_access(self) -> bool:
        """A read ("consultatie", TOM-T3a) rather than a change."""
        return parse_type(self.type)[2] in ACCESS_VERBS
