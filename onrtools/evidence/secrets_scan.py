"""Scan files for what must never be written down: secrets, tickets, sessions, full hetus.

``scan_paths(paths, secrets=[password])`` walks files and folders and returns a
:class:`Finding` per hit. It looks inside what a pipeline writes: text (CSV, HTML, JSON, logs),
notebooks (``.ipynb`` is JSON text), zip containers (``.xlsx``, ``.docx``: every member's XML),
SQLite databases (every text and blob value of every table) and other binary files (their
bytes, read as Latin-1, so strings inside a pickle or a parquet page are seen).

What counts as a hit (``Finding.kind``):

- ``secret``: one of the literal ``secrets`` given (a password, a client secret), also in its
  URL-encoded form;
- ``cas_ticket``: ``TGT-…``, ``ST-…``, ``PGT-…``, ``PT-…`` CAS tickets;
- ``session_cookie``: a ``JSESSIONID`` value;
- ``bearer_token``: ``Bearer …`` or a JSON Web Token (``eyJ….eyJ….…``);
- ``password_value``: ``password=…`` / ``"password": "…"`` with a value that is not masked;
- ``hetu``: a full, valid Finnish personal identity code (check character and date right);
  masked forms such as ``131052-****`` are not hits.

A finding's ``excerpt`` is masked itself, so a report of findings leaks nothing further.
``python -m onrtools.evidence.secrets_scan PATH...`` prints findings and exits 1 when there are any.
"""

from __future__ import annotations

import argparse
import fnmatch
import io
import os
import re
import sqlite3
import sys
import urllib.parse
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from onrtools.register import hetu as hetu_rules
from onrtools.secret_names import PASSWORD_NAME

KINDS = ("secret", "cas_ticket", "session_cookie", "bearer_token", "password_value", "hetu")
MAX_BYTES = 256 * 1024 * 1024  # larger files are read in part only; say so in a finding
SKIP_DIRS = frozenset({".git", "__pycache__", ".ipynb_checkpoints", ".venv", "node_modules"})

_TICKET = re.compile(r"(?<![A-Za-z0-9])((?:TGT|ST|PGT|PT)-[0-9A-Za-z._-]{16,})")
_SESSION = re.compile(r"JSESSIONID[\"']?\s*[=:]\s*[\"']?([0-9A-Za-z._-]{8,})")
_BEARER = re.compile(r"(?i)\bBearer\s+([0-9A-Za-z._~+/=-]{16,})")
_JWT = re.compile(r"\beyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}")
_PASSWORD = re.compile(
    r"(?i)\b(?:[A-Za-z_]*(?:" + PASSWORD_NAME.pattern + r"))"
    r"[\"']?\s*[=:]\s*[\"']?([^\s\"',;}{)&<]{3,})"
)
_NOT_A_PASSWORD = re.compile(
    r"^(?:\*+|none|null|nil|true|false|secretstr.*|<.*|\$\{?.*|%\(.*|os\.environ.*|getpass.*|"
    r"settings\..*|self\..*|args\..*|password|secret|env|redacted|masked|\.+|x+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    """One hit: which file, where inside it, what kind, and a masked excerpt."""

    path: str
    kind: str
    where: str  # "line 12", "xl/sharedStrings.xml line 1", "table tuonti column data row 3"
    excerpt: str  # masked: never the secret itself

    def __str__(self) -> str:
        return f"{self.path}: {self.where}: {self.kind}: {self.excerpt}"


def _mask_secret(value: str) -> str:
    return (value[:4] + "…" if len(value) > 8 else "") + f"[{len(value)} chars]"


def scan_text(text: str, *, secrets: Sequence[str] = (), hetus: bool = True,
              binary: bool = False) -> Iterator[tuple[str, int, str]]:
    """``(kind, offset, masked excerpt)`` for every hit in ``text``."""
    for secret in secrets:
        if not secret:
            continue
        forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
        for form in forms:
            start = text.find(form)
            while start >= 0:
                yield "secret", start, _mask_secret(form)
                start = text.find(form, start + len(form))
    for m in _TICKET.finditer(text):
        yield "cas_ticket", m.start(), m.group(1)[:4] + _mask_secret(m.group(1))
    for m in _SESSION.finditer(text):
        yield "session_cookie", m.start(), "JSESSIONID=" + _mask_secret(m.group(1))
    for m in _BEARER.finditer(text):
        yield "bearer_token", m.start(), "Bearer " + _mask_secret(m.group(1))
    for m in _JWT.finditer(text):
        yield "bearer_token", m.start(), "eyJ" + _mask_secret(m.group(0))
    for m in _PASSWORD.finditer(text):
        value = m.group(1)
        if not _NOT_A_PASSWORD.match(value):
            yield "password_value", m.start(), m.group(0)[: m.start(1) - m.start()] + _mask_secret(
                value)
    if hetus:
        # hetu shape; the check character, the date and the century sign are verified here
        pattern = hetu_rules.HETU_IN_BYTES if binary else hetu_rules.HETU_IN_TEXT
        for m in pattern.finditer(text):
            candidate = m.group(0)
            if hetu_rules.is_valid(candidate):
                yield "hetu", m.start(), hetu_rules.mask(candidate)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _decode(data: bytes) -> tuple[str, bool]:
    """Text and whether it is binary (NUL bytes) rather than text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), False
        except UnicodeDecodeError:
            pass
    head = data[:8192]
    if b"\x00" in head:
        return data.decode("latin-1"), True
    return data.decode("utf-8", errors="replace"), False


def _scan_blob(path: str, where: str, data: bytes, secrets: Sequence[str], hetus: bool
               ) -> Iterator[Finding]:
    text, binary = _decode(data)
    for kind, offset, excerpt in scan_text(text, secrets=secrets, hetus=hetus, binary=binary):
        at = f"byte {offset}" if binary else f"line {_line_of(text, offset)}"
        yield Finding(path, kind, f"{where} {at}".strip(), excerpt)
    if binary:  # UTF-16 strings inside binaries (Windows tools write them)
        wide = data.replace(b"\x00", b"").decode("latin-1")
        if wide != text:
            for kind, offset, excerpt in scan_text(wide, secrets=secrets, hetus=hetus,
                                                   binary=True):
                yield Finding(path, kind, f"{where} (UTF-16) char {offset}".strip(), excerpt)


def _scan_zip(path: str, data: bytes, secrets: Sequence[str], hetus: bool) -> Iterator[Finding]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            if info.is_dir():
                continue
            member = z.read(info.filename)[:MAX_BYTES]
            if member.startswith(b"PK\x03\x04"):
                yield from (Finding(f.path, f.kind, f"{info.filename}!{f.where}", f.excerpt)
                            for f in _scan_zip(path, member, secrets, hetus))
            else:
                yield from _scan_blob(path, info.filename, member, secrets, hetus)


def _scan_sqlite(path: Path, secrets: Sequence[str], hetus: bool) -> Iterator[Finding]:
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            cursor = conn.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - names from the db
            columns = [d[0] for d in cursor.description or []]
            for n, row in enumerate(cursor, start=1):
                for column, value in zip(columns, row, strict=False):
                    if isinstance(value, str):
                        text, binary = value, False
                    elif isinstance(value, bytes):
                        text, binary = _decode(value)
                    else:
                        continue
                    for kind, _, excerpt in scan_text(text, secrets=secrets, hetus=hetus,
                                                      binary=binary):
                        yield Finding(str(path), kind, f"table {table} column {column} row {n}",
                                      excerpt)
    finally:
        conn.close()


def scan_file(path: Path, *, secrets: Sequence[str] = (), hetus: bool = True) -> list[Finding]:
    """Every finding in one file (its format decides how it is opened)."""
    name = str(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        return [Finding(name, "unreadable", "", exc.strerror or type(exc).__name__)]
    findings: list[Finding] = []
    if len(data) > MAX_BYTES:
        data = data[:MAX_BYTES]
        findings.append(Finding(name, "truncated", "", f"only the first {MAX_BYTES} bytes read"))
    if data.startswith(b"SQLite format 3\x00"):
        try:
            findings += _scan_sqlite(path, secrets, hetus)
            return findings
        except sqlite3.Error:
            pass  # a torn or locked database: fall back to its bytes
    if data.startswith(b"PK\x03\x04"):
        try:
            findings += _scan_zip(name, data, secrets, hetus)
            return findings
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError):
            pass
    findings += _scan_blob(name, "", data, secrets, hetus)
    return findings


def iter_files(paths: Iterable[Path | str], *, skip: Sequence[str] = ()) -> Iterator[Path]:
    """Files under ``paths`` (recursively), minus ``skip`` globs (matched on the path)."""
    for root in paths:
        root = Path(root)
        if root.is_file():
            candidates: Iterable[Path] = [root]
        elif root.is_dir():
            candidates = _walk(root)
        else:
            continue
        for path in candidates:
            text = path.as_posix()
            if any(fnmatch.fnmatch(text, pattern) or fnmatch.fnmatch(path.name, pattern)
                   for pattern in skip):
                continue
            yield path


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path


def scan_paths(
    paths: Iterable[Path | str], *, secrets: list[str], hetus: bool = True,
    skip: Sequence[str] = (),
) -> list[Finding]:
    """Every finding in every file under ``paths``; ``secrets`` are literal values to look for.

    ``hetus=False`` looks for secrets only (for state that holds hetus on purpose, such as the
    pipeline's working copies of the register). ``skip``: glob patterns of files to leave out.
    """
    if isinstance(secrets, str):
        raise TypeError("secrets must be a list of strings, not one string")
    findings: list[Finding] = []
    for path in iter_files(paths, skip=skip):
        findings += scan_file(path, secrets=secrets, hetus=hetus)
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m onrtools.evidence.secrets_scan",
        description="Find passwords, CAS tickets, session cookies, tokens and full hetus in "
                    "files. Exit 1 when anything is found.")
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--secret-env", action="append", default=["ONR_PASSWORD",
                                                                  "ONR_CLIENT_SECRET"],
                        help="environment variables whose values are secrets to look for")
    parser.add_argument("--no-hetu", action="store_true", help="do not look for hetus")
    parser.add_argument("--skip", action="append", default=[], help="glob of files to skip")
    args = parser.parse_args(argv)
    secrets = [os.environ[name] for name in args.secret_env if os.environ.get(name)]
    findings = scan_paths(args.paths, secrets=secrets, hetus=not args.no_hetu, skip=args.skip)
    for finding in findings:
        print(finding)
    print(f"{len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
