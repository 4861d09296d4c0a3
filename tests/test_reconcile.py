"""onrtools.reconcile: hand-made registers, import results and ONR reads → action lists."""

from __future__ import annotations

import pandas as pd
import pytest

from onrtools.reconcile import (
    CATEGORIES,
    apply_problems,
    combine_persons,
    name_difference,
    person_url,
    persons_from_changes,
    persons_from_masters,
    reconcile,
)

HETU_A = "010190-990U"  # test-range hetus (individual number 9xx) are synthetic by definition
HETU_B = "020290-992K"
OID = "1.2.246.562.24.{:011d}"


def oid(n: int) -> str:
    return OID.format(n)


def local(tunniste: str, **kw: str) -> dict[str, str]:
    row = {"tunniste": tunniste, "hetu": "", "etunimet": "Anna Maria", "kutsumanimi": "Anna",
           "sukunimi": "Virtanen", "syntymaaika": "1990-01-01", "oid": "", "oppijanumero": ""}
    row.update(kw)
    return row


def result(tunniste: str, oid_: str, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {"tunniste": tunniste, "oid": oid_, "oppijanumero": None,
                              "conflict": False, "linked": [], "passivoitu": False}
    row.update(kw)
    return row


def master(oid_: str, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {"oidHenkilo": oid_, "oppijanumero": oid_, "hetu": HETU_A,
                              "etunimet": "Anna Maria", "kutsumanimi": "Anna",
                              "sukunimi": "Virtanen", "syntymaaika": "1990-01-01",
                              "passivoitu": False, "duplicate": False, "yksiloity": False,
                              "yksiloityVTJ": True, "yksiloityEidas": False,
                              "yksilointiYritetty": True}
    row.update(kw)
    return row


def categories(rec, tunniste: str) -> set[str]:
    a = rec.actions
    return set(a.loc[a["tunniste"] == tunniste, "category"])


def test_new_oppijanumero_is_stored_once_and_equal_one_is_not() -> None:
    register = pd.DataFrame([local("t1", hetu=HETU_A),
                             local("t2", hetu=HETU_B, oppijanumero=oid(2))])
    results = pd.DataFrame([result("t1", oid(1)), result("t2", oid(2))])
    persons = persons_from_masters({oid(1): master(oid(1)),
                                    oid(2): master(oid(2), hetu=HETU_B)})
    rec = reconcile(register, results=results, persons=persons)
    assert categories(rec, "t1") == {"store_oppijanumero"}
    assert categories(rec, "t2") == set()  # already stored: nothing to do
    row = rec.lists()["store_oppijanumero"].iloc[0]
    assert row["detail"] == oid(1) and row["onr_oppijanumero"] == oid(1)


def test_merged_oid_is_replaced_not_stored_and_master_hetu_change_shows() -> None:
    # the local register still holds the slave's OID; ONR merged it under a master with a new hetu
    register = pd.DataFrame([local("t1", hetu=HETU_A, oid=oid(1))])
    results = pd.DataFrame([result("t1", oid(1), oppijanumero=oid(9), passivoitu=True)])
    persons = persons_from_masters({oid(1): master(oid(9), hetu=HETU_B)})
    rec = reconcile(register, results=results, persons=persons)
    assert categories(rec, "t1") == {"replace_merged_oid", "hetu_changed"}
    row = rec.lists()["replace_merged_oid"].iloc[0]
    assert row["detail"] == f"{oid(1)} → {oid(9)}"


def test_merge_known_only_from_import_result() -> None:
    register = pd.DataFrame([local("t1", hetu=HETU_A)])
    results = pd.DataFrame([result("t1", oid(1), oppijanumero=oid(9), passivoitu=True)])
    rec = reconcile(register, results=results)
    assert categories(rec, "t1") == {"replace_merged_oid"}


def test_passivated_without_master() -> None:
    register = pd.DataFrame([local("t1", hetu=HETU_A, oppijanumero=oid(1))])
    results = pd.DataFrame([result("t1", oid(1))])
    persons = persons_from_masters({oid(1): master(oid(1), passivoitu=True)})
    assert categories(reconcile(register, results=results, persons=persons), "t1") == {
        "passivated"}


def test_conflict_is_row_conflict_not_name_differs() -> None:
    register = pd.DataFrame([local("t1", hetu=HETU_A, sukunimi="Korhonen", oppijanumero=oid(1))])
    results = pd.DataFrame([result("t1", oid(1), conflict=True)])
    persons = persons_from_masters({oid(1): master(oid(1))})
    rec = reconcile(register, results=results, persons=persons)
    assert categories(rec, "t1") == {"row_conflict"}
    assert "sukunimi: Korhonen → Virtanen" in rec.lists()["row_conflict"].iloc[0]["detail"]


def test_small_name_difference_shows_the_difference() -> None:
    register = pd.DataFrame([local("t1", hetu=HETU_A, sukunimi="Virtane", kutsumanimi="Maria",
                                   oppijanumero=oid(1))])
    results = pd.DataFrame([result("t1", oid(1))])
    persons = persons_from_masters({oid(1): master(oid(1))})
    rec = reconcile(register, results=results, persons=persons)
    assert categories(rec, "t1") == {"name_differs"}
    detail = rec.lists()["name_differs"].iloc[0]["detail"]
    assert "kutsumanimi: Maria → Anna" in detail and "sukunimi: Virtane → Virtanen" in detail


def test_case_and_spacing_are_not_a_name_difference() -> None:
    register = pd.DataFrame([local("t1", hetu=HETU_A, etunimet="anna  maria",
                                   oppijanumero=oid(1))])
    results = pd.DataFrame([result("t1", oid(1))])
    persons = persons_from_masters({oid(1): master(oid(1))})
    assert categories(reconcile(register, results=results, persons=persons), "t1") == set()


@pytest.mark.parametrize(
    ("person", "reason"),
    [
        (master(oid(1), hetu=None, oppijanumero=None, yksiloityVTJ=False,
                yksilointiYritetty=False), "no hetu"),
        (master(oid(1), oppijanumero=None, yksiloityVTJ=False), "identification failed"),
    ],
)
def test_manual_identification_links_to_the_person_page(person, reason) -> None:
    register = pd.DataFrame([local("t1", passinumero="X1")])
    results = pd.DataFrame([result("t1", oid(1))])
    rec = reconcile(register, results=results, persons=persons_from_masters({oid(1): person}),
                    environment="testi", language="en")
    assert categories(rec, "t1") == {"manual_identification"}
    row = rec.lists()["manual_identification"].iloc[0]
    assert reason in row["detail"]
    assert row["link"] == f"https://virkailija.testiopintopolku.fi/henkilo-ui/oppija/{oid(1)}"


def test_pending_identification_waits_silently() -> None:
    register = pd.DataFrame([local("t1", hetu=HETU_A)])
    results = pd.DataFrame([result("t1", oid(1))])
    person = master(oid(1), oppijanumero=None, yksiloityVTJ=False, yksilointiYritetty=False)
    rec = reconcile(register, results=results, persons=persons_from_masters({oid(1): person}))
    assert categories(rec, "t1") == set()  # KESKEN: ONR has not tried yet


def test_identified_locally_but_not_in_onr_and_the_reverse() -> None:
    register = pd.DataFrame([
        local("t1", hetu=HETU_A, oppijanumero=oid(1), yksiloity="true"),
        local("t2", hetu=HETU_B, oppijanumero=oid(2), yksiloity="false"),
    ])
    results = pd.DataFrame([result("t1", oid(1)), result("t2", oid(2))])
    persons = persons_from_masters({
        oid(1): master(oid(1), oppijanumero=None, yksiloityVTJ=False, yksilointiYritetty=False),
        oid(2): master(oid(2), hetu=HETU_B),
    })
    rec = reconcile(register, results=results, persons=persons)
    assert categories(rec, "t1") == {"identified_local_only"}
    assert categories(rec, "t2") == {"identified_onr_only"}


def test_never_sent_names_the_validation_codes_and_warnings_are_listed() -> None:
    register = pd.DataFrame([local("t1", hetu="010190-990X"), local("t2", hetu=HETU_B)])
    problems = pd.DataFrame([
        {"tunniste": "t1", "code": "invalid.hetu", "severity": "error"},
        {"tunniste": "t1", "code": "invalid.hetu", "severity": "error"},
        {"tunniste": "t2", "code": "kutsumanimi.not.in.etunimet", "severity": "warning"},
    ])
    results = pd.DataFrame([result("t2", oid(2))])
    persons = persons_from_masters({oid(2): master(oid(2), hetu=HETU_B)})
    rec = reconcile(register, results=results, persons=persons, problems=problems)
    assert categories(rec, "t1") == {"never_sent"}
    assert rec.lists()["never_sent"].iloc[0]["detail"] == "invalid.hetu"
    assert categories(rec, "t2") == {"sent_with_warnings", "store_oppijanumero"}


def test_two_local_rows_one_person_are_local_duplicates() -> None:
    register = pd.DataFrame([local("t1", hetu=HETU_A), local("t2", hetu=HETU_A),
                             local("t3", hetu=HETU_B)])
    results = pd.DataFrame([result("t1", oid(1)), result("t2", oid(1)), result("t3", oid(3))])
    persons = persons_from_masters({oid(1): master(oid(1)), oid(3): master(oid(3), hetu=HETU_B)})
    rec = reconcile(register, results=results, persons=persons, language="en")
    dup = rec.lists()["local_duplicate"]
    assert sorted(dup["tunniste"]) == ["t1", "t2"]
    assert dup.set_index("tunniste").loc["t1", "detail"] == "same ONR person as t2"


def test_feed_person_unknown_locally_is_missing_and_feed_updates_persons() -> None:
    register = pd.DataFrame([local("t1", hetu=HETU_A, oppijanumero=oid(1))])
    results = pd.DataFrame([result("t1", oid(1))])
    feed = persons_from_changes([
        {"oid": oid(1), "master": {"oid": oid(1), "oppijanumero": oid(1), "hetu": HETU_A,
                                   "etunimet": "Anna Maria", "kutsumanimi": "Anna",
                                   "sukunimi": "Nieminen", "passivoitu": False}},
        {"oid": oid(5), "master": {"oid": oid(5), "oppijanumero": None, "hetu": None,
                                   "etunimet": "Ola", "kutsumanimi": "Ola",
                                   "sukunimi": "Nordmann", "passivoitu": False}},
    ])
    rec = reconcile(register, results=results, feed=feed, only_oids=[oid(1)])
    assert categories(rec, "t1") == {"name_differs"}
    missing = rec.lists()["missing_locally"]
    assert list(missing["oid"]) == [oid(5)]
    assert missing.iloc[0]["onr_sukunimi"] == "Nordmann"


def test_feed_slave_entry_is_a_merge() -> None:
    feed = persons_from_changes([{"oid": oid(1), "master": {"oid": oid(9),
                                                            "oppijanumero": oid(9)}}])
    assert feed.iloc[0]["master_oid"] == oid(9) and bool(feed.iloc[0]["passivoitu"])
    register = pd.DataFrame([local("t1", oid=oid(1))])
    rec = reconcile(register, results=pd.DataFrame([result("t1", oid(1))]), feed=feed)
    assert categories(rec, "t1") == {"replace_merged_oid"}


def test_only_oids_restricts_rows_and_skips_unsent() -> None:
    register = pd.DataFrame([local("t1", hetu=HETU_A), local("t2", hetu=HETU_B),
                             local("t3")])
    results = pd.DataFrame([result("t1", oid(1)), result("t2", oid(2))])
    persons = persons_from_masters({oid(1): master(oid(1)), oid(2): master(oid(2), hetu=HETU_B)})
    rec = reconcile(register, results=results, persons=persons, only_oids={oid(2)})
    assert set(rec.actions["tunniste"]) == {"t2"}


def test_counts_cover_every_category_and_masking_hides_hetus() -> None:
    register = pd.DataFrame([local("t1", hetu=HETU_A)])
    results = pd.DataFrame([result("t1", oid(1))])
    persons = persons_from_masters({oid(1): master(oid(1), hetu=HETU_B)})
    rec = reconcile(register, results=results, persons=persons)
    counts = rec.counts()
    assert list(counts["category"]) == [c.code for c in CATEGORIES]
    assert counts["rows"].sum() == len(rec.actions) == 2
    masked = rec.masked()
    text = masked.to_csv()
    assert HETU_A not in text and HETU_B not in text and "010190-****" in text
    assert HETU_A in rec.actions.to_csv()  # the unmasked frame stays for the workspace


def test_empty_inputs() -> None:
    rec = reconcile(pd.DataFrame(columns=["tunniste"]))
    assert rec.actions.empty and rec.counts()["rows"].sum() == 0


def test_name_difference_and_urls() -> None:
    assert name_difference({"sukunimi": "Virtanen"}, {"sukunimi": "VIRTANEN"}) == ("", 1.0)
    text, low = name_difference({"sukunimi": "Korhonen"}, {"sukunimi": "Virtanen"})
    assert text.startswith("sukunimi: Korhonen → Virtanen") and low < 0.85
    assert person_url(oid(1), base_url="http://127.0.0.1:9999/").endswith(
        f"127.0.0.1:9999/oppijanumerorekisteri-service/henkilo/{oid(1)}")
    assert person_url(oid(1), "custom", base_url="https://onr.example.fi") == (
        f"https://onr.example.fi/henkilo-ui/oppija/{oid(1)}")
    assert person_url(oid(1), "prod").startswith("https://virkailija.opintopolku.fi/henkilo-ui/")


def test_feed_accepts_the_change_objects_of_onrtools_changes() -> None:
    from onrtools.onr.changes import Change
    from onrtools.onr.models import OppijaRead

    change = Change(oid(1), oid(9), 5, oid(9), False, "t1",
                    OppijaRead(oid=oid(9), oppijanumero=oid(9), hetu=HETU_B, etunimet="Anna",
                               kutsumanimi="Anna", sukunimi="Virtanen", muokattu=5))
    feed = persons_from_changes([change])
    row = feed.iloc[0]
    assert (row["oid"], row["master_oid"], row["hetu"]) == (oid(1), oid(9), HETU_B)
    assert row["yksilointiTila"] == "OK" and bool(row["duplicate"])


def test_problem_list_decides_failed_or_pending_identification() -> None:
    entries = [
        {"oid": oid(1), "master": {"oid": oid(1), "hetu": HETU_A, "oppijanumero": None}},
        {"oid": oid(2), "master": {"oid": oid(2), "hetu": HETU_B, "oppijanumero": None}},
        {"oid": oid(3), "master": {"oid": oid(3), "hetu": None, "oppijanumero": None}},
        {"oid": oid(4), "master": {"oid": oid(4), "hetu": HETU_A, "oppijanumero": oid(4)}},
    ]
    unknown = persons_from_changes(entries).set_index("oid")["yksilointiTila"]
    assert pd.isna(unknown[oid(1)]) and unknown[oid(3)] == "HETU_PUUTTUU"
    decided = persons_from_changes(entries, problem_oids=[oid(1)]).set_index("oid")
    assert list(decided["yksilointiTila"]) == ["VIRHE", "KESKEN", "HETU_PUUTTUU", "OK"]
    # later the problem is gone (identified by hand): the same rows become KESKEN again
    again = apply_problems(persons_from_changes(entries), []).set_index("oid")
    assert again.loc[oid(1), "yksilointiTila"] == "KESKEN"
    register = pd.DataFrame([local("t1", hetu=HETU_A), local("t2", hetu=HETU_B)])
    results = pd.DataFrame([result("t1", oid(1)), result("t2", oid(2))])
    rec = reconcile(register, results=results, persons=decided.reset_index())
    assert categories(rec, "t1") == {"manual_identification"}  # failed: by hand
    assert categories(rec, "t2") == set()  # pending: ONR has not tried yet


def test_combine_persons_keeps_the_latest_row() -> None:
    old = persons_from_changes([{"oid": oid(1), "master": {"oid": oid(1), "sukunimi": "A"}}])
    new = persons_from_changes([{"oid": oid(1), "master": {"oid": oid(9), "sukunimi": "B"}},
                                {"oid": oid(2), "master": {"oid": oid(2), "sukunimi": "C"}}])
    both = combine_persons(old, None, new).set_index("oid")
    assert list(both.index) == [oid(1), oid(2)]
    assert both.loc[oid(1), "master_oid"] == oid(9) and both.loc[oid(1), "sukunimi"] == "B"
    assert combine_persons().empty


def test_rows_held_back_by_the_preimport_check_get_their_own_list() -> None:
    register = pd.DataFrame({"tunniste": ["h1", "u1"], "etunimet": ["Aino", "Eero"],
                             "sukunimi": ["Virtanen", "Korhonen"], "hetu": ["", ""]})
    held = pd.DataFrame({"tunniste": ["h1"], "action": ["hold"],
                         "proposed_oid": ["1.2.246.562.98.10000000017"],
                         "explanation": ["same birth date; same first names"]})
    actions = reconcile(register, held=held).actions.set_index("tunniste")
    assert actions.loc["h1", "category"] == "held_back"
    assert actions.loc["h1", "oid"] == "1.2.246.562.98.10000000017"
    assert "same birth date" in actions.loc["h1", "detail"]
    assert actions.loc["h1", "link"].endswith("1.2.246.562.98.10000000017")
    assert actions.loc["u1", "category"] == "never_sent"  # not held: still never sent


def test_titles_actions_and_details_in_the_chosen_language() -> None:
    register = pd.DataFrame([local("t1", hetu=HETU_A), local("t2", hetu=HETU_A)])
    results = pd.DataFrame([result("t1", oid(1)), result("t2", oid(1))])
    persons = persons_from_masters({oid(1): master(oid(1))})
    by_language = {lang: reconcile(register, results=results, persons=persons, language=lang)
                   for lang in ("fi", "sv", "en")}
    sv = by_language["sv"].lists()["local_duplicate"].set_index("tunniste")
    assert sv.loc["t1", "detail"] == "samma person i ONR som t2"
    assert sv.loc["t1", "action"].startswith("Slå ihop de lokala raderna")
    counts = by_language["sv"].counts().set_index("category")
    assert counts.loc["local_duplicate", "title"] == "Flera lokala rader, en person i ONR"
    assert by_language["fi"].counts().set_index("category").loc["store_oppijanumero", "title"] \
        == "Uusi oppijanumero tallennettavaksi"
    # the codes and data are the same in every language: only the words differ
    frames = [r.actions.drop(columns=["action", "detail"]) for r in by_language.values()]
    assert all(f.equals(frames[0]) for f in frames)
    assert CATEGORIES[0].title("en") == "New oppijanumero to store"
