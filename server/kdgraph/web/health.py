"""/health: what is served (version, size, SHACL conformance) and how the last reload went."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, current_app, jsonify

from ..data_state import read_reload, warm_marker

blueprint = Blueprint("health", __name__)


@blueprint.route("/health")
def health():  # type: ignore[no-untyped-def]
    runtime = current_app.extensions["kdgraph"]
    served = runtime.served()
    last = read_reload(runtime.config.state_dir)
    return jsonify(
        {
            "status": "ok" if (last is None or last["ok"]) else "degraded",
            "version": served.version,
            "triples": served.triples,
            "data_triples": served.data_triples,
            "conforms": served.conforms,
            "violations": served.violations,
            "warnings": served.warnings,
            "loaded_at": served.loaded_at,
            "graphs": served.graphs,
            "warm": _warm(runtime.config.state_dir, served.version),
            "last_reload": last,
        }
    )


def _warm(state_dir: Path, version: str) -> dict | None:
    """Whether dumps and saved-query answers of this version are written (see warmup)."""
    try:
        return json.loads(warm_marker(state_dir, version).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
