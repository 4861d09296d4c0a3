"""Typed views of ONR's DTOs, with ONR's field names (REST.md §4–§6).

Tolerant on purpose: every field is optional unless ONR always sends it, unknown fields are
kept (``extra="allow"``), timestamps stay epoch milliseconds as ONR sends them.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec
from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class OnrModel(BaseModel):
    # tolerant: unknown fields kept; a code sent as a number ("sukupuoli": 2) read as text
    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=True)


# ---------------------------------------------------------------- small pieces
class Kielisyys(OnrModel):
    kieliKoodi: str | None = None
    kieliTyyppi: str | None = None


class Kansalaisuus(OnrModel):
    kansalaisuusKoodi: str | None = None


class KoodiNimi(OnrModel):
    """``{koodi, nimi: {FI, SV, EN}}`` in OppijaReadDto."""

    koodi: str | None = None
    nimi: dict[str, str | None] | None = None


class Yhteystieto(OnrModel):
    yhteystietoTyyppi: str | None = None
    yhteystietoArvo: str | None = None


class YhteystiedotRyhma(OnrModel):
    id: int | None = None
    ryhmaKuvaus: str | None = None
    ryhmaAlkuperaTieto: str | None = None
    readOnly: bool | None = None
    yhteystieto: list[Yhteystieto] = Field(default_factory=list)


class Identification(OnrModel):
    idpEntityId: str
    identifier: str


class Yksilointivirhe(OnrModel):
    yksilointivirheTila: str | None = None
    uudelleenyritysAikaleima: int | None = None


class Yksilointitieto(OnrModel):
    """VTJ data kept after a name mismatch; all-null when there is none."""

    etunimet: str | None = None
    sukunimi: str | None = None
    kutsumanimi: str | None = None
    sukupuoli: str | None = None
    yhteystiedot: list[YhteystiedotRyhma] | None = None


# ---------------------------------------------------------------- persons
class Henkilo(OnrModel):
    """HenkiloDto: the full person."""

    oidHenkilo: str
    oppijanumero: str | None = None
    hetu: str | None = None
    kaikkiHetut: list[str] = Field(default_factory=list)
    passivoitu: bool = False
    duplicate: bool = False
    etunimet: str | None = None
    kutsumanimi: str | None = None
    sukunimi: str | None = None
    syntymaaika: str | None = None
    kuolinpaiva: str | None = None
    sukupuoli: str | None = None
    aidinkieli: Kielisyys | None = None
    asiointiKieli: Kielisyys | None = None
    kansalaisuus: list[Kansalaisuus] = Field(default_factory=list)
    kotikunta: str | None = None
    turvakielto: bool | None = None
    eiSuomalaistaHetua: bool | None = None
    yksiloity: bool = False
    yksiloityVTJ: bool = False
    yksiloityEidas: bool = False
    yksilointiYritetty: bool = False
    yksilointivirheet: list[Yksilointivirhe] = Field(default_factory=list)
    passinumerot: list[str] | None = None
    yhteystiedotRyhma: list[YhteystiedotRyhma] = Field(default_factory=list)
    kasittelijaOid: str | None = None
    created: int | None = None
    modified: int | None = None
    vtjsynced: int | None = None

    @property
    def identified(self) -> bool:
        return self.yksiloity or self.yksiloityVTJ or self.yksiloityEidas


class HenkiloPerustieto(OnrModel):
    oidHenkilo: str
    hetu: str | None = None
    etunimet: str | None = None
    kutsumanimi: str | None = None
    sukunimi: str | None = None
    syntymaaika: str | None = None
    sukupuoli: str | None = None
    turvakielto: bool | None = None
    identifications: list[Identification] | None = None
    aidinkieli: Kielisyys | None = None
    asiointiKieli: Kielisyys | None = None
    kansalaisuus: list[Kansalaisuus] | None = None
    modified: int | None = None


class HenkiloDuplicate(OnrModel):
    """HenkiloDuplicateDto: a similarity candidate (``yksiloity`` = identified by any method)."""

    oidHenkilo: str
    etunimet: str | None = None
    kutsumanimi: str | None = None
    sukunimi: str | None = None
    sukupuoli: str | None = None
    hetu: str | None = None
    syntymaaika: str | None = None
    passivoitu: bool | None = None
    yksiloity: bool | None = None
    yksiloityVTJ: bool | None = None
    yksiloityEidas: bool | None = None
    kansalaisuus: list[dict[str, Any]] | None = None
    passinumerot: list[str] | None = None
    emails: list[str] | None = None


# ---------------------------------------------------------------- imports
class TuontiPerustiedot(OnrModel):
    """OppijaTuontiPerustiedotReadDto: the progress counters of one import."""

    id: int
    kasiteltavia: int
    kasiteltyja: int
    kasitelty: bool


class OppijaRead(OnrModel):
    """OppijaReadDto: a person as imports and the change feed show it."""

    oid: str
    oppijanumero: str | None = None
    luotu: int | None = None
    muokattu: int | None = None
    hetu: str | None = None
    etunimet: str | None = None
    kutsumanimi: str | None = None
    sukunimi: str | None = None
    syntymaaika: str | None = None
    sukupuoli: KoodiNimi | None = None
    aidinkieli: KoodiNimi | None = None
    kotikunta: KoodiNimi | None = None
    kansalaisuus: list[KoodiNimi] | None = None
    passivoitu: bool = False
    linked: list[str] | None = None


class TuontiRivi(OnrModel):
    tunniste: str | None = None
    henkilo: OppijaRead
    conflict: bool | None = None  # missing = false (REST.md gap 7)


class Tuonti(OnrModel):
    """OppijaTuontiReadDto: an import with its processed rows (row order is not input order)."""

    id: int
    kasiteltavia: int
    kasiteltyja: int
    kasitelty: bool
    henkilot: list[TuontiRivi] = Field(default_factory=list)


class FilteredStudent(OnrModel):
    oid: str
    oppijanumero: str | None = None
    passivoitu: bool = False
    linked: list[str] | None = None


class FilteredRow(OnrModel):
    tunniste: str | None = None
    henkilo: FilteredStudent
    conflict: bool | None = None


class FilteredResult(OnrModel):
    """The /yleistunniste view of an import: persons reduced to oid/oppijanumero/links."""

    id: int
    kasiteltavia: int
    kasiteltyja: int
    kasitelty: bool
    henkilot: list[FilteredRow] = Field(default_factory=list)


class YleistunnisteResult(OnrModel):
    oid: str
    oppijanumero: str | None = None


class Yhteenveto(OnrModel):
    onnistuneet: int = 0
    virheet: int = 0
    keskeneraiset: int = 0
    yhteensa: int = 0


class TuontiKooste(OnrModel):
    id: int
    oid: str | None = None  # the importer's OID (kasittelijaOid)
    author: str | None = None  # importer's name; null for service users without a person
    timestamp: int | None = None
    total: int = 0
    inProgress: int = 0
    successful: int = 0
    failures: int = 0
    conflicts: int = 0
    api: str | None = None


class SpringPage(OnrModel, Generic[T]):
    """Spring Data page (0-based ``number`` in the answer; REST.md §3.4 C)."""

    content: list[T] = Field(default_factory=list)
    totalPages: int = 0
    totalElements: int = 0
    last: bool = True
    numberOfElements: int = 0
    size: int = 0
    number: int = 0
    first: bool = True
    empty: bool | None = None


class TuontidataHenkilo(OnrModel):
    oid: str | None = None
    hetu: str | None = None  # masked by ONR: 240784-****
    passinumero: str | None = None
    sahkoposti: str | None = None
    etunimet: str | None = None
    kutsumanimi: str | None = None
    sukunimi: str | None = None


class TuontidataRow(OnrModel):
    """OppijaTuontiRiviCreateDto as /tuontidata returns it (enriched once processed)."""

    tunniste: str | None = None
    henkilo: TuontidataHenkilo | None = None
    henkiloOid: str | None = None
    henkiloNimi: str | None = None
    conflict: bool | None = None


class MasterHenkilo(OnrModel):
    """One change-feed entry: ``oid`` = the imported person, ``master`` = its master's data."""

    oid: str
    master: OppijaRead

    @property
    def merged(self) -> bool:
        return self.oid != self.master.oid


class OnrPage(OnrModel, Generic[T]):
    """ONR's own 1-based Page (REST.md §3.4 A); ``last`` is false on an empty page."""

    number: int = 1
    size: int = 0
    results: list[T] = Field(default_factory=list)
    totalElements: int = 0
    numberOfElements: int = 0
    totalPages: int = 0
    first: bool = True
    last: bool = False


class ChangePage(OnrPage[MasterHenkilo]):
    pass


class FeedMaster(BaseModel):
    """The change feed's master without the nested code objects (``sukupuoli``, ``aidinkieli``,
    ``kotikunta``, ``kansalaisuus`` with their names in three languages): reading those costs
    most of a page's parse time and reconciliation does not need them. Unknown fields ignored.
    """

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    oid: str
    oppijanumero: str | None = None
    luotu: int | None = None
    muokattu: int | None = None
    hetu: str | None = None
    etunimet: str | None = None
    kutsumanimi: str | None = None
    sukunimi: str | None = None
    syntymaaika: str | None = None
    passivoitu: bool = False
    linked: list[str] | None = None


class FeedEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    oid: str
    master: FeedMaster


class FeedPage(BaseModel):
    """A muuttuneet page read the lean way (see FeedMaster)."""

    model_config = ConfigDict(extra="ignore")

    results: list[FeedEntry] = Field(default_factory=list)
    numberOfElements: int = 0
    totalElements: int = 0
    number: int = 1


# Import results are read with msgspec, not pydantic: a 5,000-row answer is ~2.8 MB of full
# OppijaReadDto rows of which a result needs six fields. msgspec skips the rest while parsing
# (4.7 ms per 5,000 rows against 60 ms for the leanest pydantic model), which is what keeps
# the client's CPU within 10 % of the wall time of a large import (bench/bench_client.py).
class ResultPerson(msgspec.Struct, frozen=True, gc=False):
    """What an import row says about its person, and nothing else (unknown fields ignored)."""

    oid: str
    oppijanumero: str | None = None
    passivoitu: bool | None = None
    linked: list[str] | None = None


class ResultRow(msgspec.Struct, frozen=True, gc=False):
    henkilo: ResultPerson
    tunniste: str | None = None
    conflict: bool | None = None  # missing means false (REST.md gap 7)


class TuontiResults(msgspec.Struct, frozen=True):
    """``GET …/tuonti={id}`` read the lean way: per row only tunniste, OID, oppijanumero,
    conflict, linked and passivoitu. Fits both ``/oppija`` and ``/yleistunniste``
    (FilteredResult). Decode with :func:`decode_tuonti_results`."""

    id: int
    kasiteltavia: int
    kasiteltyja: int
    kasitelty: bool
    henkilot: list[ResultRow] = msgspec.field(default_factory=list)


_TUONTI_RESULTS = msgspec.json.Decoder(TuontiResults)


def decode_tuonti_results(body: bytes) -> TuontiResults:
    """Parse an import's rows; ``ValueError`` names the JSON path of a bad field, never a
    value (msgspec's messages carry no input, so no hetu reaches a log)."""
    try:
        return _TUONTI_RESULTS.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ValueError(f"unexpected import answer: {exc}") from None


class KoostePage(SpringPage[TuontiKooste]):
    pass


class ErrorBody(OnrModel):
    """ONR's standard / servlet error body."""

    timestamp: int | None = None
    status: int | None = None
    error: str | None = None
    message: str | None = None
    path: str | None = None
    globalErrors: list[dict[str, Any]] | None = None
    fieldErrors: list[dict[str, Any]] | None = None
