"""Running the app under gunicorn (several workers), with data reload on SIGHUP.

The arbiter prepares the data before any worker starts; on SIGHUP it prepares the edited
data aside, and switches every worker over only if it loads and conforms (see data_state).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from gunicorn.app.base import BaseApplication
from gunicorn.config import KNOWN_SETTINGS

from . import warmup
from .config import ServerConfig
from .data_state import reload
from .web.app import create_app


class KdgraphServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, config: ServerConfig, data: Sequence[Path] | None, options: dict, backend: str | None):
        self.server_config, self.data, self.options, self.backend = config, data, options, backend
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("on_reload", self._on_reload)

    def _on_reload(self, arbiter) -> None:  # type: ignore[no-untyped-def]
        logging.getLogger("kdgraph").info("SIGHUP: reloading data from %s", self.data or "bundled data")
        if reload(self.server_config.state_dir, self.data, self.server_config.base, self.backend):
            warmup.start(self.server_config)

    def load(self):  # type: ignore[no-untyped-def]
        return create_app(self.server_config)


def run(
    config: ServerConfig,
    data: Sequence[Path] | None,
    host: str,
    port: int,
    workers: int,
    backend: str | None = None,
) -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s", force=True)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        # gunicorn's own watchdog must be later than our query deadline, which answers 503 first
        "timeout": int(config.query_timeout) + 30,
        "graceful_timeout": 10,
        # GET queries up to our own request limit (gunicorn's default 4094 bytes answered HTML 414);
        # the read-request step applies the limit with a plain-text 414 (query.request_reader)
        "limit_request_line": 0,
        "errorlog": "-",
        "loglevel": "info",
    }
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        options["control_socket_disable"] = True  # gunicorn >= 27: no shared ~/.gunicorn socket
    warmup.start(config)  # dumps and saved-query answers, while the workers already serve
    KdgraphServer(config, data, options, backend).run()
