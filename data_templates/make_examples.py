"""(Re)create the templates and the synthetic example registers in this folder.

    .venv/bin/python data_templates/make_examples.py

Deterministic (seeded): running it again gives the same CSV files. Synthetic people only: every
hetu is in the test range 900–999, OIDs are on the testi node 98, e-mail domains are
example.org/.com. The example plants a few problems (listed in PLANTED) so that a validation
report has something to show; tests/test_register.py checks they are found.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from onrtools.register import hetu, oid
from onrtools.register.read import COLUMNS as REGISTER_COLUMNS

HERE = Path(__file__).resolve().parent
COLUMNS = list(REGISTER_COLUMNS)  # one column per ONR row field, as the reader knows them
# Finnish headers people use in exports: the XLSX example uses these (read_register maps them)
FINNISH_HEADERS = [
    "Opiskelijanumero",
    "Henkilö-OID",
    "Henkilötunnus",
    "Passinumero",
    "Sähköposti",
    "Etunimet",
    "Kutsumanimi",
    "Sukunimi",
    "Syntymäaika",
    "Sukupuoli",
    "Äidinkieli",
    "Kansalaisuus",
]
MALE = ["Juhani", "Matti", "Elias", "Väinö", "Oskari", "Ilmari", "Johan", "Veli-Matti", "Eero"]
FEMALE = ["Maria", "Aino", "Helmi", "Anna-Liisa", "Linnéa", "Åsa", "Sofia", "Kaarina", "Lumi"]
SURNAMES = [
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Hämäläinen",
    "Laine",
    "Sjöberg",
    "Öhman",
    "Järvinen",
    "Lindqvist",
    "Heikkinen",
    "Grönroos",
]
FOREIGN = [
    ("752", "SV", ["Erik", "Ebba"], ["Svensson", "Lind"]),
    ("233", "ET", ["Kadri", "Mart"], ["Tamm", "Saar"]),
    ("276", "DE", ["Lukas", "Lea"], ["Müller", "Schäfer"]),
    ("250", "FR", ["Zoë", "Noël"], ["Lefèvre", "Dubois"]),
    ("704", "VI", ["Minh", "Lan"], ["Nguyễn", "Trần"]),
]
# row index (0-based among the 50) -> what is wrong with it; the code validation reports
PLANTED: dict[int, tuple[str, str]] = {
    5: ("hetu check character typo", "invalid.hetu"),
    11: ("Finnish citizen without hetu", "hetu.required.for.finnish"),
    17: ("kutsumanimi not among the first names", "kutsumanimi.must.exist.in.etunimet"),
    23: ("same tunniste as the row before", "tunniste.duplicate"),
    29: ("e-mail without @", "invalid.sahkoposti"),
    34: ("unknown nationality code", "invalid.kansalaisuus"),
    38: ("birth date disagrees with the hetu", "syntymaaika.differs.from.hetu"),
    41: ("sex written as a letter", "invalid.sukupuoli"),
    31: ("no hetu, no sex (a warning)", "hetuless.details.missing"),
    44: ("the person of row 3 again under another tunniste (a warning)", "hetu.duplicate"),
    47: ("spreadsheet formula in a name", "value.formula"),
}


def example_rows(n: int = 50, seed: int = 2024) -> list[dict[str, str]]:
    """``n`` synthetic register rows with the problems of :data:`PLANTED` (for n ≥ 48)."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for i in range(n):
        row = dict.fromkeys(COLUMNS, "")
        row["tunniste"] = f"OPI{1000 + i}"
        sex = rng.choice("12")
        born = date(1975, 1, 1) + timedelta(days=rng.randrange(30 * 365))
        if i % 8 == 7:  # a foreign student without a Finnish hetu
            nationality, language, firsts, lasts = rng.choice(FOREIGN)
            row["etunimet"] = rng.choice(firsts)
            row["sukunimi"] = rng.choice(lasts)
            row["kutsumanimi"] = row["etunimet"]
            row["kansalaisuus"] = nationality
            row["aidinkieli"] = language
            if i % 16 == 7:
                row["passinumero"] = f"{language}{rng.randrange(10**7, 10**8)}"
            row["sahkoposti"] = f"{row['etunimet'].lower()}.{i}@example.org"
            row["syntymaaika"] = f"{born.day}.{born.month}.{born.year}"
            row["sukupuoli"] = sex
        else:
            names = MALE if sex == "1" else FEMALE
            first, second = rng.sample(names, 2)
            row["etunimet"] = f"{first} {second}"
            row["kutsumanimi"] = first.split("-")[-1] if "-" in first and i % 3 == 0 else first
            row["sukunimi"] = rng.choice(SURNAMES)
            row["hetu"] = hetu.generate(rng, birth_date=born, sex=sex)
            row["syntymaaika"] = (
                f"{born.day}.{born.month}.{born.year}" if i % 2 else born.isoformat()
            )
            row["sukupuoli"] = sex if i % 4 else ""
            row["aidinkieli"] = "sv" if i % 9 == 4 else "fi"
            row["kansalaisuus"] = "246;752" if i % 10 == 3 else "246"
            if i % 5 == 0:
                row["oid"] = oid.generate_person_oid(rng, 98)
        rows.append(row)
    plant = {
        5: lambda r: r.update(hetu=r["hetu"][:10] + ("X" if r["hetu"][10] != "X" else "Y")),
        11: lambda r: r.update(hetu="", sahkoposti="aino.11@example.com"),
        17: lambda r: r.update(kutsumanimi="Kalle"),
        23: lambda r: r.update(tunniste=rows[22]["tunniste"]),
        29: lambda r: r.update(sahkoposti="ebba.svensson.example.org"),
        34: lambda r: r.update(kansalaisuus="123"),
        38: lambda r: r.update(syntymaaika="1.1.1970"),
        41: lambda r: r.update(sukupuoli="M"),
        31: lambda r: r.update(sukupuoli=""),
        44: lambda r: r.update({k: rows[3][k] for k in COLUMNS if k != "tunniste"}),
        47: lambda r: r.update(sukunimi='=HYPERLINK("http://example.com")'),
    }
    for index, change in plant.items():
        if index < n:
            change(rows[index])
    return rows


def write_csv(
    path: Path, rows: list[dict[str, str]], *, separator: str = ";", encoding: str = "utf-8-sig"
) -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(
            fh,
            fieldnames=COLUMNS,
            delimiter=separator,
            quoting=csv.QUOTE_MINIMAL,
            lineterminator="\r\n",
        )
        writer.writeheader()
        writer.writerows(rows)


def write_xlsx(
    path: Path, rows: list[dict[str, str]], headers: list[str], *, instructions: bool = False
) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "henkilot"
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values: list[object] = [row[c] for c in COLUMNS]
        sheet.append(values)
    for column_cells in sheet.iter_cols(min_row=1, max_row=1):
        letter = column_cells[0].column_letter
        sheet.column_dimensions[letter].width = 18
        for row_index in range(2, max(len(rows), 200) + 2):
            sheet[f"{letter}{row_index}"].number_format = "@"  # text: keeps 004, 010101-923F
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a planted problem: text that looks like a formula
    sheet.freeze_panes = "A2"
    if instructions:
        notes = book.create_sheet("ohjeet")
        notes.append(["Sarake", "Pakollinen", "Muoto"])
        for column, required, fmt in DICTIONARY:
            notes.append([column, required, fmt])
        notes.column_dimensions["A"].width = 16
        notes.column_dimensions["C"].width = 90
    book.save(path)


DICTIONARY = [
    ("tunniste", "kyllä", "oma yksilöivä tunniste (esim. opiskelijanumero), uniikki tiedostossa"),
    ("oid", "yksi neljästä*", "henkilö-OID 1.2.246.562.<solmu>.<11 numeroa>"),
    ("hetu", "yksi neljästä*", "henkilötunnus PPKKVVXNNNT; pakollinen Suomen kansalaiselle"),
    ("passinumero", "yksi neljästä*", "passin numero sellaisenaan"),
    ("sahkoposti", "yksi neljästä*", "sähköpostiosoite nimi@verkkotunnus"),
    ("etunimet", "kyllä", "kaikki etunimet välilyönnein erotettuina"),
    ("kutsumanimi", "kyllä", "yksi etunimistä tai peräkkäisiä etunimiä"),
    ("sukunimi", "kyllä", "sukunimi"),
    ("syntymaaika", "ei (suositus ilman hetua)", "p.k.vvvv tai vvvv-kk-pp"),
    ("sukupuoli", "ei (suositus ilman hetua)", "1 = mies, 2 = nainen"),
    ("aidinkieli", "ei", "kielikoodi ISO 639-1, esim. fi, sv, en"),
    ("kansalaisuus", "kyllä", "maakoodi ISO 3166 numeerinen, esim. 246; useampi: 246;752"),
]


def main() -> None:
    write_csv(HERE / "henkilot.csv", [])
    write_xlsx(HERE / "henkilot.xlsx", [], COLUMNS, instructions=True)
    rows = example_rows()
    write_csv(HERE / "henkilot_example.csv", rows)
    write_xlsx(HERE / "henkilot_example.xlsx", rows, FINNISH_HEADERS)
    print(f"wrote templates and {len(rows)} example rows to {HERE}")


if __name__ == "__main__":
    main()
