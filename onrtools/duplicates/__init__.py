"""Step 50 of the pipeline: suspected duplicates, their review and the requests to OPH.

Owns the matcher (:mod:`.matching`: blocking, comparison, model, clusters), the check of rows
without a hetu before they are imported (:mod:`.preimport`), reviewers' decisions
(:mod:`.review`) and the merge and unlink request packages (:mod:`.request_packages`).

May import: :mod:`onrtools.register`, the base modules and its own modules; nothing that talks
to ONR (the steps in :mod:`onrtools.pipeline` hand it what ONR said).
"""
