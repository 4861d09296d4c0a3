"""The problem messages of register reading and validation: one catalogue (code -> Finnish,
English) and :func:`render_message`.

Its own module so that both :mod:`onrtools.register.read` (rows a file cannot give) and
:mod:`onrtools.register.validation` (rows that break ONR's rules) render from it, and the register
reader does not import the validator.
"""

from __future__ import annotations

# code -> (Finnish, English); "{detail}" is filled per row, "{field}" with the field name
MESSAGES: dict[str, tuple[str, str]] = {
    "row.columns": (
        "Rivillä on väärä määrä kenttiä ({detail}); tarkista erottimet ja lainausmerkit",
        "Row has the wrong number of fields ({detail}); check separators and quotes",
    ),
    "row.empty": ("Tyhjä rivi ohitettiin", "Empty row skipped"),
    "xlsx.merged.cell": (
        "Rivillä on yhdistettyjä soluja; pura yhdistäminen",
        "Row has merged cells; unmerge them",
    ),
    "xlsx.formula": (
        "Solussa on kaava ({detail}); kirjoita arvo kaavan tilalle",
        "Cell holds a formula ({detail}); replace it with its value",
    ),
    "identifier.required": (
        "Ainakin yksi kentistä oid/hetu/passinumero/sahkoposti on annettava",
        "At least one of oid/hetu/passinumero/sahkoposti is required",
    ),
    "required": ("Pakollinen kenttä {field} puuttuu", "Required field {field} is empty"),
    "invalid.hetu": ("Henkilötunnus ei kelpaa: {detail}", "Invalid hetu: {detail}"),
    "hetu.normalized": (
        "Henkilötunnus muutettiin ONR:n muotoon (isot kirjaimet)",
        "hetu converted to ONR's form (upper case)",
    ),
    "hetu.test.in.production": (
        "Testihenkilötunnusta (yksilönumero 900–999) ei lähetetä tuotantoon{detail}",
        "A test hetu (individual number 900–999) is not sent to production{detail}",
    ),
    "hetu.real.in.test.environment": (
        "Oikeaa henkilötunnusta ei lähetetä testiympäristöön; "
        "käytä yksilönumeroita 900–999{detail}",
        "A real hetu is not sent to a test environment; use individual numbers 900–999{detail}",
    ),
    "hetu.required.for.finnish": (
        "Suomen kansalaiselta (246) vaaditaan henkilötunnus",
        "Finnish nationality (246) requires a hetu",
    ),
    "invalid.kansalaisuus": (
        "Tuntematon kansalaisuuskoodi: {detail}",
        "Unknown nationality code: {detail}",
    ),
    "kansalaisuus.normalized": (
        "Kansalaisuus muunnettiin koodiksi: {detail}",
        "Nationality converted to a code: {detail}",
    ),
    "invalid.aidinkieli": (
        "Tuntematon äidinkielen koodi: {detail}",
        "Unknown mother-tongue code: {detail}",
    ),
    "aidinkieli.normalized": (
        "Äidinkieli muunnettiin koodiksi: {detail}",
        "Mother tongue converted to a code: {detail}",
    ),
    "invalid.sukupuoli": (
        "Sukupuolen koodi on 1 (mies) tai 2 (nainen), ei {detail}",
        "Sex code is 1 (male) or 2 (female), not {detail}",
    ),
    "sukupuoli.differs.from.hetu": (
        "Sukupuoli ei vastaa henkilötunnusta; ONR käyttää henkilötunnuksen tietoa",
        "Sex differs from the hetu; ONR takes it from the hetu",
    ),
    "invalid.syntymaaika": (
        "Syntymäaika ei ole päivämäärä (p.k.vvvv tai vvvv-kk-pp): {detail}",
        "Birth date is not a date (d.m.yyyy or yyyy-mm-dd): {detail}",
    ),
    "syntymaaika.differs.from.hetu": (
        "Syntymäaika {detail} ei vastaa henkilötunnusta; ONR ottaa syntymäajan henkilötunnuksesta",
        "Birth date {detail} differs from the hetu; ONR takes the birth date from the hetu",
    ),
    "kutsumanimi.must.exist.in.etunimet": (
        "Kutsumanimen pitäisi olla etunimi tai peräkkäisiä etunimiä (tuonti PUT /oppija "
        "hyväksyy sen silti)",
        "Kutsumanimi should be one of the first names or a run of consecutive first names "
        "(the PUT /oppija import accepts it anyway)",
    ),
    "invalid.name.format": (
        "Nimen on oltava näkyviä sanoja yhdellä välilyönnillä erotettuina (ei alku- tai "
        "loppuvälilyöntejä)",
        "A name must be visible words separated by single spaces (no leading or trailing "
        "spaces)",
    ),
    "kutsumanimi.single.word": (
        "Yleistunnisteen kutsumanimi on yksi sana ilman välilyöntejä",
        "For a yleistunniste the kutsumanimi is one word without spaces",
    ),
    "kutsumanimi.not.a.first.name": (
        "Kutsumanimen on oltava yksi etunimistä tai yhdysnimen osa (esim. Anna-Liisa: Anna)",
        "Kutsumanimi must be one of the first names or one part of a hyphenated one "
        "(Anna-Liisa: Anna)",
    ),
    "invalid.sahkoposti": (
        "Sähköpostiosoite ei ole kelvollinen",
        "E-mail address is not well formed",
    ),
    "invalid.oid": (
        "Henkilö-OID ei kelpaa (1.2.246.562.<solmu>.<11 numeroa>, tarkiste)",
        "Person OID is not valid (1.2.246.562.<node>.<11 digits>, check digit)",
    ),
    "oid.environment.mismatch": (
        "OID on ympäristöstä {detail}; se ei löydy kohteesta",
        "OID belongs to environment {detail}; the target will not know it",
    ),
    "tunniste.duplicate": ("Sama tunniste kuin rivillä {detail}", "Same tunniste as row {detail}"),
    "hetu.duplicate": (
        "Sama henkilötunnus kuin rivillä {detail}; ONR yhdistää rivit samaan henkilöön",
        "Same hetu as row {detail}; ONR maps both rows to one person",
    ),
    "passinumero.duplicate": (
        "Sama passinumero kuin rivillä {detail}; ONR yhdistää rivit samaan henkilöön",
        "Same passport number as row {detail}; ONR maps both rows to one person",
    ),
    "sahkoposti.duplicate": (
        "Sama sähköposti kuin rivillä {detail}; ONR yhdistää rivit samaan henkilöön",
        "Same e-mail as row {detail}; ONR maps both rows to one person",
    ),
    "hetuless.details.missing": (
        "Henkilötunnuksettomalta puuttuu {detail}; OPH tarvitsee ne henkilön tunnistamiseen",
        "Row without hetu lacks {detail}; OPH needs them to identify the person by hand",
    ),
    "value.formula": (
        "Arvo alkaa merkillä {detail} kuin taulukkolaskennan kaava; korjaa arvo",
        "Value starts with {detail} like a spreadsheet formula; fix the value",
    ),
    "value.too.long": (
        "Arvo on liian pitkä ({detail} merkkiä, enintään 255)",
        "Value is too long ({detail} characters, at most 255)",
    ),
    "invalid.character": (
        "Arvossa on ohjausmerkki tai lukukelvoton merkki (esim. NUL)",
        "Value contains a control, line-break, invisible direction or unreadable character",
    ),
}


def render_message(code: str, detail: str, field_name: str, language: str = "fi") -> str:
    """The human message for one problem."""
    pair = MESSAGES.get(code) or MESSAGES.get(
        "required" if code.endswith(".required") else code, (code, code)
    )
    template = pair[0] if language == "fi" else pair[1]
    return template.replace("{detail}", detail).replace("{field}", field_name)
