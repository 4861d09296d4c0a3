"""Synthetic name material for the simulated population (Finnish, Swedish-speaking, foreign)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

FI_MALE = [
    "Juhani",
    "Johannes",
    "Mikael",
    "Matti",
    "Olavi",
    "Antero",
    "Tapani",
    "Kalevi",
    "Onni",
    "Eino",
    "Väinö",
    "Leevi",
    "Elias",
    "Eetu",
    "Aleksi",
    "Lauri",
    "Ville",
    "Jussi",
    "Pekka",
    "Timo",
    "Jari",
    "Mikko",
    "Teemu",
    "Tuomas",
    "Ilmari",
    "Veeti",
    "Aatu",
    "Niilo",
    "Sakari",
    "Heikki",
    "Pertti",
    "Seppo",
    "Ari",
    "Jyrki",
    "Oskari",
    "Eemeli",
    "Lenni",
    "Otto",
    "Kaarlo",
]
FI_FEMALE = [
    "Maria",
    "Helena",
    "Johanna",
    "Anneli",
    "Kaarina",
    "Marjatta",
    "Anna",
    "Sofia",
    "Aino",
    "Emilia",
    "Olivia",
    "Ella",
    "Venla",
    "Iida",
    "Aada",
    "Pihla",
    "Tuulikki",
    "Liisa",
    "Elina",
    "Hanna",
    "Laura",
    "Sanna",
    "Päivi",
    "Tiina",
    "Minna",
    "Sari",
    "Satu",
    "Riikka",
    "Kirsi",
    "Inkeri",
    "Hilkka",
    "Siiri",
    "Lumi",
    "Enni",
    "Noora",
    "Jenni",
    "Katja",
    "Essi",
    "Mari",
]
FI_HYPHEN = [
    "Anna-Liisa",
    "Marja-Leena",
    "Eeva-Kaarina",
    "Juha-Pekka",
    "Matti-Juhani",
    "Pirjo-Riitta",
    "Anna-Maija",
    "Jukka-Pekka",
    "Sanna-Mari",
    "Hanna-Leena",
    "Veli-Matti",
    "Kaija-Liisa",
]
FI_SURNAMES = [
    "Korhonen",
    "Virtanen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Lehtinen",
    "Saarinen",
    "Salminen",
    "Heinonen",
    "Niemi",
    "Heikkilä",
    "Kinnunen",
    "Salonen",
    "Turunen",
    "Salo",
    "Laitinen",
    "Tuominen",
    "Rantanen",
    "Karjalainen",
    "Jokinen",
    "Mattila",
    "Savolainen",
    "Lahtinen",
    "Ahonen",
    "Hyvönen",
    "Kärkkäinen",
    "Pöllänen",
    "Äijälä",
    "Öhman",
    "Ylönen",
    "Väisänen",
    "Räsänen",
    "Kettunen",
    "Hiltunen",
    "Leinonen",
    "Miettinen",
    "Pitkänen",
    "Rautio",
    "Seppälä",
]
SV_MALE = [
    "Erik",
    "Johan",
    "Anders",
    "Lars",
    "Henrik",
    "Fredrik",
    "Gustav",
    "Axel",
    "Håkan",
    "Björn",
    "Mats",
    "Nils",
    "Ragnar",
    "Kristoffer",
    "Carl",
]
SV_FEMALE = [
    "Karin",
    "Ingrid",
    "Astrid",
    "Linnéa",
    "Märta",
    "Sofie",
    "Ebba",
    "Åsa",
    "Stina",
    "Maja",
    "Annika",
    "Britt",
    "Ulla",
    "Elsa",
    "Frida",
]
SV_SURNAMES = [
    "Lindqvist",
    "Lindholm",
    "Nyström",
    "Sjöberg",
    "Åberg",
    "Holmström",
    "Wikström",
    "Söderlund",
    "Grönroos",
    "Björklund",
    "Forsström",
    "Ekholm",
    "Lönnqvist",
    "Backman",
    "Sundström",
    "Östman",
    "Strömberg",
]
FOREIGN: list[tuple[str, list[str], list[str], list[str], str]] = [
    # (nationality, male, female, surnames, mother tongue)
    (
        "233",
        ["Andres", "Mart", "Toomas"],
        ["Kadri", "Liis", "Triin"],
        ["Tamm", "Saar", "Sepp", "Mägi"],
        "ET",
    ),
    (
        "643",
        ["Dmitri", "Aleksei", "Ivan"],
        ["Olga", "Anastasia", "Jelena"],
        ["Ivanov", "Smirnova", "Kuznetsov"],
        "RU",
    ),
    ("156", ["Wei", "Hao", "Jun"], ["Li", "Xiu", "Mei"], ["Wang", "Zhang", "Chen", "Liu"], "ZH"),
    (
        "356",
        ["Arjun", "Rahul", "Vikram"],
        ["Priya", "Ananya", "Divya"],
        ["Sharma", "Patel", "Reddy"],
        "EN",
    ),
    (
        "276",
        ["Lukas", "Jonas", "Felix"],
        ["Lena", "Hannah", "Jülia"],
        ["Müller", "Schmidt", "Schäfer"],
        "DE",
    ),
    (
        "250",
        ["Théo", "Hugo", "Léo"],
        ["Chloé", "Léa", "Zoë"],
        ["Dubois", "Lefèvre", "Moreau"],
        "FR",
    ),
    (
        "724",
        ["José", "Álvaro", "Íñigo"],
        ["María", "Lucía", "Inés"],
        ["García", "Martínez", "Núñez"],
        "ES",
    ),
    ("704", ["Minh", "Duc", "Tuan"], ["Lan", "Huong", "Thao"], ["Nguyen", "Tran", "Pham"], "VI"),
    (
        "804",
        ["Andrii", "Oleksandr", "Taras"],
        ["Oksana", "Iryna", "Yuliia"],
        ["Shevchenko", "Kovalenko", "Bondarenko"],
        "UK",
    ),
    (
        "566",
        ["Chinedu", "Emeka", "Tunde"],
        ["Ngozi", "Amara", "Folake"],
        ["Okafor", "Adeyemi", "Eze"],
        "EN",
    ),
]
MUNICIPALITIES = [
    "091",
    "049",
    "092",
    "837",
    "564",
    "853",
    "179",
    "398",
    "297",
    "405",
    "609",
    "106",
    "167",
    "638",
    "698",
]
STREETS = [
    "Mannerheimintie",
    "Hämeenkatu",
    "Aleksanterinkatu",
    "Kauppakatu",
    "Rantatie",
    "Koulukatu",
    "Puistokatu",
    "Storgatan",
    "Asematie",
    "Kirkkokatu",
]
CITIES = {
    "091": ("HELSINKI", "00100"),
    "049": ("ESPOO", "02100"),
    "092": ("VANTAA", "01300"),
    "837": ("TAMPERE", "33100"),
    "564": ("OULU", "90100"),
    "853": ("TURKU", "20100"),
    "179": ("JYVÄSKYLÄ", "40100"),
    "398": ("LAHTI", "15100"),
    "297": ("KUOPIO", "70100"),
    "405": ("LAPPEENRANTA", "53100"),
    "609": ("PORI", "28100"),
    "106": ("HYVINKÄÄ", "05800"),
    "167": ("JOENSUU", "80100"),
    "638": ("PORVOO", "06100"),
    "698": ("ROVANIEMI", "96100"),
}


def birth_date(rng: random.Random) -> date:
    """Mostly students (born 1960–2007), a few older (1920s) and a few born in the 2000s."""
    roll = rng.random()
    if roll < 0.03:
        start, end = date(1920, 1, 1), date(1959, 12, 31)
    elif roll < 0.35:
        start, end = date(2000, 1, 1), date(2007, 12, 31)
    else:
        start, end = date(1960, 1, 1), date(1999, 12, 31)
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def finnish_names(rng: random.Random, sex: str) -> dict[str, Any]:
    """Names of a Finnish resident: 1–3 first names, sometimes hyphenated or Swedish."""
    swedish = rng.random() < 0.12
    pool = (
        (SV_MALE if sex == "1" else SV_FEMALE)
        if swedish
        else (FI_MALE if sex == "1" else FI_FEMALE)
    )
    count = rng.choices([1, 2, 3, 4], weights=[20, 50, 25, 5])[0]
    first = rng.sample(pool, min(count, len(pool)))
    if not swedish and rng.random() < 0.1:
        first[0] = rng.choice(FI_HYPHEN)
    surname = rng.choice(SV_SURNAMES if swedish else FI_SURNAMES)
    if rng.random() < 0.03:
        surname = f"{surname}-{rng.choice(FI_SURNAMES)}"
    etunimet = " ".join(first)
    roll = rng.random()
    if roll < 0.8:
        kutsumanimi = first[0]
    elif roll < 0.9 and len(first) > 1:
        kutsumanimi = first[1]
    elif "-" in first[0]:
        kutsumanimi = first[0].split("-")[0]
    else:
        kutsumanimi = first[0]
    return {
        "etunimet": etunimet,
        "kutsumanimi": kutsumanimi,
        "sukunimi": surname,
        "aidinkieli": "SV" if swedish else ("FI" if rng.random() < 0.97 else "SE"),
    }


def foreign_names(rng: random.Random, sex: str) -> dict[str, Any]:
    nat, male, female, surnames, lang = rng.choice(FOREIGN)
    first = rng.choice(male if sex == "1" else female)
    return {
        "etunimet": first,
        "kutsumanimi": first,
        "sukunimi": rng.choice(surnames),
        "aidinkieli": lang,
        "kansalaisuus": [nat],
    }


def address(rng: random.Random, kunta: str) -> dict[str, str]:
    city, postal = CITIES.get(kunta, ("HELSINKI", "00100"))
    return {
        "katuosoite": f"{rng.choice(STREETS)} {rng.randint(1, 80)} "
        f"{rng.choice('ABC')} {rng.randint(1, 40)}",
        "postinumero": postal,
        "kaupunki": city,
    }
