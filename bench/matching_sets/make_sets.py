"""Write the frozen evaluation sets for the matcher (``corrupted.csv.gz``, ``korkeakoulu.csv.gz``).

Independent of ``onrtools`` on purpose: nothing here is imported from the package (not the name
lists, not the hetu code, not the corruptions of
``onrtools/duplicates/matching/synthetic.py``), so the matcher is measured on records it was
not built from. Standard library and pandas only.

    python bench/matching_sets/make_sets.py            # rewrite both files (seed 4242)

The files in the repository are the frozen output; rerunning with the same seed and library
versions reproduces them, but the committed files are the reference, not this script.

* ``corrupted``: a corruptor in the style of the published record-linkage generators (FEBRL,
  GeCo): originals and 1-4 duplicates each, every duplicate with 1-3 independent modifications
  drawn from keyboard typos, OCR errors, phonetic variants, missing values, given/surname swap,
  date errors (digit typo, day/month swap, year off by one), nicknames and initials.
* ``korkeakoulu``: a university register's mix: about three quarters Finnish (several given
  names, hyphens, double surnames, Swedish names, ä/ö/å), one quarter foreign (Chinese,
  Vietnamese, Indian, Arabic, Russian, Spanish, German, ... with name order, transliteration
  and multi-part surname variants), with twins as hard negatives (same surname, birth date and
  address, different first names and hetus).

Columns use ONR's field names; ``person_id`` is the ground truth. Every hetu is synthetic with
an individual number 900-999.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 4242
CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"

FI_FEMALE = (
    "Aino Anna Anni Anu Eeva Elina Ella Emilia Emma Essi Hanna Heidi Helmi Iida Inka Jenna "
    "Johanna Julia Kaisa Katariina Kerttu Kristiina Laura Leena Liisa Linnea Maija Marjatta "
    "Minna Nelli Noora Oona Pauliina Pihla Reetta Riikka Saara Sanni Satu Sofia Suvi Taina "
    "Tiia Tuulia Veera Venla Vilhelmiina Aila Päivi Sirkka Hellä Ulla Kirsikka Ilona Maaria"
).split()
FI_MALE = (
    "Aapo Aarne Ahti Aleksi Antti Ari Eetu Eino Elmeri Erkki Hannu Harri Heikki Ilkka Jaakko "
    "Jani Jere Joni Jouni Juho Jyrki Kai Kalle Kimmo Lassi Lauri Markku Matti Mika Niklas Olli "
    "Pasi Paavo Pertti Reijo Risto Roope Sakari Simo Tapio Teuvo Toni Tuukka Unto Valtteri "
    "Vesa Vilho Ville Väinö Yrjö Jyri Arvo Kyösti Mauno Oiva"
).split()
FI_DOUBLE = {
    "2": "Anna-Kaisa Marja-Liisa Eeva-Maria Sanna-Mari Tiina-Maria".split(),
    "1": "Jan-Erik Per-Olof Kaj-Erik Juha-Pekka Jukka-Pekka".split(),
}
FI_SURNAMES = (
    "Aaltonen Ahola Alanko Anttila Aro Eskola Haapala Hakala Halonen Harju Hautala Hiltunen "
    "Huttunen Hyvönen Härkönen Ikonen Jokela Jääskeläinen Kallio Kangas Karvonen Kauppinen "
    "Kettunen Kivelä Koivisto Kokkonen Komulainen Koponen Kosonen Kukkonen Kuusela Laakso "
    "Lappalainen Lehtola Leppänen Lindroos Luoma Lyytikäinen Manninen Markkanen Miettinen "
    "Mononen Mustonen Myllymäki Nurmi Nyberg Ojala Oksanen Paananen Pakarinen Partanen "
    "Peltola Pesonen Pietilä Pitkänen Pulkkinen Puustinen Rautiainen Rissanen Rönkkö Saarela "
    "Seppälä Siltanen Sirviö Soininen Suominen Tikkanen Toivonen Tolonen Tuomela Uusitalo "
    "Vainio Valtonen Vesterinen Viitanen Vuorinen Väänänen Ylönen Åkerblom Öster Björklund "
    "Ekström Forsström Granqvist Holmström Sandström Wikström Långström Söderholm Nykänen"
).split()
NICKNAMES = {
    "Aleksi": "Aki",
    "Antti": "Antsa",
    "Johanna": "Jonna",
    "Katariina": "Kati",
    "Kristiina": "Kiti",
    "Elisabet": "Liisa",
    "Matti": "Masa",
    "Heikki": "Heka",
    "Juho": "Jussi",
    "Valtteri": "Valtsu",
    "Jaakko": "Jaska",
    "Pauliina": "Paula",
    "Sakari": "Sakke",
    "Marjatta": "Marja",
    "Ville": "Vilkku",
    "Kalle": "Kalle",
    "Alexander": "Alex",
    "William": "Bill",
    "Robert": "Bob",
    "Elizabeth": "Liz",
    "Katherine": "Kate",
    "Michael": "Mike",
    "Aleksandr": "Sasha",
    "Ekaterina": "Katya",
    "Francisco": "Paco",
    "José": "Pepe",
    "Jennifer": "Jenny",
    "Daniel": "Dan",
}
# foreign names by origin: given names, surnames, spelling variants (transliteration)
FOREIGN = {
    "zh": (
        "Wei Xiaoming Jing Li Yan Hao Jun Mei Ling Qiang Yu Tao Xin Fang Lei".split(),
        "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu".split(),
    ),
    "vi": (
        "Lan Minh Anh Thanh Huong Duc Linh Tuan Trang Hoa".split(),
        "Nguyen Tran Le Pham Hoang Phan Vu Dang Bui Do".split(),
    ),
    "in": (
        "Priya Rahul Arjun Ananya Vikram Deepa Kiran Sanjay Lakshmi Rohit".split(),
        "Sharma Patel Singh Kumar Reddy Iyer Nair Gupta Rao Das".split(),
    ),
    "ar": (
        "Mohammed Ahmed Fatima Aisha Omar Yusuf Leila Hassan Amina Khalid".split(),
        "Al-Hassan Haddad Khalil Nasser Al-Sayed Mansour Saleh Abdullah Farouk Aziz".split(),
    ),
    "ru": (
        "Aleksandr Sergei Tatiana Natalia Dmitri Ekaterina Olga Ivan Yulia Andrei".split(),
        "Ivanov Smirnova Petrov Kuznetsova Popov Sokolova Volkov Morozova Lebedev Orlova".split(),
    ),
    "es": (
        "José María Carlos Lucía Javier Ana Francisco Isabel Diego Elena".split(),
        "García López Martínez Rodríguez Fernández Sánchez Pérez Gómez Díaz Ruiz".split(),
    ),
    "de": (
        "Jürgen Lukas Anna Felix Sophie Jonas Lena Maximilian Clara Björn".split(),
        "Müller Schmidt Schröder Wagner Becker Hoffmann Schäfer Koch Weiß Köhler".split(),
    ),
    "en": (
        "John Emily Michael Sarah William Jennifer Robert Elizabeth Katherine Daniel".split(),
        "Smith Johnson Brown Taylor Wilson Davies Evans Thomas Roberts Walker".split(),
    ),
}
TRANSLIT = {
    "Mohammed": ["Muhammad", "Mohamed", "Mohammad"],
    "Ahmed": ["Ahmad"],
    "Yusuf": ["Youssef"],
    "Aleksandr": ["Alexander", "Aleksander"],
    "Sergei": ["Sergey"],
    "Tatiana": ["Tatyana"],
    "Dmitri": ["Dmitry", "Dmitrij"],
    "Yulia": ["Julia", "Iuliia"],
    "Andrei": ["Andrey"],
    "Ekaterina": ["Yekaterina"],
    "Natalia": ["Natalya"],
    "Khalid": ["Khaled"],
    "Al-Hassan": ["Al Hassan", "Alhassan", "El-Hassan"],
    "Al-Sayed": ["El-Sayed", "Alsayed"],
    "Abdullah": ["Abdallah"],
    "Farouk": ["Faruk"],
    "Smirnova": ["Smirnowa"],
}
STREETS = (
    "Mannerheimintie Hämeenkatu Kauppakatu Rantatie Koulukatu Puistotie Asemakatu Myllytie".split()
)
CITIES = [
    ("00100", "Helsinki"),
    ("33100", "Tampere"),
    ("20100", "Turku"),
    ("90100", "Oulu"),
    ("40100", "Jyväskylä"),
    ("70100", "Kuopio"),
    ("02150", "Espoo"),
    ("65100", "Vaasa"),
]
KEYBOARD = {  # QWERTY neighbours (Finnish layout adds ä/ö next to l/p)
    "q": "wa",
    "w": "qes",
    "e": "wrd",
    "r": "etf",
    "t": "ryg",
    "y": "tuh",
    "u": "yij",
    "i": "uok",
    "o": "ipl",
    "p": "oå",
    "a": "qsz",
    "s": "adw",
    "d": "sfe",
    "f": "dgr",
    "g": "fht",
    "h": "gjy",
    "j": "hku",
    "k": "jli",
    "l": "kö",
    "z": "xa",
    "x": "zc",
    "c": "xv",
    "v": "cb",
    "b": "vn",
    "n": "bm",
    "m": "n",
    "ä": "öå",
    "ö": "lä",
}
OCR = [
    ("rn", "m"),
    ("m", "rn"),
    ("cl", "d"),
    ("l", "1"),
    ("o", "0"),
    ("i", "l"),
    ("e", "c"),
    ("u", "v"),
    ("h", "b"),
    ("S", "5"),
    ("B", "8"),
    ("g", "q"),
]
PHONETIC = [
    ("ks", "x"),
    ("x", "ks"),
    ("ph", "f"),
    ("f", "ph"),
    ("ck", "k"),
    ("kk", "k"),
    ("tt", "t"),
    ("ll", "l"),
    ("nn", "n"),
    ("ss", "s"),
    ("ii", "i"),
    ("aa", "a"),
    ("w", "v"),
    ("v", "w"),
    ("c", "k"),
    ("k", "c"),
    ("j", "y"),
    ("y", "j"),
    ("ei", "ey"),
    ("th", "t"),
    ("z", "ts"),
    ("ts", "z"),
    ("q", "k"),
]


def hetu(rng: random.Random, born: date, sex: str, used: set[str]) -> str:
    """A valid synthetic hetu (individual number 900-999, odd for men), unique in ``used``."""
    sign = {18: "+", 19: "-", 20: "A"}[born.year // 100]
    for _ in range(200):
        number = rng.randrange(900, 1000)
        if (number % 2 == 1) != (sex == "1"):
            number = number + 1 if number < 999 else number - 1
        digits = f"{born:%d%m%y}{number:03d}"
        value = f"{born:%d%m%y}{sign}{number:03d}{CHECK[int(digits) % 31]}"
        if value not in used:
            used.add(value)
            return value
    return ""


def fold(text: str) -> str:
    return text.translate(str.maketrans("äöåÄÖÅüÜéáíóúñ", "aoaAOAuUeaioun"))


def spelled_out(text: str) -> str:
    """ä -> ae, ö -> oe, å -> aa, ü -> ue (how some systems write them)."""
    pairs = {"ä": "ae", "ö": "oe", "å": "aa", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Å": "Aa", "Ü": "Ue"}
    return "".join(pairs.get(c, c) for c in text)


def keyboard_typo(rng: random.Random, text: str) -> str:
    if len(text) < 2:
        return text
    i = rng.randrange(len(text))
    kind = rng.random()
    c = text[i].lower()
    if kind < 0.4 and c in KEYBOARD:
        new = rng.choice(KEYBOARD[c])
        return text[:i] + (new.upper() if text[i].isupper() else new) + text[i + 1 :]
    if kind < 0.6:
        return text[:i] + text[i + 1 :] if i > 0 else text[1:].capitalize()
    if kind < 0.8 and i < len(text) - 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i] + text[i:]  # doubled letter


def pattern_swap(rng: random.Random, text: str, table: list[tuple[str, str]]) -> str:
    hits = [(a, b) for a, b in table if a in text]
    if not hits:
        return keyboard_typo(rng, text)
    a, b = rng.choice(hits)
    starts = [k for k in range(len(text)) if text.startswith(a, k)]
    k = rng.choice(starts)
    return text[:k] + b + text[k + len(a) :]


def date_error(rng: random.Random, iso: str) -> str:
    d = date.fromisoformat(iso)
    kind = rng.random()
    if kind < 0.3 and d.day <= 12 and d.day != d.month:
        return date(d.year, d.day, d.month).isoformat()
    if kind < 0.5:
        try:
            return d.replace(year=d.year + rng.choice([-1, 1])).isoformat()
        except ValueError:
            return (d + timedelta(days=365)).isoformat()
    for _ in range(20):  # one digit changed, still a real date
        text = list(iso)
        pos = rng.choice([2, 3, 5, 6, 8, 9])
        text[pos] = str(rng.randrange(10))
        try:
            new = date.fromisoformat("".join(text))
        except ValueError:
            continue
        if new != d and 1940 <= new.year <= 2010:
            return new.isoformat()
    return (d + timedelta(days=rng.choice([-1, 1]))).isoformat()


def hetu_typo(rng: random.Random, value: str) -> str:
    """One digit changed; never the individual number's first digit, which stays 9 (test range)."""
    i = rng.choice([0, 1, 2, 3, 4, 5, 8, 9])
    return value[:i] + str((int(value[i]) + rng.randrange(1, 10)) % 10) + value[i + 1 :]


def _base_record(
    rng: random.Random, pid: int, used: set[str], *, foreign_share: float, hetu_share: float
) -> dict:
    sex = rng.choice("12")
    born = date(1955, 1, 1) + timedelta(days=rng.randrange(0, 365 * 52))
    if rng.random() < 0.6:  # students: mostly born 1990-2006
        born = date(1990, 1, 1) + timedelta(days=rng.randrange(0, 365 * 16))
    origin = rng.choice(list(FOREIGN)) if rng.random() < foreign_share else "fi"
    if origin == "fi":
        pool = FI_FEMALE if sex == "2" else FI_MALE
        k = rng.choices([1, 2, 3], [0.2, 0.55, 0.25])[0]
        given = list(dict.fromkeys(rng.choice(pool) for _ in range(k)))
        if rng.random() < 0.05:
            given[0] = rng.choice(FI_DOUBLE[sex])
        surname = rng.choice(FI_SURNAMES)
        if rng.random() < 0.04:
            surname = f"{surname}-{rng.choice(FI_SURNAMES)}"
        nationality = "246"
    else:
        firsts, lasts = FOREIGN[origin]
        given = list(dict.fromkeys(rng.choice(firsts) for _ in range(rng.choice([1, 1, 2]))))
        surname = rng.choice(lasts)
        if origin == "es":
            surname = f"{surname} {rng.choice(lasts)}"
        if origin == "vi" and rng.random() < 0.6:
            given = [rng.choice(["Thi", "Van", "Duc", "Minh"]), *given]
        nationality = {
            "zh": "156",
            "vi": "704",
            "in": "356",
            "ar": "818",
            "ru": "643",
            "es": "724",
            "de": "276",
            "en": "826",
        }[origin]
    has_hetu = rng.random() < (hetu_share if origin == "fi" else hetu_share / 4)
    city = rng.choice(CITIES)
    user = fold(given[0]).lower().replace(" ", "") + "." + fold(surname).lower().replace(" ", "")
    return {
        "person_id": pid,
        "origin": origin,
        "etunimet": " ".join(given),
        "kutsumanimi": given[0] if rng.random() < 0.8 else "",
        "sukunimi": surname,
        "syntymaaika": born.isoformat(),
        "sukupuoli": sex,
        "hetu": hetu(rng, born, sex, used) if has_hetu else "",
        "passinumero": f"{rng.choice('PXKM')}{rng.randrange(10**6, 10**7)}"
        if not has_hetu or rng.random() < 0.1
        else "",
        "sahkoposti": f"{user}{pid}@{rng.choice(['example.fi', 'mail.example.com'])}"
        if rng.random() < 0.7
        else "",
        "kansalaisuus": nationality,
        "katuosoite": f"{rng.choice(STREETS)} {rng.randrange(1, 90)}",
        "postinumero": city[0],
        "kaupunki": city[1],
    }


# --- set (a): FEBRL/GeCo-style corruptor ---------------------------------------------------


def _corrupt_field(rng: random.Random, r: dict) -> None:
    """One modification of one field of ``r`` (in place)."""
    kind = rng.choices(
        [
            "keyboard",
            "ocr",
            "phonetic",
            "missing",
            "swap_names",
            "date",
            "nickname",
            "initial",
            "hetu",
            "email",
            "address",
        ],
        [22, 8, 12, 18, 5, 14, 5, 5, 4, 4, 3],
    )[0]
    name_field = rng.choice(["etunimet", "sukunimi"])
    if kind in ("keyboard", "ocr", "phonetic") and r[name_field]:
        func = {
            "keyboard": keyboard_typo,
            "ocr": lambda g, t: pattern_swap(g, t, OCR),
            "phonetic": lambda g, t: pattern_swap(g, t, PHONETIC),
        }[kind]
        r[name_field] = func(rng, r[name_field])
    elif kind == "missing":
        field = rng.choices(
            [
                "etunimet",
                "sukunimi",
                "syntymaaika",
                "hetu",
                "sahkoposti",
                "katuosoite",
                "passinumero",
                "sukupuoli",
            ],
            [20, 10, 15, 15, 15, 10, 10, 5],
        )[0]
        r[field] = ""
        if field == "etunimet":
            r["kutsumanimi"] = ""
    elif kind == "swap_names":
        r["etunimet"], r["sukunimi"] = r["sukunimi"], r["etunimet"]
        r["kutsumanimi"] = ""
    elif kind == "date" and r["syntymaaika"]:
        r["syntymaaika"] = date_error(rng, r["syntymaaika"])
    elif kind == "nickname" and r["etunimet"]:
        first = r["etunimet"].split()[0]
        r["etunimet"] = NICKNAMES.get(first, first[:3])
        r["kutsumanimi"] = ""
    elif kind == "initial" and r["etunimet"]:
        parts = r["etunimet"].split()
        r["etunimet"] = " ".join([parts[0][0] + "."] + parts[1:2])
        r["kutsumanimi"] = ""
    elif kind == "hetu" and r["hetu"]:
        r["hetu"] = hetu_typo(rng, r["hetu"])
    elif kind == "email" and r["sahkoposti"]:
        r["sahkoposti"] = keyboard_typo(rng, r["sahkoposti"])
    elif kind == "address":
        r["katuosoite"] = keyboard_typo(rng, r["katuosoite"]) if r["katuosoite"] else ""
    else:
        r[name_field] = keyboard_typo(rng, r[name_field]) if r[name_field] else ""


def make_corrupted(
    rng: random.Random, originals: int = 6000, duplicates: int = 4000
) -> pd.DataFrame:
    used: set[str] = set()
    people = [
        _base_record(rng, pid, used, foreign_share=0.3, hetu_share=0.6) for pid in range(originals)
    ]
    rows = list(people)
    # FEBRL-style: a duplicate count per chosen original (1-4, fewer of the larger)
    remaining = duplicates
    while remaining > 0:
        source = rng.choice(people)
        for _ in range(min(remaining, rng.choices([1, 2, 3, 4], [0.6, 0.25, 0.1, 0.05])[0])):
            dup = dict(source)
            for _ in range(rng.choices([1, 2, 3], [0.45, 0.35, 0.2])[0]):
                _corrupt_field(rng, dup)
            rows.append(dup)
            remaining -= 1
    return _finish(rng, rows, "A")


# --- set (b): a korkeakoulu's mix -----------------------------------------------------------


def _variant_name(rng: random.Random, r: dict) -> None:
    origin = r["origin"]
    given, surname = r["etunimet"].split(), r["sukunimi"]
    kind = rng.random()
    if origin == "fi":
        if kind < 0.25:
            enc = rng.choice([fold, spelled_out])
            r["etunimet"], r["sukunimi"] = enc(r["etunimet"]), enc(surname)
        elif kind < 0.4 and len(given) > 1:
            r["etunimet"] = given[0]
        elif kind < 0.5:
            r["etunimet"] = r["etunimet"].replace("-", " ") if "-" in r["etunimet"] else given[-1]
        elif kind < 0.6:
            r["etunimet"] = given[0][0] + "." + ("" if len(given) == 1 else " " + given[1])
        elif kind < 0.7 and "-" in surname:
            r["sukunimi"] = rng.choice(surname.split("-"))
        elif kind < 0.8:
            r["sukunimi"] = keyboard_typo(rng, surname)
        else:
            r["etunimet"] = keyboard_typo(rng, r["etunimet"])
        return
    if kind < 0.3:  # order: surname given as first name and vice versa
        r["etunimet"], r["sukunimi"] = surname, " ".join(given)
    elif kind < 0.45 and len(given) > 1:
        r["etunimet"] = " ".join(reversed(given))
    elif kind < 0.6 and " " in surname:
        r["sukunimi"] = surname.split()[0]
    elif kind < 0.8:
        changed = False
        for old, new in TRANSLIT.items():
            if old in r["etunimet"] or old in surname:
                alt = rng.choice(new)
                r["etunimet"], r["sukunimi"] = (
                    r["etunimet"].replace(old, alt),
                    surname.replace(old, alt),
                )
                changed = True
                break
        if not changed:
            r["etunimet"], r["sukunimi"] = fold(r["etunimet"]), fold(surname)
            if r["etunimet"] == " ".join(given) and r["sukunimi"] == surname:
                r["sukunimi"] = keyboard_typo(rng, surname)
    else:
        r["etunimet"] = keyboard_typo(rng, r["etunimet"])
    r["kutsumanimi"] = ""


def _variant_other(rng: random.Random, r: dict, used: set[str]) -> None:
    kind = rng.random()
    if kind < 0.25 and r["hetu"]:  # first imported with a passport
        r["hetu"] = ""
        r["passinumero"] = r["passinumero"] or f"P{rng.randrange(10**6, 10**7)}"
    elif kind < 0.35 and not r["hetu"] and r["later_hetu"]:
        r["hetu"] = r["later_hetu"]  # got a hetu later (one person has one hetu)
    elif kind < 0.5 and r["syntymaaika"]:
        r["syntymaaika"] = date_error(rng, r["syntymaaika"])
    elif kind < 0.6 and (r["hetu"] or r["passinumero"]):
        r["syntymaaika"] = ""
    elif kind < 0.75:
        r["sahkoposti"] = ""
    elif kind < 0.85:
        city = rng.choice(CITIES)
        r["katuosoite"] = f"{rng.choice(STREETS)} {rng.randrange(1, 90)}"
        r["postinumero"], r["kaupunki"] = city
    elif kind < 0.9 and r["hetu"]:
        r["hetu"] = hetu_typo(rng, r["hetu"])


def make_korkeakoulu(rng: random.Random, people_n: int = 7600) -> pd.DataFrame:
    used: set[str] = set()
    people = [
        _base_record(rng, pid, used, foreign_share=0.25, hetu_share=0.92) for pid in range(people_n)
    ]
    for r in people:  # the hetu a foreign student without one may get later
        r["later_hetu"] = (
            ""
            if r["hetu"] or r["origin"] == "fi"
            else hetu(rng, date.fromisoformat(r["syntymaaika"]), r["sukupuoli"], used)
        )
    twins = []
    for r in rng.sample(people, int(people_n * 0.015)):
        twin = dict(r)
        twin["person_id"] = people_n + len(twins)
        pool = FI_FEMALE if r["sukupuoli"] == "2" else FI_MALE
        if r["origin"] != "fi":
            pool = FOREIGN[r["origin"]][0]
        old = set(r["etunimet"].split())
        names = [n for n in rng.sample(pool, 3) if n not in old][:2]
        twin["etunimet"] = " ".join(names)
        twin["kutsumanimi"] = names[0]
        twin["hetu"] = (
            hetu(rng, date.fromisoformat(r["syntymaaika"]), r["sukupuoli"], used)
            if r["hetu"]
            else ""
        )
        twin["passinumero"] = "" if twin["hetu"] else f"P{rng.randrange(10**6, 10**7)}"
        twin["sahkoposti"] = ""
        twin["later_hetu"] = ""
        twins.append(twin)
    people += twins
    rows = list(people)
    for source in rng.sample(people, int(len(people) * 0.25)):
        for _ in range(1 if rng.random() < 0.85 else 2):
            dup = dict(source)
            if rng.random() < 0.8:
                _variant_name(rng, dup)
            for _ in range(rng.choice([1, 1, 2])):
                _variant_other(rng, dup, used)
            rows.append(dup)
    return _finish(rng, rows, "K")


def _finish(rng: random.Random, rows: list[dict], prefix: str) -> pd.DataFrame:
    rng.shuffle(rows)
    frame = pd.DataFrame(rows).drop(columns=["origin", "later_hetu"], errors="ignore")
    frame.insert(0, "tunniste", [f"{prefix}{i:06d}" for i in range(len(frame))])
    return frame


def main() -> None:
    for name, make in (("corrupted", make_corrupted), ("korkeakoulu", make_korkeakoulu)):
        frame = make(random.Random(f"{SEED}:{name}"))
        path = HERE / f"{name}.csv.gz"
        frame.to_csv(path, index=False, compression={"method": "gzip", "mtime": 0})
        pairs = sum(n * (n - 1) // 2 for n in frame["person_id"].value_counts())
        print(f"{path.name}: {len(frame)} records, {pairs} true pairs")


if __name__ == "__main__":
    main()
