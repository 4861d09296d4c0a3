"""Step 10 of the pipeline: the institution's register, read and checked against ONR's rules.

Owns reading a register export (CSV, XLSX) and mapping its columns (:mod:`.read`), validation
(:mod:`.validation`) with its messages (:mod:`.messages`), the rules of the values themselves
(:mod:`.hetu`, :mod:`.oid`, :mod:`.names`, :mod:`.codes`), the one builder of ONR's import row
(:mod:`.tuonti_row`) and what a spreadsheet cell may hold (:mod:`.spreadsheet`).

May import: the package's base modules (:mod:`onrtools.errors`, :mod:`onrtools.gc_guard`) and
its own modules; nothing that talks to ONR, keeps evidence or runs the pipeline.
"""
