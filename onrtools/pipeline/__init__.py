"""The pipeline the notebooks are: one module of work per notebook step, and its runs.

Owns what each notebook calls (:mod:`.steps`, the notebooks' public surface, and
:mod:`.display`, tables and plots), a run's folders and the frames passed between steps
(:mod:`.rundir`, :mod:`.frames`), the papermill run ``onr run`` (:mod:`.run`), the HTML report
(:mod:`.report`, :mod:`.audit_report`, :mod:`.xlsx`) and the demo (:mod:`.demo`,
:mod:`.demo_register`, :mod:`.demo_checks`).

May import everything below it: :mod:`onrtools.register`, :mod:`onrtools.onr`,
:mod:`onrtools.reconcile`, :mod:`onrtools.duplicates`, :mod:`onrtools.evidence`, the base
modules, and (for the demo only) :mod:`onrtools.simulator`. Nothing imports it but the command
line and the notebooks.
"""
