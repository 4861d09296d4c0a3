"""Person and organisation OIDs of Opintopolku (REST.md §8).

A person OID is ``1.2.246.562.<node>.<N><C>``: ``N`` is 10 digits without a leading zero and
``C`` one check digit. Node 24 (production) uses the "IBM 7-3-1" reference-number method
(weights 7, 3, 1, 7, … from the rightmost digit of ``N``); every other node (98 testi/QA, 198
untuva/dev, 298 hahtuva) uses Luhn. ONR itself never checks the format of OIDs it receives, so
these checks catch our own typos, not ONR's refusals. Fixed well-known OIDs such as
``1.2.246.562.24.00000000001`` do not follow the rule and are not valid person OIDs here.
"""

from __future__ import annotations

import random
import re

import numpy as np
import pandas as pd

PREFIX = "1.2.246.562."
ENVIRONMENTS: dict[int, str] = {24: "prod", 98: "testi", 198: "untuva", 298: "hahtuva"}
NODES: dict[str, int] = {env: node for node, env in ENVIRONMENTS.items()}
_PERSON_RE = re.compile(r"^1\.2\.246\.562\.([1-9][0-9]*)\.([1-9][0-9]{9})([0-9])$")
_ORGANISATION_RE = re.compile(r"^1\.2\.246\.562\.10\.[0-9]+$")
_NODE_RE = re.compile(r"^1\.2\.246\.562\.([0-9]+)\.[0-9]+$")


def _ibm731(body: str) -> str:
    weights = (7, 3, 1)
    total = sum(int(ch) * weights[i % 3] for i, ch in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def _luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        digit = int(ch)
        if i % 2 == 0:  # the rightmost digit of the body is doubled (the check digit follows)
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def check_digit(body: str, node: int) -> str:
    """The check digit ONR appends to the 10-digit ``body`` on ``node``."""
    if not body.isascii() or not body.isdigit():
        raise ValueError("an OID body is digits only")
    return _ibm731(body) if node == 24 else _luhn(body)


def is_valid_person_oid(oid: object) -> bool:
    """True for ``1.2.246.562.<node>.<10 digits, no leading zero><check digit>``."""
    if not isinstance(oid, str):
        return False
    match = _PERSON_RE.match(oid)
    if not match:
        return False
    node, body, check = int(match.group(1)), match.group(2), match.group(3)
    if node == 10:  # organisations, not persons
        return False
    return check_digit(body, node) == check


def is_organisation_oid(oid: object) -> bool:
    """True for an organisation OID ``1.2.246.562.10.<digits>`` (check digit not verified)."""
    return isinstance(oid, str) and _ORGANISATION_RE.match(oid) is not None


def node_of(oid: object) -> int | None:
    """The node (``24``, ``98``, …) of an Opintopolku OID, or None if it is not one."""
    if not isinstance(oid, str):
        return None
    match = _NODE_RE.match(oid)
    return int(match.group(1)) if match else None


def environment_of(oid: object) -> str | None:
    """ "prod", "testi", "untuva" or "hahtuva" from the OID's node; None for other nodes."""
    node = node_of(oid)
    return ENVIRONMENTS.get(node) if node is not None else None


def generate_person_oid(rng: random.Random, node: int = 98) -> str:
    """A new valid person OID on ``node`` (default 98, the testi/QA node)."""
    if node <= 0 or node == 10:
        raise ValueError(f"node {node} is not a person node")
    body = str(rng.randrange(1_000_000_000, 10_000_000_000))
    return f"{PREFIX}{node}.{body}{check_digit(body, node)}"


def valid_person_oid_series(s: pd.Series) -> pd.Series:
    """Element-wise :func:`is_valid_person_oid` as a bool Series (missing values are False)."""
    text = s.astype("str")
    shaped = text.str.fullmatch(r"1\.2\.246\.562\.[1-9][0-9]*\.[1-9][0-9]{10}")
    hit = shaped.to_numpy(dtype=bool, na_value=False)
    out = np.zeros(len(s), dtype=bool)
    if hit.any():
        chosen = text[hit]
        node = chosen.str.slice(12).str.split(".").str[0].astype("int64").to_numpy()
        tail = chosen.str.slice(-11).tolist()
        digits = np.array(tail, dtype="S11").view(np.uint8).reshape(-1, 11)
        d = digits.astype(np.int64) - 48
        body = d[:, :10][:, ::-1]  # rightmost body digit first
        ibm = (body * np.resize(np.array([7, 3, 1]), 10)).sum(axis=1)
        doubled = body[:, 0::2] * 2
        luhn = np.where(doubled > 9, doubled - 9, doubled).sum(axis=1) + body[:, 1::2].sum(axis=1)
        total = np.where(node == 24, ibm, luhn)
        out[hit] = ((10 - total % 10) % 10 == d[:, 10]) & (node != 10)
    return pd.Series(out, index=s.index, name=s.name)
