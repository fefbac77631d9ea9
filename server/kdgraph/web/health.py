"""/health: what this server serves (version, size, SHACL conformance) and whether anything is wrong.

``status`` is ``degraded`` with ``reasons`` when the last reload of this server failed (the
previous version keeps serving), when the warm-up of the served version failed (a full disk:
dumps cannot be offered), when a file of the served build is gone or resized (the server is
asked to rebuild it), or when this worker shed long queries in the last minute (see
``query.supervised.EnginePool``: what it sheds and why). Everything comes from this server
process's own shared status, not from files an earlier process left.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from flask import Blueprint, current_app, jsonify

from kdgraph.serving.worker import NO_ISOLATION, network_isolation_problem
from kdgraph.store.served_data import warm_marker
from kdgraph.store.state_dir import StateDir

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
    load = runtime.engine_load()
    if load and load["shed_last_minute"]:
        reasons.append(
            f"shedding load: {load['shed_last_minute']} long-running queries from "
            f"{load['addresses_shed_last_minute']} address(es) were stopped or refused in the last "
            f"minute in this worker, as long queries may hold at most {load['long_queries_at_most']} "
            "of its engines at once (the others are kept for short queries)"
        )
    xml_locations = f"{runtime.config.base}id/xml-location/"
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
            # Graphs of imported XML (one per element: 38,222 for 180 dossiers) are counted, not
            # listed: a load balancer polls /health; the service description and SPARQL list them.
            "graphs": [g for g in served.graphs if not g.startswith(xml_locations)],
            "xml_location_graphs": sum(1 for g in served.graphs if g.startswith(xml_locations)),
            **_network_isolation(served),
            "warm": warm,
            "last_reload": last,
            "engines_of_this_worker": load,
            "connections_closed_by_this_worker": _connections_closed(),
        }
    )


def _connections_closed() -> dict | None:
    """Connections this worker closed since it started, by reason (see connection_guard); None
    outside a server."""
    guard = current_app.extensions.get("kdgraph.connections")
    return dict(guard.closed) if guard is not None else None


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
