"""The one definition of the names whose values are secret.

Its own base module so that everything that must know them imports it without importing what
else uses it: the HTTP policy's log filter (:mod:`onrtools.onr.http_policy`), the ledger's
scrubbing (:mod:`onrtools.evidence.scrub`), the scanner (:mod:`onrtools.evidence.secrets_scan`)
and the pipeline's parameter check. Imports nothing of onrtools.
"""

from __future__ import annotations

import re

# The one definition of secret names. SECRET_NAME: a setting, parameter, evidence key or log
# field whose value is secret (the ledger removes it, the pipeline refuses it as a notebook
# parameter, the HTTP policy's log filter redacts ``name=value``). PASSWORD_NAME: the part of
# it whose values have no shape of their own to scan for (tickets, sessions and tokens do), so
# the scanner looks for ``name=value`` with these names only. A guard test
# (tests/test_one_home.py) fails when another module writes its own list.
SECRET_WORDS = (r"passw(?:or)?d|(?<![a-z])pass(?![a-z])|pwd|secret|token|ticket|cookie"
                r"|jsessionid|(?<![a-z])session(?![a-z])|credential|api_?key|authorization")
SECRET_NAME = re.compile(SECRET_WORDS, re.IGNORECASE)
PASSWORD_NAME = re.compile(r"passw(?:or)?d|pwd|client_secret", re.IGNORECASE)
