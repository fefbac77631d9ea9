"""/health: what this server serves (version, size, SHACL conformance) and whether anything is wrong.

``status`` is ``degraded`` with ``reasons`` when the last reload of this server failed (the
previous version keeps serving), when a file of the served build is not as its manifest says
(``damaged``: which file, what is wrong, since when), or when this worker shed long queries in
the last minute (see ``query.supervised.EnginePool``: what it sheds and why). What is served and
how the last reload went come from this server process's own shared status, not from files an
earlier process left.

It only reads: a load balancer polls it, and a read must not change what is served. The repair
of a damaged build belongs to the preparation, which verifies the build against its manifest and
rebuilds it on a reload (SIGHUP) or a restart; until then this says so, and a damaged dump is
not sent (/dumps answers 503).
"""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, current_app, jsonify

from kdgraph.serving.worker import NO_ISOLATION, network_isolation_problem
from kdgraph.store.served_data import ServedData
from kdgraph.store.state_dir import build_check

blueprint = Blueprint("health", __name__)


@blueprint.route("/health")
def health() -> Response:
    runtime = current_app.extensions["kdgraph"]
    served = runtime.served()
    last = runtime.last_reload()
    reasons = []
    if last is not None and not last["ok"]:
        reasons.append(f"the last reload failed ({last['error']}); still serving version {served.version}")
    damaged = None
    if served.build and runtime.is_latest():  # (an older build may just have been retired)
        damaged = build_check(served.build).first_damage()
    if damaged:
        reasons.append(
            f"a file of the served build is damaged ({damaged}); a reload (SIGHUP) or a restart "
            "verifies the build and prepares the version anew"
        )
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
            "damaged": asdict(damaged) if damaged else None,
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


def _network_isolation(served: ServedData) -> dict:
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
