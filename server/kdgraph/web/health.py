"""/health: what this server serves (version, size, SHACL conformance) and whether anything is wrong.

``status`` is ``degraded`` with ``reasons`` when the last reload of this server failed (the
previous version keeps serving), when the warm-up of the served version failed (a full disk:
dumps cannot be offered), or when a file of the served build is gone or resized (the server is
asked to rebuild it). Everything comes from this server process's own shared status, not from
files an earlier process left.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from flask import Blueprint, current_app, jsonify

from ..data_state import warm_marker
from ..runtime import NO_ISOLATION, network_isolation_problem
from ..state_dir import StateDir

blueprint = Blueprint("health", __name__)


@blueprint.route("/health")
def health():  # type: ignore[no-untyped-def]
    runtime = current_app.extensions["kdgraph"]
    served = runtime.served()
    last = runtime.last_reload()
    reasons = []
    if last is not None and not last["ok"]:
        reasons.append(f"the last reload failed ({last['error']}); still serving version {served.version}")
    warm = _warm(runtime.config.state_dir, served.version)
    failed_warmup = runtime.warmup_failure(served.version)
    if warm is None and failed_warmup:
        reasons.append(f"the warm-up failed ({failed_warmup}); dumps are not available")
    damaged = None
    if served.build and runtime.is_latest():  # (an older build may just have been retired)
        damaged = StateDir(runtime.config.state_dir).missing_files(Path(served.build))
    if damaged:
        reasons.append(f"a file of the served build is damaged ({damaged}); rebuilding")
        _ask_for_rebuild(runtime)
    return jsonify(
        {
            "status": "degraded" if reasons else "ok",
            "reasons": reasons,
            "version": served.version,
            "triples": served.triples,
            "data_triples": served.data_triples,
            "conforms": served.conforms,
            "violations": served.violations,
            "warnings": served.warnings,
            "loaded_at": served.loaded_at,
            "graphs": served.graphs,
            **_network_isolation(served),
            "warm": warm,
            "last_reload": last,
            "engines_of_this_worker": runtime.engine_load(),
        }
    )


def _network_isolation(served) -> dict:  # type: ignore[no-untyped-def]
    """Whether this server's engines are cut off from the network (``query.isolation``).

    Not a degraded state (nothing can be repaired by serving another version), but a guarantee
    the operator must know is missing: without it only the pre-check keeps SERVICE out. None on
    an external store, which evaluates the queries itself.
    """
    if served.backend:
        return {"network_isolation": None}
    problem = network_isolation_problem()
    if problem is None:
        return {"network_isolation": True}
    return {"network_isolation": False, "network_isolation_problem": f"{NO_ISOLATION} ({problem})"}


def _ask_for_rebuild(runtime) -> None:  # type: ignore[no-untyped-def]
    """A reload verifies the served build against its manifest and rebuilds it (see data_state)."""
    if runtime.status is not None:
        os.kill(os.getppid(), signal.SIGHUP)  # the main process: its preparation thread does the work


def _warm(state_dir: Path, version: str) -> dict | None:
    """Whether the dumps of this version are written (see warmup)."""
    try:
        record = json.loads(warm_marker(state_dir, version).read_text(encoding="utf-8"))
        return {"seconds": record["seconds"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None
