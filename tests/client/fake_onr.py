"""A tiny ONR for httpx.MockTransport: CAS, the import endpoints and a scripted change feed.

Only what the edge-case tests need that the real simulator should not fake on purpose:
exact control over when a session expires, which answer fails and how.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx

SERVICE = "/oppijanumerorekisteri-service"
BASE = "http://onr.test"
PASSWORD = "s3cret-Pa55"
OWN_OID = "1.2.246.562.98.10000000017"


class FakeOnr:
    def __init__(self, *, chunk: int = 100) -> None:
        self.chunk = chunk
        self.tgts: set[str] = set()
        self.sessions: set[str] = set()
        self.counter = itertools.count(1)
        self.tuontis: dict[int, dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []
        self.tgt_requests = 0
        self.st_requests = 0
        # scripted faults: each a callable(request) -> httpx.Response | None, consumed in order
        self.faults: list[Callable[[httpx.Request], httpx.Response | None]] = []
        self.stall = False
        self.restarts = 0
        self.deny_tuontidata = False
        self.feed: list[dict[str, Any]] = []  # change feed entries {oid, master}
        self.on_feed_request: Callable[[int], None] | None = None
        self.feed_requests = 0

    # ------------------------------------------------------------ plumbing
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path.startswith("/cas/"):
            return self.cas(request)
        if path == SERVICE + "/j_spring_cas_security_check":
            ticket = request.url.params.get("ticket", "")
            if not ticket.startswith("ST-"):
                return httpx.Response(401)
            session = f"SESS{next(self.counter)}secret"
            self.sessions.add(session)
            return httpx.Response(302, headers={"Location": SERVICE + "/",
                                                "Set-Cookie": f"JSESSIONID={session}; Path=/"})
        session = _cookie(request, "JSESSIONID")
        if session not in self.sessions:
            return httpx.Response(302, headers={"Location": BASE + "/cas/login?service=x"})
        if self.faults:
            fault = self.faults.pop(0)
            response = fault(request)
            if response is not None:
                return response
        return self.api(request)

    def cas(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        path = request.url.path
        if path == "/cas/v1/tickets":
            self.tgt_requests += 1
            if form.get("password") != [PASSWORD]:
                return httpx.Response(401, text="bad credentials")
            tgt = f"TGT-{next(self.counter)}-abcdef"
            self.tgts.add(tgt)
            return httpx.Response(201, headers={"Location": f"{BASE}/cas/v1/tickets/{tgt}"})
        tgt = path.rsplit("/", 1)[-1]
        self.st_requests += 1
        if tgt not in self.tgts:
            return httpx.Response(404)
        return httpx.Response(200, text=f"ST-{next(self.counter)}-xyz")

    def expire_sessions(self) -> None:
        self.sessions.clear()

    # ------------------------------------------------------------ API
    def api(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(SERVICE)
        method = request.method
        if method == "PUT" and path in ("/oppija", "/yleistunniste"):
            return _json(self.put(json.loads(request.content), path.strip("/")))
        if path.startswith(("/oppija/tuonti=", "/yleistunniste/tuonti=")):
            tid = int(path.split("=", 1)[1].split("/")[0])
            if tid not in self.tuontis:
                return _json({"status": 404, "error": "Not Found"}, 404)
            if path.endswith("/perustiedot"):
                return _json(self.progress(tid))
            if method == "POST":
                self.restarts += 1
                snapshot = self.perustiedot(tid)
                self.tuontis[tid]["stalled"] = False
                return _json(snapshot)
            t = self.tuontis[tid]
            if t["done"] == 0:
                return _json({"status": 403, "error": "Forbidden"}, 403)
            rows = [self.result_row(r, t) for r in t["rows"][: t["done"]]]
            rows.reverse()  # row order is not input order in ONR either
            return _json({**self.perustiedot(tid), "henkilot": rows})
        if path == "/oppija/tuontikooste":
            return _json(self.kooste(request.url.params))
        if path.startswith("/oppija/tuontidata/"):
            if self.deny_tuontidata:
                return _json({"status": 401, "error": "Unauthorized"}, 401)
            tid = int(path.rsplit("/", 1)[1])
            rows = self.tuontis[tid]["rows"]
            return _json([{"tunniste": r.get("tunniste"), "henkilo": {
                "etunimet": r["henkilo"].get("etunimet")}} for r in rows])
        if path == "/oppija/muuttuneet":
            return _json(self.muuttuneet(request.url.params))
        if path.startswith("/henkilo/") and method == "GET":
            oid = path.split("/")[2]
            return _json({"oidHenkilo": oid, "hetu": "010190-9981"})
        return _json({"status": 404, "error": "Not Found", "path": path}, 404)

    def put(self, body: dict[str, Any], api: str) -> dict[str, Any]:
        tid = 1000 + len(self.tuontis) + 1
        self.tuontis[tid] = {"rows": body["henkilot"], "done": 0, "api": api.upper(),
                             "timestamp": int(time.time() * 1000), "stalled": self.stall}
        return self.perustiedot(tid)

    def perustiedot(self, tid: int) -> dict[str, Any]:
        t = self.tuontis[tid]
        n = len(t["rows"])
        return {"id": tid, "kasiteltavia": n, "kasiteltyja": t["done"], "kasitelty": t["done"] >= n}

    def progress(self, tid: int) -> dict[str, Any]:
        t = self.tuontis[tid]
        if not t["stalled"]:
            t["done"] = min(len(t["rows"]), t["done"] + self.chunk)
        return self.perustiedot(tid)

    @staticmethod
    def oid_for(tunniste: str) -> str:
        return f"1.2.246.562.98.{abs(hash(tunniste)) % 10**11:011d}"

    def result_row(self, row: dict[str, Any], t: dict[str, Any]) -> dict[str, Any]:
        oid = self.oid_for(row["tunniste"])
        return {"tunniste": row["tunniste"], "conflict": False, "henkilo": {
            "oid": oid, "oppijanumero": oid, "hetu": row["henkilo"].get("hetu"),
            "etunimet": row["henkilo"].get("etunimet"), "passivoitu": False, "linked": []}}

    def kooste(self, params: httpx.QueryParams) -> dict[str, Any]:
        items = [{"id": tid, "oid": OWN_OID, "author": None, "timestamp": t["timestamp"],
                  "total": len(t["rows"]), "inProgress": len(t["rows"]) - t["done"],
                  "successful": 0, "failures": len(t["rows"]), "conflicts": 0, "api": t["api"]}
                 for tid, t in self.tuontis.items()]
        if params.get("id"):
            items = [k for k in items if k["id"] == int(params["id"])]
        items.sort(key=lambda k: (k["timestamp"], k["id"]), reverse=True)
        size = int(params.get("pageSize", 20))
        page = int(params.get("page", 1))
        content = items[(page - 1) * size: page * size]
        pages = -(-len(items) // size)
        return {"content": content, "totalElements": len(items), "totalPages": pages,
                "numberOfElements": len(content), "number": page - 1, "size": size,
                "first": page == 1, "last": page >= pages, "empty": not content}

    # ------------------------------------------------------------ change feed
    def touch(self, oid: str, muokattu: int, master_oid: str | None = None) -> None:
        """(Re)insert a person into the feed with a new modification time."""
        self.feed = [e for e in self.feed if e["oid"] != oid]
        self.feed.append({"oid": oid, "master": {"oid": master_oid or oid, "muokattu": muokattu,
                                                 "hetu": "010190-9981", "passivoitu": False}})

    def muuttuneet(self, params: httpx.QueryParams) -> dict[str, Any]:
        self.feed_requests += 1
        if self.on_feed_request is not None:
            self.on_feed_request(self.feed_requests)
        since = params.get("muokattuJalkeen")
        items = sorted(self.feed, key=lambda e: e["master"]["muokattu"])
        if since is not None:
            items = [e for e in items if e["master"]["muokattu"] >= int(since)]
        count, page = int(params.get("count", 20)), int(params.get("page", 1))
        results = items[(page - 1) * count: page * count]
        pages = -(-len(items) // count)
        return {"number": page, "size": count, "results": results,
                "totalElements": len(items), "numberOfElements": len(results),
                "totalPages": pages, "first": page == 1, "last": pages == page}


def _cookie(request: httpx.Request, name: str) -> str | None:
    for part in request.headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _json(data: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=data)


# ---------------------------------------------------------------- scripted faults
def status(code: int, body: Any = None) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(code, json=body or {"status": code})


def raise_(exc: type[httpx.TransportError]) -> Callable[[httpx.Request], None]:
    def fault(request: httpx.Request) -> None:
        raise exc("injected", request=request)
    return fault


def process_then(fake: FakeOnr, exc: type[httpx.TransportError]
                 ) -> Callable[[httpx.Request], None]:
    """ONR processes the request, then the connection drops before the answer arrives."""
    def fault(request: httpx.Request) -> None:
        fake.api(request)
        raise exc("connection dropped after processing", request=request)
    return fault


def passthrough() -> Callable[[httpx.Request], None]:
    return lambda request: None
