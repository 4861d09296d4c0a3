"""Step 10 (notebook ``10-validate-register``): read and validate the register; keep the rows
to send and the problems for the later steps, and the problem files for people."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from onrtools.i18n import Messages, resolve_language
from onrtools.pipeline import display
from onrtools.pipeline.rundir import RunDir, resolve
from onrtools.pipeline.step_common import SEND_COLUMNS, run_environment, settings

if TYPE_CHECKING:
    from onrtools.register.read import RegisterFrame
    from onrtools.register.validation import ValidationResult

# Columns a local register may carry beyond ONR's row fields: what the local system stored
# last time (header, folded as register.header_key does → the name reconciliation uses).
# read_register sets them aside (ignored_columns); reconciliation needs them. A plain
# "oppijanumero" header means the person's OID to read_register, hence "stored_".
LOCAL_EXTRAS: dict[str, str] = {
    "storedoppijanumero": "oppijanumero",
    "storedyksiloity": "yksiloity",
    "organisaatio": "organisaatio",
    "organisation": "organisaatio",
}


def local_extras(raw: RegisterFrame, path: Path) -> pd.DataFrame | None:
    """The register's ``stored_oppijanumero``/``stored_yksiloity``/``organisaatio`` columns
    (as ``oppijanumero``/``yksiloity``/``organisaatio``), keyed by ``row_number``."""
    from onrtools.register.read import header_key

    source = raw.source
    wanted = {LOCAL_EXTRAS[header_key(h)]: h for h in source.ignored_columns
              if header_key(h) in LOCAL_EXTRAS}
    if not wanted:
        return None
    if source.format == "xlsx":
        table = pd.read_excel(path, sheet_name=source.sheet or 0, dtype=str)
    else:
        table = pd.read_csv(path, sep=source.separator or ",", encoding=source.encoding or "utf-8",
                            dtype=str, keep_default_na=False)
    table.columns = [str(c).strip() for c in table.columns]
    extras = pd.DataFrame({key: table[header].fillna("").astype(str).str.strip()
                           for key, header in wanted.items() if header in table.columns})
    extras["row_number"] = range(2, len(table) + 2)  # header is line 1, as read_register counts
    return extras


def _with_extras(register: pd.DataFrame, extras: pd.DataFrame | None) -> pd.DataFrame:
    if extras is None or "row_number" not in register.columns:
        return register
    keep = [c for c in extras.columns if c != "row_number" and c not in register.columns]
    return register.merge(extras[["row_number", *keep]], on="row_number", how="left")


@dataclass
class ValidationStep:
    """What step 10 produced: the validation result and the files written for people."""

    result: ValidationResult
    register: pd.DataFrame
    problems: pd.DataFrame
    to_send: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    language: str = "fi"

    def overview(self) -> pd.DataFrame:
        """Rows read, to send, rejected; errors and warnings (labels in the step's language)."""
        t = Messages(self.language)
        sev = self.problems["severity"].value_counts() if len(self.problems) else {}
        return pd.DataFrame({t("steps.column.count"): {
            t("steps.validate.rows_read"): len(self.register),
            t("steps.validate.rows_valid"): len(self.to_send),
            t("steps.validate.rows_rejected"): len(self.register) - len(self.to_send),
            t("steps.validate.errors"): int(sev.get("error", 0)),
            t("steps.validate.warnings"): int(sev.get("warning", 0)),
        }})

    def counts(self) -> pd.DataFrame:
        """Problems per code and severity."""
        if self.problems.empty:
            return pd.DataFrame(columns=["code", "severity", "rows"])
        return (self.problems.groupby(["code", "severity"]).size().rename("rows")
                .reset_index().sort_values("rows", ascending=False, ignore_index=True))

    def counts_table(self) -> pd.DataFrame:
        """:meth:`counts` for the page: the column headers in the step's language (the codes
        and severities stay as ONR and the files name them)."""
        t = Messages(self.language)
        return self.counts().rename(columns={"code": t("steps.column.code"),
                                             "severity": t("steps.column.severity"),
                                             "rows": t("reconcile.column.rows")})


def validate(
    run: RunDir, register_file: str, *, sheet: str | None = None, target_env: str = "",
    override_reason: str | None = None, language: str | None = None, api: str = "oppija",
    strict: bool = False, columns: str | dict[str, str] | None = None,
) -> ValidationStep:
    """Read and validate the register; keep the rows to send and the problems for later steps.

    ``api`` names the import API whose rules apply; ``strict`` makes the two rules ONR does not
    enforce on ``PUT /oppija`` errors (see ``validation.validate_register``); ``columns`` maps
    file headers the reader does not know to ONR fields (``{"Employee ID": "tunniste"}`` or
    ``"Employee ID=tunniste; Nro=oid"``); ``language`` (fi, sv or en; empty: ``ONR_LANGUAGE``,
    else fi) is that of the messages and the overview, and of the RegisterReadError raised
    when the file cannot be read at all."""
    from onrtools.errors import RegisterReadError
    from onrtools.register.read import column_mapping, read_register
    from onrtools.register.validation import validate_register

    language = resolve_language(language)
    target = run_environment(run, settings(), confirm=target_env)
    path = resolve(register_file)
    try:
        raw = read_register(path, sheet=sheet or None, columns=column_mapping(columns),
                            language=language)
    except RegisterReadError as exc:  # the page and the run summary show it: in its language
        raise exc.in_language(language) from None
    result = validate_register(raw, target_env=target, override_reason=override_reason or None,
                               language=language, api=api, strict=strict)
    register = _with_extras(raw.frame, local_extras(raw, path))
    problems = result.problems
    # flat, one column per ONR field, up to the request body (register.tuonti_row builds it)
    to_send = result.valid_rows[list(SEND_COLUMNS)].reset_index(drop=True)
    run.save_frame("register", register)
    run.save_frame("problems", problems)
    run.save_frame("to_send", to_send)
    files = [
        display.write_csv(problems, run.report_dir / "validation" / "problems.csv"),
        display.write_xlsx({"problems": problems}, run.report_dir / "validation" / "problems.xlsx"),
    ]
    step = ValidationStep(result, register, problems, to_send, files, language)
    severities = problems["severity"].value_counts().to_dict() if len(problems) else {}
    run.write_facts("validate", {
        "register_file": path.name, "register_sha256": _sha256(path),
        "register_path": str(path),
        "rows_read": len(register), "rows_to_send": len(to_send),
        "rows_rejected": len(register) - len(to_send),
        "errors": int(severities.get("error", 0)), "warnings": int(severities.get("warning", 0)),
        "by_code": step.counts().groupby("code")["rows"].sum().to_dict() if len(problems) else {},
    })
    return step


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
