"""One result of a check, whichever check made it (a SHACL shape or a direct check in Python)."""

from __future__ import annotations

from dataclasses import dataclass

SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True)
class Finding:
    severity: str  # Violation | Warning | Info
    shape: str
    focus: str
    path: str | None
    value: str | None
    messages: dict[str, list[str]]  # language -> messages
    location: str | None  # file:line of the statement at fault (else of the focus node's first one)

    def message(self, lang: str) -> str:
        texts = self.messages.get(lang) or self.messages.get("en") or self.messages.get("") or []
        return " — ".join(texts)
