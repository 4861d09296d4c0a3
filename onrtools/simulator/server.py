"""`onr simulator`: the embedded ONR on 127.0.0.1, and `SimulatorServer` to run it in-process.

One process holds the registry (SQLite file, survives restarts), the HTTP server (uvicorn) and
a background worker that does what ONR's executors do: import chunks continuously, and in
`--identification scheduled` mode the VTJ identification job every `--identification-interval`
seconds. The population is seeded only into a store that holds no person yet.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from onrtools.simulator.app import create_app
from onrtools.simulator.auth import AuthService, load_users
from onrtools.simulator.faults import HELP, FaultConfig, FaultInjector
from onrtools.simulator.gateway import ABORT_EXTENSION, SERVICE, SimContext

log = logging.getLogger(__name__)

DEFAULT_DB = Path("workspace") / "simulator.sqlite"
IDENTIFICATION_MODES = ("immediate", "scheduled", "off")
# How far the simulator behaves like which ONR (REST.md §1, environment table):
# * default: identification right after each chunk; tests and the demo may put people into
#   the simulated VTJ (Registry.add_vtj), so imports identify them at once;
# * testi: as testi/untuva/hahtuva: identification off (oppijanumero stays empty until a person
#   identifies), and the test VTJ knows only its fixed seed people (nothing can be added:
#   /yleistunniste/hae with a made-up hetu answers 404).
PROFILES: dict[str, dict[str, Any]] = {
    "default": {"identification": "immediate", "vtj_fixed": False},
    "testi": {"identification": "off", "vtj_fixed": True},
}


class AbortableH11(H11Protocol):
    """uvicorn's h11 protocol plus a scope extension that drops the TCP connection (faults)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inner = self.app

        async def app(scope: Any, receive: Any, send: Any) -> None:
            scope.setdefault("extensions", {})[ABORT_EXTENSION] = self.transport.abort
            await inner(scope, receive, send)

        self.app = app

    def connection_made(self, transport: Any) -> None:  # noqa: D102
        # Without TCP_NODELAY a kept-alive connection waits ~40 ms per response (Nagle against
        # the client's delayed ACK): every request after the first one paid it.
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


@dataclass
class SimulatorConfig:
    """Everything `onr simulator` takes on its command line."""

    host: str = "127.0.0.1"
    port: int = 8765  # 0 = any free port
    db_path: Path = DEFAULT_DB
    seed: int = 0
    population: int = 1000
    identification: str | None = None  # None: the profile's
    identification_interval: float = 10.0
    users_file: Path | None = None
    strict_caller_id: bool = False
    faults: FaultConfig = field(default_factory=FaultConfig)
    oid_node: int = 98
    profile: str = "default"  # PROFILES; an explicit identification mode wins over its default


class SimulatorServer:
    """Registry + HTTP server + background worker; `start()` runs them in threads."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._worker: threading.Thread | None = None
        self._stop = threading.Event()
        self.registry: Any = None
        self.ctx: SimContext | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def open(self) -> None:
        """Open (and if new, seed) the registry, bind the socket, build the app."""
        from onrtools.simulator.state import Registry  # the behaviour core (sim-core)

        c = self.config
        if c.profile not in PROFILES:
            raise ValueError(f"profile must be one of {sorted(PROFILES)}")
        profile = PROFILES[c.profile]
        c.identification = c.identification or profile["identification"]
        if c.identification not in IDENTIFICATION_MODES:
            raise ValueError(f"identification must be one of {IDENTIFICATION_MODES}")
        c.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.registry = Registry(c.db_path, seed=c.seed, oid_node=c.oid_node,
                                 identification=c.identification)
        self.registry.vtj_fixed = profile["vtj_fixed"]
        # seed a new (empty) store only: a restart must find exactly what it left
        if c.population > 0 and self.registry.admin_state()["persons"] == 0:
            started = time.perf_counter()
            self.registry.seed_population(c.population, rng_seed=c.seed)
            log.info("seeded %d persons in %.1f s", c.population, time.perf_counter() - started)
        self._socket = _bind(c.host, c.port)
        self.port = self._socket.getsockname()[1]
        auth = AuthService(load_users(c.users_file),
                           issuer=f"http://{c.host}:{self.port}/kayttooikeus-service")
        self.ctx = SimContext(self.registry, auth, FaultInjector(),
                              strict_caller_id=c.strict_caller_id)
        self.ctx.apply_faults(c.faults)
        self.app = create_app(self.ctx)
        self._server = uvicorn.Server(uvicorn.Config(
            self.app, http=AbortableH11, lifespan="off", log_level="warning",
            access_log=False,  # uvicorn's access log would print ?ticket= query strings
            date_header=False,  # the Gateway sends the simulator's clock instead
            timeout_graceful_shutdown=2,
            timeout_keep_alive=60,  # as a load balancer in front of ONR; fewer reconnect races
        ))

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    def start(self) -> None:
        """Serve in a background thread; returns when the server accepts connections."""
        self.open()
        assert self._server is not None
        server = self._server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self._socket]}, name="onr-simulator-http",
            daemon=True,
        )
        self._thread.start()
        self._start_worker()
        deadline = time.monotonic() + 30
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator's HTTP server did not start")
            time.sleep(0.01)

    def serve_forever(self, *, announce: bool = False) -> None:
        """Serve in this thread until SIGINT/SIGTERM (the CLI)."""
        self.open()
        assert self._server is not None and self.ctx is not None
        if announce:
            print(f"ONR simulator on {self.base_url}{SERVICE} (db {self.config.db_path}; "
                  f"users {', '.join(self.ctx.auth.users)})", file=sys.stderr, flush=True)
        self._start_worker()
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._shutdown()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._shutdown()

    def _shutdown(self) -> None:
        self._stop.set()
        if self._worker is not None:
            self._worker.join(timeout=10)
            self._worker = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self.registry is not None:
            self.registry.close()
            self.registry = None

    # -- background work -------------------------------------------------------------------------
    def _start_worker(self) -> None:
        self._stop.clear()
        self._worker = threading.Thread(target=self._work, name="onr-simulator-worker",
                                        daemon=True)
        self._worker.start()

    def _work(self) -> None:
        registry = self.registry
        scheduled = self.config.identification == "scheduled"
        interval = self.config.identification_interval
        next_identification = time.monotonic() + interval
        while not self._stop.is_set():
            busy = False
            try:
                busy = bool(registry.process_next_chunk())
                if scheduled and time.monotonic() >= next_identification:
                    registry.run_identification()
                    next_identification = time.monotonic() + interval
            except Exception:  # a broken chunk must not kill the worker; ONR logs and goes on
                log.exception("simulator background job failed")
            if not busy:
                self._stop.wait(0.05)
            elif registry.import_chunk_s:  # the pace of the one shared import queue
                self._stop.wait(registry.import_chunk_s)


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


# -- command line --------------------------------------------------------------------------------
def _fault_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("faults (also settable at run time: PUT /__admin/faults)")
    for f in dataclasses.fields(FaultConfig):
        flag = "--fault-" + f.name.replace("_", "-")
        dest = "fault_" + f.name
        text = HELP.get(f.name)
        if f.type in ("bool", bool):
            group.add_argument(flag, dest=dest, action="store_true", help=text)
        elif f.name in ("match", "error_statuses"):
            group.add_argument(flag, dest=dest, metavar="A,B", help=text)
        elif f.type in ("float", float):
            group.add_argument(flag, dest=dest, type=float, metavar="SHARE", help=text)
        else:
            group.add_argument(flag, dest=dest, type=int, metavar="N", help=text)


def _faults_from(args: argparse.Namespace) -> FaultConfig:
    data: dict[str, Any] = {}
    for f in dataclasses.fields(FaultConfig):
        value = getattr(args, "fault_" + f.name)
        if value is None or value is False:
            continue
        if f.name == "match":
            value = [v.strip() for v in value.split(",") if v.strip()]
        elif f.name == "error_statuses":
            value = [int(v) for v in value.split(",") if v.strip()]
        data[f.name] = value
    return FaultConfig.from_dict(data)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="onr simulator",
                                description="Run the embedded ONR simulator on loopback.")
    p.add_argument("--host", default="127.0.0.1", help="bind address (loopback only)")
    p.add_argument("--port", type=int, default=8765, help="0 = any free port")
    p.add_argument("--db", type=Path, default=DEFAULT_DB, help="SQLite file (kept across runs)")
    p.add_argument("--seed", type=int, default=0, help="makes the population and ids reproducible")
    p.add_argument("--population", type=int, default=1000,
                   help="synthetic persons to create when the store holds no person yet")
    p.add_argument("--profile", choices=sorted(PROFILES), default="default",
                   help="default: identification at once, VTJ open to test data; testi: as "
                   "ONR's test environments (identification off, VTJ knows only its seed "
                   "people)")
    p.add_argument("--identification", choices=IDENTIFICATION_MODES, default=None,
                   help="identification mode (default: the profile's)")
    p.add_argument("--identification-interval", type=float, default=10.0,
                   help="seconds between identification runs in scheduled mode")
    p.add_argument("--users", type=Path, default=None, help="users.toml (default: packaged)")
    p.add_argument("--strict-caller-id", action="store_true",
                   help="answer 400 to ONR requests without a Caller-Id header")
    p.add_argument("--oid-node", type=int, default=98, help="person OID node (QA = 98)")
    _fault_flags(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.host not in {"127.0.0.1", "localhost", "::1"} and not args.host.startswith("127."):
        print("onr simulator: binds to loopback only", file=sys.stderr)
        return 2
    try:
        faults = _faults_from(args)
    except ValueError as exc:
        print(f"onr simulator: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = SimulatorConfig(
        host=args.host, port=args.port, db_path=args.db, seed=args.seed,
        population=args.population, identification=args.identification,
        identification_interval=args.identification_interval, users_file=args.users,
        strict_caller_id=args.strict_caller_id, faults=faults, oid_node=args.oid_node,
        profile=args.profile,
    )
    SimulatorServer(config).serve_forever(announce=True)
    return 0
