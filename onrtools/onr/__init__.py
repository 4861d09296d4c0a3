"""Talking to ONR: settings, authentication, HTTP policy, models, the client and what it does.

Owns the settings (:mod:`.config`), CAS and OAuth2 (:mod:`.auth`), timeouts and retries
(:mod:`.http_policy`), the call log (:mod:`.calls`), ONR's DTOs (:mod:`.models`), the client
(:mod:`.client`), the import in batches and its journal (:mod:`.batch_import`,
:mod:`.journal`) and the change feed with its watermarks (:mod:`.changes`).

May import: :mod:`onrtools.register` (rows, hetu, OID rules), the base modules
(:mod:`onrtools.errors`, :mod:`onrtools.workspace`, :mod:`onrtools.gc_guard`,
:mod:`onrtools.secret_names`) and its own modules.
"""
