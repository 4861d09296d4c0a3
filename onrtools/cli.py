"""`onr`: one command line, one subcommand per capability.

Each subcommand lives in the module that owns it as ``main(argv) -> int``; this file only
dispatches, so importing it stays cheap and every module keeps its own argparse.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "simulator": ("onrtools.simulator.server", "run the embedded ONR simulator on loopback"),
    "validate": ("onrtools.register.validation",
                 "validate a register file against ONR's import rules"),
    "import": ("onrtools.onr.import_command", "import a validated register in batches (resumable)"),
    "changes": ("onrtools.onr.changes", "read the change feed from the saved watermark"),
    "run": ("onrtools.pipeline.run", "run the notebook pipeline into reports/<run-id>/"),
    "demo": ("onrtools.pipeline.demo", "the whole pipeline against a seeded simulator"),
    "audit": ("onrtools.evidence", "verify the evidence ledger, show a run's manifest"),
    "duplicates": ("onrtools.duplicates.matching", "find suspected duplicates in a register"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: onr COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"onr: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
