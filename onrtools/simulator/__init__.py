"""The embedded ONR: a real HTTP server speaking ONR's protocol, with state in SQLite.

Owns ONR's behaviour in plain Python (:mod:`.state` and the modules it composes: world,
persons, tuonti, identification, duplicates, feed, trigram, vtj) under a thin HTTP layer
(:mod:`.app`, :mod:`.routes`, :mod:`.gateway`, :mod:`.server`), and :mod:`.testing` to start one.
See README.md (running it) and BEHAVIOUR.md (what it does).

May import: :mod:`onrtools.register` (ONR's own rules for hetu, OID and names) and its own
modules; nothing of the client side. Only the tests, the benchmarks and the demo
(:mod:`onrtools.pipeline.demo`) start it.
"""
