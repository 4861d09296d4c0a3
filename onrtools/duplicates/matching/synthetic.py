"""A seeded synthetic Finnish register with planted duplicates and ground truth.

``generate_register(n, seed=...)`` returns ``n`` records; ``person_id`` is the ground truth (two
records are one person iff their ``person_id`` is equal). Duplicates carry the error kinds the
matcher must survive, at rates we chose to look like a university register (the references give
no figures; see ``ERROR_RATES``):

* the second record of a person often lacks the hetu (first imported with a passport);
* "Anna-Liisa" vs "Anna Liisa", only some of the first names, kutsumanimi as the only first name;
* å/ä/ö lost in an export (``Meikäläinen`` -> ``Meikalainen``), one-character typos;
* day and month swapped, a one-digit birth-date typo, a one-character hetu typo (fails checksum);
* a changed surname (marriage) with the same first names and birth date.

Hard negatives are planted on purpose: twins (same surname, birth date and address, different
first names and hetus) and namesakes occur naturally with common names at scale.
All hetus are synthetic (individual numbers 900-999).
"""

from __future__ import annotations

import random
from datetime import date

import numpy as np
import pandas as pd

from onrtools.register import hetu as hetu_mod

# (name, relative weight): common Finnish given names of people born 1960-2008
FEMALE_NAMES = (
    "Maria:60 Anna:40 Emilia:30 Johanna:28 Helena:25 Sofia:22 Aino:20 Kaarina:20 Elina:18 "
    "Liisa:18 Anneli:16 Katariina:16 Marjatta:14 Hanna:14 Laura:14 Julia:12 Emma:12 Sanna:11 "
    "Tiina:11 Susanna:11 Kristiina:11 Johanna:10 Elisa:10 Ella:10 Aleksandra:9 Veera:9 Pauliina:9 "
    "Henna:9 Riikka:9 Minna:9 Satu:8 Päivi:8 Heidi:8 Jenni:8 Essi:7 Iida:7 Linnea:7 Olivia:7 "
    "Aada:6 Eveliina:6 Inkeri:6 Kaisa:6 Kirsi:6 Noora:6 Oona:6 Pia:5 Sari:5 Siiri:5 Tuuli:5 "
    "Venla:5 Vilma:5 Wilma:4 Annika:4 Heli:4 Jaana:4 Katja:4 Milla:4 Niina:4 Outi:4 Reetta:4 "
    "Saara:4 Sini:4 Taru:3 Tuija:3 Ulla:3 Hilla:3 Lotta:3 Mira:3 Nea:3 Ronja:3 Säde:3 Tyyne:2 "
    "Anna-Liisa:3 Anna-Maria:3 Marja-Leena:2 Eeva-Kaisa:2 Pirjo:2 Tuula:2 Ritva:2 Irmeli:2 "
    "Hillevi:2 Lyydia:1 Ilona:3 Amanda:3 Josefiina:2 Elli:3 Pihla:2 Ilmatar:1 Kielo:1 Lumi:2"
)
MALE_NAMES = (
    "Juhani:60 Johannes:35 Mikael:30 Olavi:28 Antero:25 Tapani:22 Matias:20 Kalervo:18 "
    "Ilmari:18 Aleksi:16 Petteri:16 Kristian:15 Juha:14 Mikko:14 Timo:14 Jukka:13 Antti:13 "
    "Matti:13 Jari:12 Kari:12 Pekka:12 Markus:11 Ville:11 Janne:11 Tuomas:11 Jussi:10 Lauri:10 "
    "Eero:10 Onni:10 Elias:10 Oliver:9 Leo:9 Eino:9 Väinö:9 Oskari:9 Aleksanteri:8 Henrik:8 "
    "Samuel:8 Joonas:8 Teemu:8 Sami:7 Marko:7 Tommi:7 Petri:7 Heikki:7 Jaakko:6 Niko:6 Otto:6 "
    "Valtteri:6 Veeti:6 Aatu:5 Arttu:5 Daniel:5 Emil:5 Joel:5 Julius:5 Kasper:5 Leevi:5 "
    "Lenni:4 Miro:4 Niilo:4 Oskar:4 Rasmus:4 Santeri:4 Topias:4 Urho:3 Viljami:3 Akseli:3 "
    "Eemeli:3 Hannu:3 Ilkka:3 Kalle:3 Keijo:2 Lasse:3 Mauri:2 Pentti:2 Raimo:2 Seppo:2 "
    "Jan-Erik:2 Karl-Johan:1 Pyry:2 Toivo:3 Veikko:2 Yrjö:2 Åke:1 Sakari:4 Waltteri:2"
)
COMMON_SURNAMES = (
    "Korhonen:100 Virtanen:98 Mäkinen:90 Nieminen:88 Mäkelä:85 Hämäläinen:82 Laine:80 "
    "Heikkinen:78 Koskinen:76 Järvinen:75 Lehtonen:72 Lehtinen:70 Saarinen:68 Salminen:66 "
    "Heinonen:64 Niemi:62 Heikkilä:60 Kinnunen:58 Salonen:56 Turunen:55 Salo:54 Laitinen:52 "
    "Tuominen:50 Rantanen:50 Karjalainen:48 Jokinen:47 Mattila:46 Savolainen:45 Lahtinen:44 "
    "Ahonen:43 Hiltunen:42 Ketola:30 Kärkkäinen:30 Väisänen:30 Räsänen:30 Pöyhönen:15 "
    "Åberg:8 Öhman:8 Lindqvist:15 Lindholm:15 Nyström:12 Sjöberg:10 Grönroos:10"
)
SURNAME_STEMS = (
    "Mäki Koski Järvi Lahti Niemi Ranta Salo Vuori Kallio Harju Aho Kivi Leino Laakso Metsä Pelto "
    "Suo Lampi Vaara Kangas Oja Joki Saari Rinne Hovi Kylä Lehto Hakala Pajari Kuusi Koivu Haapa "
    "Tammi Pihla Honka Kataja Lumme Paju Raita Ruusu Sorsa Kettu Susi Karhu Hirvi Kurki Joutsen "
    "Hauta Kärki Nurmi Penttilä Alho Rauta Hopea Valko Musta Puna Sini Ylä Ala Keski Ali Väli"
)
SURNAME_SUFFIXES = (
    "nen lä la mäki niemi salo aho koski oja vaara lampi kangas järvi vuori lahti maa"
)
FOREIGN_FIRST = (
    "Wei:5 Li:5 Yan:3 Jun:3 Mohammed:5 Ahmed:4 Fatima:4 Aisha:3 Olga:3 Ivan:3 Dmitri:2 Anastasia:3 "
    "Priya:3 Rahul:3 Arjun:2 Maria:4 José:3 Ana:3 John:3 Emily:3 Lukas:2 Hannah:2 Nguyen:2 Minh:2 "
    "Xin:2 Hao:2 Jie:2 Ming:2 Yu:2 Tao:2 Lei:2 Ying:2 Omar:2 Yusuf:2 Amina:2 Zainab:2 Hassan:2 "
    "Ali:2 Leila:2 Reza:2 Sara:2 Tatiana:2 Sergei:2 Elena:2 Natalia:2 Andrei:2 Ananya:2 Vikram:2 "
    "Deepa:2 Kiran:2 Carlos:2 Lucia:2 Pablo:2 Sofia:2 Diego:2 Chiara:2 Marco:2 Giulia:2 Jonas:2 "
    "Lena:2 Felix:2 Clara:2 Tomasz:2 Katarzyna:2 Piotr:2 Agnieszka:2 Emre:2 Elif:2 Mehmet:2 "
    "Ayse:2 Kwame:2 Ama:2 Chinedu:2 Ngozi:2 Thi:2 Linh:2 Hoang:2 Kenji:2 Yuki:2 Haruto:2 Sakura:2"
)
FOREIGN_LAST = (
    "Wang:6 Li:6 Zhang:5 Chen:4 Liu:4 Ali:4 Khan:4 Hassan:3 Ivanov:3 Smirnova:3 Petrov:2 "
    "Sharma:3 Patel:3 Singh:3 Garcia:3 Rodriguez:2 Smith:3 Brown:2 Müller:2 Schmidt:2 Nguyen:4 "
    "Tran:3 Kowalski:2 Novák:2 Öztürk:2 Yılmaz:2 Andersson:2 Hansen:2 O'Brien:1 Dubois:1 "
    "Yang:2 Huang:2 Zhao:2 Wu:2 Zhou:2 Xu:2 Sun:2 Ma:2 Zhu:2 Hu:2 Guo:2 He:2 Lin:2 Gao:2 "
    "Ahmed:2 Hussain:2 Rahman:2 Karimi:2 Hosseini:2 Popov:2 Sokolov:2 Kuznetsova:2 Volkov:2 "
    "Gupta:2 Kumar:2 Reddy:2 Iyer:2 Martinez:2 Lopez:2 Fernandez:2 Rossi:2 Bianchi:2 Weber:2 "
    "Fischer:2 Wagner:2 Nowak:2 Wisniewska:2 Demir:2 Kaya:2 Mensah:2 Okafor:2 Pham:2 Le:2 "
    "Tanaka:2 Suzuki:2 Sato:2 Kim:3 Park:2 Lee:3 Silva:2 Santos:2 Costa:2 Jensen:2 Nielsen:2"
)
CITIES = (
    ("00100", "Helsinki"),
    ("02150", "Espoo"),
    ("01300", "Vantaa"),
    ("33100", "Tampere"),
    ("20100", "Turku"),
    ("90100", "Oulu"),
    ("40100", "Jyväskylä"),
    ("70100", "Kuopio"),
    ("15100", "Lahti"),
    ("80100", "Joensuu"),
    ("65100", "Vaasa"),
    ("96100", "Rovaniemi"),
)
STREETS = (
    "Mannerheimintie Hämeenkatu Aleksanterinkatu Kauppakatu Rantatie Koulukatu Puistokatu "
    "Kirkkokatu Asemakatu Sibeliuksenkatu Väinämöisenkatu Koivukuja Pihlajatie Mäntytie"
)

# rates per duplicate record (independent draws), chosen, not measured: see the module doc
ERROR_RATES: dict[str, float] = {
    "drop_hetu": 0.55,  # earlier import with a passport / no hetu
    "hyphen_space": 0.10,  # Anna-Liisa -> Anna Liisa (only where a hyphen exists)
    "fold_accents": 0.15,  # ä/ö/å lost in an export
    "first_names_subset": 0.12,  # only the first of several first names
    "kutsumanimi_only": 0.04,  # kutsumanimi entered as etunimet
    "name_typo": 0.06,  # one character wrong in the surname or a first name
    "swap_day_month": 0.03,  # 03.07. vs 07.03.
    "date_typo": 0.02,  # one digit of the birth date wrong
    "hetu_typo": 0.03,  # one character of the hetu wrong (checksum then fails)
    "surname_change": 0.05,  # married: new surname, same first names and birth date
    "drop_email": 0.35,
    "new_email": 0.40,
    "new_address": 0.50,
    "drop_birth_date": 0.02,  # syntymaaika missing (hetu, if present, still tells it)
}


def _weighted(spec: str) -> tuple[np.ndarray, np.ndarray]:
    pairs = [item.rsplit(":", 1) for item in spec.split()]
    names = np.array([p[0] for p in pairs], dtype=object)
    weights = np.array([float(p[1]) for p in pairs])
    names, index = np.unique(names, return_index=True)
    weights = weights[index]
    return names, weights / weights.sum()


def _surname_pool() -> tuple[np.ndarray, np.ndarray]:
    common, common_w = _weighted(COMMON_SURNAMES)
    stems = SURNAME_STEMS.split()
    suffixes = SURNAME_SUFFIXES.split()
    composed = sorted({s + x.lower() for s in stems for x in suffixes} - set(common))
    composed = [c[0] + c[1:].lower() for c in composed]
    # a long Zipf-like tail: common names cover about a third of people, as in Finland
    tail_w = 1.0 / np.arange(1, len(composed) + 1) ** 0.6
    names = np.concatenate([common, np.array(composed, dtype=object)])
    weights = np.concatenate([common_w * 0.33, tail_w / tail_w.sum() * 0.67])
    return names, weights / weights.sum()


def fold_accents(text: str) -> str:
    """What a careless export does: å/ä/ö (and other accents) become plain letters."""
    table = str.maketrans("åäöÅÄÖüÜéÉáÁ", "aaoAAOuUeEaA")
    return text.translate(table)


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text))
    kind = rng.random()
    letters = "abdeghijklmnoprstuvyäö"
    if kind < 0.4:
        return text[:i] + rng.choice(letters) + text[i + 1 :]
    if kind < 0.7 and i < len(text) - 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind < 0.85:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def _hetu_typo(rng: random.Random, value: str) -> str:
    positions = [0, 1, 2, 3, 4, 5, 7, 8, 9, 10]
    while True:
        i = rng.choice(positions)
        new = rng.choice("0123456789") if i < 10 else rng.choice(hetu_mod.CHECK_CHARS)
        candidate = value[:i] + new + value[i + 1 :]
        if candidate != value and not hetu_mod.is_valid(candidate):
            return candidate


def _date_typo(rng: random.Random, born: date) -> date:
    """One part of the date wrong: the year, the month or the day (a keying error)."""
    while True:
        part, step = rng.choice("ymd"), rng.choice([-1, 1, -10, 10])
        try:
            if part == "y":
                return born.replace(year=born.year + (step if abs(step) == 1 else step // 10))
            if part == "m":
                return born.replace(month=born.month + (step if abs(step) == 1 else step // 10))
            return born.replace(day=born.day + step)
        except ValueError:
            continue


def _people(n: int, rng: np.random.Generator, py: random.Random) -> pd.DataFrame:
    female, female_w = _weighted(FEMALE_NAMES)
    male, male_w = _weighted(MALE_NAMES)
    surnames, surname_w = _surname_pool()
    foreign_first, foreign_first_w = _weighted(FOREIGN_FIRST)
    foreign_last, foreign_last_w = _weighted(FOREIGN_LAST)

    sex = rng.choice(np.array(["1", "2"], dtype=object), size=n)
    foreign = rng.random(n) < 0.08
    # birth dates 1960-2008, most students born 1990-2006
    start = np.datetime64("1960-01-01")
    span = (np.datetime64("2008-12-31") - start).astype(int)
    young = rng.random(n) < 0.75
    offset = np.where(
        young,
        rng.integers((np.datetime64("1990-01-01") - start).astype(int), span, n),
        rng.integers(0, span, n),
    )
    born = start + offset.astype("timedelta64[D]")

    n_first = rng.choice([1, 2, 3], size=n, p=[0.15, 0.55, 0.30])
    first_f = rng.choice(female, size=(n, 3), p=female_w)
    first_m = rng.choice(male, size=(n, 3), p=male_w)
    etunimet = []
    kutsumanimi = []
    for i in range(n):
        if foreign[i]:
            drawn = rng.choice(foreign_first, size=min(n_first[i], 2), p=foreign_first_w)
            names = list(dict.fromkeys(str(x) for x in drawn))
        else:
            pool = first_f[i] if sex[i] == "2" else first_m[i]
            names = list(dict.fromkeys(pool[: n_first[i]]))
        etunimet.append(" ".join(names))
        kutsumanimi.append(names[0] if py.random() < 0.85 else names[-1])
    sukunimi = np.where(
        foreign,
        rng.choice(foreign_last, size=n, p=foreign_last_w),
        rng.choice(surnames, size=n, p=surname_w),
    )
    city = rng.integers(0, len(CITIES), n)
    streets = STREETS.split()
    frame = pd.DataFrame(
        {
            "person_id": np.arange(n),
            "etunimet": etunimet,
            "kutsumanimi": kutsumanimi,
            "sukunimi": sukunimi.astype(object),
            "syntymaaika": pd.Series(born).dt.strftime("%Y-%m-%d"),
            "sukupuoli": sex,
            "kansalaisuus": np.where(foreign, "999", "246"),
            "katuosoite": [
                f"{streets[k]} {m}"
                for k, m in zip(
                    rng.integers(0, len(streets), n), rng.integers(1, 120, n), strict=True
                )
            ],
            "postinumero": [CITIES[c][0] for c in city],
            "kaupunki": [CITIES[c][1] for c in city],
        }
    )
    # hetu: most Finns have one; unique per person (test range allows 50 per sex and date)
    has_hetu = ~foreign & (rng.random(n) < 0.93)
    used: set[str] = set()
    hetus: list[str | None] = []
    for i in range(n):
        value = None
        if has_hetu[i]:
            bd = date.fromisoformat(frame.at[i, "syntymaaika"])
            for _ in range(6):
                candidate = hetu_mod.generate(py, birth_date=bd, sex=sex[i])
                if candidate not in used:
                    used.add(candidate)
                    value = candidate
                    break
        hetus.append(value)
    frame["hetu"] = pd.Series(hetus, dtype=object)
    frame["passinumero"] = pd.Series(
        [f"P{py.randrange(10**7, 10**8)}" if h is None else None for h in hetus], dtype=object
    )
    frame["sahkoposti"] = [
        f"{fold_accents(e.split()[0]).lower()}.{fold_accents(s).lower().replace(chr(39), '')}"
        f".{i}@example.fi"  # unique per person: an e-mail address is never shared
        for i, (e, s) in enumerate(zip(frame["etunimet"], frame["sukunimi"], strict=True))
    ]
    return frame


def _twins(people: pd.DataFrame, rate: float, rng: np.random.Generator) -> pd.DataFrame:
    """Hard negatives: a sibling with the same surname, birth date and address."""
    chosen = people[rng.random(len(people)) < rate].copy()
    female, female_w = _weighted(FEMALE_NAMES)
    male, male_w = _weighted(MALE_NAMES)
    py = random.Random(int(rng.integers(2**31)))
    new_first = []
    for sex, old in zip(chosen["sukupuoli"], chosen["etunimet"], strict=True):
        pool, weights = (female, female_w) if sex == "2" else (male, male_w)
        while True:
            names = list(dict.fromkeys(rng.choice(pool, size=2, p=weights)))
            if names[0] not in old.split():
                break
        new_first.append(" ".join(names))
    chosen["etunimet"] = new_first
    chosen["kutsumanimi"] = [e.split()[0] for e in new_first]
    used = set(people["hetu"].dropna())
    hetus = []
    for h, bd, sex in zip(chosen["hetu"], chosen["syntymaaika"], chosen["sukupuoli"], strict=True):
        new = None
        for _ in range(20 if h is not None else 0):  # a hetu is unique: never reuse one
            candidate = hetu_mod.generate(py, birth_date=date.fromisoformat(bd), sex=sex)
            if candidate not in used:
                new = candidate
                used.add(new)
                break
        hetus.append(new)
    chosen["hetu"] = pd.Series(hetus, index=chosen.index, dtype=object)
    chosen["person_id"] = np.arange(len(people), len(people) + len(chosen))
    chosen["sahkoposti"] = [
        f"{fold_accents(e.split()[0]).lower()}.{i}@example.fi"
        for e, i in zip(chosen["etunimet"], chosen["person_id"], strict=True)
    ]
    chosen["passinumero"] = pd.Series(
        [f"P{py.randrange(10**7, 10**8)}" if h is None else None for h in chosen["hetu"]],
        index=chosen.index,
        dtype=object,
    )
    return chosen


def _corrupt(row: dict, py: random.Random) -> dict:
    """One duplicate record of ``row`` with independent error draws."""
    r = dict(row)
    rates = ERROR_RATES
    if r["hetu"] is not None and py.random() < rates["drop_hetu"]:
        r["hetu"] = None
        r["passinumero"] = f"P{py.randrange(10**7, 10**8)}"
    elif r["hetu"] is not None and py.random() < rates["hetu_typo"]:
        r["hetu"] = _hetu_typo(py, r["hetu"])
    names = r["etunimet"].split()
    if len(names) > 1 and py.random() < rates["first_names_subset"]:
        names = names[:1]
    if py.random() < rates["kutsumanimi_only"]:
        names = [r["kutsumanimi"]]
    etunimet = " ".join(names)
    if "-" in etunimet and py.random() < rates["hyphen_space"] * 4:
        etunimet = etunimet.replace("-", " ")
    sukunimi = r["sukunimi"]
    if py.random() < rates["surname_change"]:
        sukunimi = py.choice(
            [
                "Virtanen",
                "Korhonen",
                "Laine",
                "Koivisto",
                "Lindberg",
                "Aaltonen",
                "Peltonen",
                "Heino",
                "Kallio",
                "Rautio",
                "Väänänen",
                "Hakkarainen",
            ]
        )
        if sukunimi == r["sukunimi"]:
            sukunimi = "Sundström"
    if py.random() < rates["name_typo"]:
        if py.random() < 0.5:
            sukunimi = _typo(py, sukunimi)
        else:
            etunimet = _typo(py, etunimet)
    if py.random() < rates["fold_accents"]:
        etunimet, sukunimi = fold_accents(etunimet), fold_accents(sukunimi)
    r["etunimet"], r["sukunimi"] = etunimet, sukunimi
    if r["kutsumanimi"] not in etunimet.split():
        r["kutsumanimi"] = etunimet.split()[0] if etunimet else None
    born = date.fromisoformat(r["syntymaaika"])
    if born.day <= 12 and born.day != born.month and py.random() < rates["swap_day_month"]:
        r["syntymaaika"] = date(born.year, born.day, born.month).isoformat()
    elif py.random() < rates["date_typo"]:
        r["syntymaaika"] = _date_typo(py, born).isoformat()
    if py.random() < rates["drop_birth_date"] and r["hetu"] is not None:
        r["syntymaaika"] = None
    if py.random() < rates["drop_email"]:
        r["sahkoposti"] = None
    elif py.random() < rates["new_email"]:
        r["sahkoposti"] = f"{fold_accents(names[0]).lower()}.{r['person_id']}@student.example.fi"
    if py.random() < rates["new_address"]:
        r["katuosoite"] = f"{py.choice(STREETS.split())} {py.randrange(1, 120)}"
        r["postinumero"], r["kaupunki"] = py.choice(CITIES)
    return r


def generate_register(
    n: int,
    *,
    seed: int = 20261127,
    duplicate_rate: float = 0.12,
    twin_rate: float = 0.01,
) -> pd.DataFrame:
    """``n`` synthetic records: people, their twins and their duplicates, shuffled.

    ``duplicate_rate`` is the share of people with a second record (a tenth of those get a
    third). ``person_id`` holds the ground truth; ``tunniste`` is the record id.
    """
    if n < 1:
        raise ValueError("n must be positive")
    rng = np.random.default_rng(seed)
    py = random.Random(seed)
    # a little more than needed, then the first n of the shuffle: len(result) == n exactly
    n_people = max(1, int(n / (1 + duplicate_rate * 1.1 + twin_rate)) + 20 + n // 50)
    people = _people(n_people, rng, py)
    twins = _twins(people, twin_rate, rng)
    people = pd.concat([people, twins], ignore_index=True)
    dup_source = people[rng.random(len(people)) < duplicate_rate]
    third = dup_source[rng.random(len(dup_source)) < 0.1]
    records = people.to_dict("records")
    for row in dup_source.to_dict("records") + third.to_dict("records"):
        records.append(_corrupt(row, py))
    frame = pd.DataFrame.from_records(records)
    frame = frame.sample(frac=1.0, random_state=seed).head(n).reset_index(drop=True)
    frame.insert(0, "tunniste", [f"R{i:07d}" for i in range(len(frame))])
    return frame


def true_pairs(records: pd.DataFrame) -> set[tuple[str, str]]:
    """Every (tunniste_l, tunniste_r) pair, l < r, that is one person in the ground truth."""
    grouped = records.groupby("person_id")["tunniste"].agg(list)
    pairs: set[tuple[str, str]] = set()
    for ids in grouped[grouped.map(len) > 1]:
        ids = sorted(ids)
        pairs.update((a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
    return pairs
