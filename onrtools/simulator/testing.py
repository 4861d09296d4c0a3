"""Start a simulator for a test, a notebook run or a benchmark: `running_simulator(workdir)`.

    with running_simulator(tmp_path, population=50) as sim:
        httpx.get(sim.base_url + "/oppijanumerorekisteri-service/actuator/health")
        sim.admin("PUT", "/__admin/faults", json={"error_rate": 0.5})

In-process (default): uvicorn in a thread, `sim.registry` is the live Registry.
`subprocess=True`: `python -m onrtools.cli simulator …` in a child process, for restart and
crash tests (`sim.kill()`, then `sim.restart()` on the same database and port).
Both bind 127.0.0.1 on a free port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess as sp
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from onrtools.simulator.faults import FaultConfig
from onrtools.simulator.gateway import SERVICE
from onrtools.simulator.server import SimulatorConfig, SimulatorServer

HEALTH = SERVICE + "/actuator/health"
DEFAULT_PASSWORD = "simulator"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SimHandle:
    """A running simulator: its URL, database and controls."""

    def __init__(
        self, workdir: Path, *, seed: int, population: int, identification: str | None,
        faults: dict[str, Any] | None, strict_caller_id: bool, subprocess: bool,
        db_path: Path | None = None, ready_timeout: float = 120.0,
        identification_interval: float = 10.0, profile: str = "default",
    ) -> None:
        self.workdir = Path(workdir)
        self.profile = profile
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db_path = db_path or self.workdir / "simulator.sqlite"
        self.seed = seed
        self.population = population
        self.identification = identification
        self.identification_interval = identification_interval
        self.faults = dict(faults or {})
        self.strict_caller_id = strict_caller_id
        self.subprocess = subprocess
        self.ready_timeout = ready_timeout
        self.port = free_port()
        self._server: SimulatorServer | None = None
        self._proc: sp.Popen[bytes] | None = None
        self._log_file: Any = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_url(self) -> str:
        return self.base_url + SERVICE

    @property
    def pid(self) -> int:
        """The simulator's process id (this process when in-process)."""
        return self._proc.pid if self._proc is not None else os.getpid()

    @property
    def registry(self) -> Any:
        """The live Registry (in-process only)."""
        if self._server is None:
            raise RuntimeError("registry is only reachable in-process")
        return self._server.registry

    @property
    def server(self) -> SimulatorServer:
        if self._server is None:
            raise RuntimeError("no in-process server")
        return self._server

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SimHandle:
        if self.subprocess:
            self._start_process()
        else:
            self._server = SimulatorServer(SimulatorConfig(
                port=self.port, db_path=self.db_path, seed=self.seed,
                population=self.population, identification=self.identification,
                identification_interval=self.identification_interval,
                strict_caller_id=self.strict_caller_id,
                faults=FaultConfig.from_dict(self.faults), profile=self.profile,
            ))
            self._server.start()
        return self

    def stop(self) -> None:
        """Stop gracefully (in-process: uvicorn exits, registry closed; subprocess: SIGTERM)."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.send_signal(signal.SIGTERM)
                try:
                    self._proc.wait(timeout=15)
                except sp.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(timeout=15)
            self._proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def kill(self) -> None:
        """SIGKILL the subprocess: a crash, nothing flushed on the way out."""
        if self._proc is None:
            raise RuntimeError("kill() needs subprocess=True")
        self._proc.kill()
        self._proc.wait(timeout=15)
        self._proc = None

    def restart(self) -> SimHandle:
        """Stop (if running) and start again on the same database and port."""
        self.stop()
        return self.start()

    # -- helpers ---------------------------------------------------------------------------------
    def admin(self, method: str, path: str, json: Any = None) -> Any:
        """Call an admin endpoint (`/__admin/...`) and return its JSON; raises on non-2xx."""
        if not path.startswith("/"):
            path = "/" + path
        if not path.startswith("/__admin"):
            path = "/__admin" + path
        response = httpx.request(method, self.base_url + path, json=json, timeout=120)
        response.raise_for_status()
        return response.json() if response.content else None

    def login(self, username: str, password: str = DEFAULT_PASSWORD,
              client: httpx.Client | None = None) -> httpx.Client:
        """An httpx.Client holding a CAS session for `username` (TGT → ST → JSESSIONID)."""
        client = client or httpx.Client(base_url=self.base_url, timeout=60,
                                        headers={"Caller-Id": "onrtools.simulator.testing"})
        tgt = client.post("/cas/v1/tickets", data={"username": username, "password": password})
        if tgt.status_code != 201:
            raise RuntimeError(f"CAS refused {username}: {tgt.status_code}")
        st = client.post(tgt.headers["location"],
                         data={"service": self.service_url + "/j_spring_cas_security_check"})
        st.raise_for_status()
        opened = client.get(SERVICE + "/j_spring_cas_security_check", params={"ticket": st.text})
        if opened.status_code != 302:
            raise RuntimeError(f"session not opened: {opened.status_code}")
        return client

    def _start_process(self) -> None:
        args = [
            sys.executable, "-m", "onrtools.cli", "simulator", "--port", str(self.port),
            "--db", str(self.db_path), "--seed", str(self.seed),
            "--population", str(self.population),
            "--identification-interval", str(self.identification_interval),
            "--profile", self.profile,
        ]
        if self.identification:
            args += ["--identification", self.identification]
        if self.strict_caller_id:
            args.append("--strict-caller-id")
        args += fault_args(self.faults)
        self._log_file = open(self.workdir / "simulator.log", "ab")  # noqa: SIM115
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONR_")}
        self._proc = sp.Popen(args, stdout=self._log_file, stderr=sp.STDOUT, env=env)
        deadline = time.monotonic() + self.ready_timeout
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"simulator exited with {self._proc.returncode}; "
                                   f"see {self.workdir / 'simulator.log'}")
            try:
                if httpx.get(self.base_url + HEALTH, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"simulator not ready within {self.ready_timeout:.0f} s")
            time.sleep(0.1)


def fault_args(faults: dict[str, Any]) -> list[str]:
    """A fault dict as `onr simulator --fault-…` flags."""
    FaultConfig.from_dict(faults)  # reject typos before starting a process
    out: list[str] = []
    for name, value in faults.items():
        flag = "--fault-" + name.replace("_", "-")
        if isinstance(value, bool):
            out += [flag] if value else []
        elif isinstance(value, list):
            out += [flag, ",".join(map(str, value))]
        else:
            out += [flag, str(value)]
    return out


@contextlib.contextmanager
def running_simulator(
    workdir: Path, *, seed: int = 1, population: int = 200,
    identification: str | None = None, profile: str = "default",
    faults: dict[str, Any] | None = None, strict_caller_id: bool = False,
    subprocess: bool = False, ready_timeout: float = 120.0,
    identification_interval: float = 10.0,
) -> Iterator[SimHandle]:
    """A simulator on 127.0.0.1 for the duration of the block; state in `workdir`.

    `ready_timeout` bounds the wait for a subprocess (seeding a large population takes time).
    """
    handle = SimHandle(
        workdir, seed=seed, population=population, identification=identification,
        faults=faults, strict_caller_id=strict_caller_id, subprocess=subprocess,
        ready_timeout=ready_timeout, identification_interval=identification_interval,
        profile=profile,
    )
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()
