"""Evidence of every run: what it did, kept where nobody can change it unseen.

Owns the workspace's ``ledger/`` (hash-chained, append-only) and what goes into it:

- :mod:`.scrub`: privacy of every record on its way in (hetus masked, names and secrets removed);
- :mod:`.store`: the ledger file, its lock, details, quarantine and retention (:class:`Ledger`);
- :mod:`.verify`: the whole chain, details and recorded output files checked
  (:func:`verify_ledger`, ``onr audit verify``);
- :mod:`.recorder`: a run's manifest, steps and events (:class:`EvidenceRecorder`);
- :mod:`.audit`: manifests read back, as data and text, and the ``onr audit`` command line.

Also here: :mod:`.kpi` (data-quality KPIs, their trend, open items by age) and
:mod:`.secrets_scan` (the scan of every output for secrets and hetus).

May import: :mod:`onrtools.register` (the hetu pattern), the base modules
(:mod:`onrtools.errors`, :mod:`onrtools.workspace`, :mod:`onrtools.secret_names`,
:mod:`onrtools.figures`) and its own modules; nothing that talks to ONR or runs the pipeline.
"""

from __future__ import annotations

from onrtools.evidence.audit import format_manifest, main, read_manifests, run_entries
from onrtools.evidence.recorder import EvidenceRecorder, clean_parameters
from onrtools.evidence.store import Ledger
from onrtools.evidence.verify import VerifyResult, verify_ledger

__all__ = [
    "EvidenceRecorder",
    "Ledger",
    "VerifyResult",
    "clean_parameters",
    "format_manifest",
    "main",
    "read_manifests",
    "run_entries",
    "verify_ledger",
]
