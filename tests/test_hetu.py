"""onrtools.register.hetu: ONR's vectors, agreement with stdnum, generator, masking, vectors."""

from __future__ import annotations

import random
import string
from datetime import date

import pandas as pd
import pytest
import stdnum.fi.hetu as stdnum_hetu
from hypothesis import given, settings
from hypothesis import strategies as st

from onrtools.register import hetu

# REST.md §9.1 (HetuUtilsTest) and SEMANTICS.md §7.3
ONR_VALID = [
    "140689V916C",
    "181003Y977Y",
    "210582-968Y",
    "010594Y9032",
    "020504B904H",
    "010516B903X",
    "010101-923F",
    "180897-987X",
    "100690-941V",
    "170654-998X",
    "230668-903B",
    "190198-9256",
    "200198-948K",
    "190198-9278",
    "300146-942D",
    "170925-997U",
    "080274-9085",
    "131161-947J",
]
ONR_FAKE = [
    "111111-985K",
    "120963-969H",
    "170897-935L",
    "180897-945K",
    "170498-993H",
    "030296-976T",
    "240784-9105",
    "011151-920B",
    "080863-924N",
    "251098-9515",
    "251098-991E",
    "251098-937P",
    "271198-9197",
    "111298-917M",
    "310817A983J",
]
ONR_INVALID = [
    "123456+789",
    "990101A1234",
    "000101A1234",
    "320101A1234",
    "123456:7890",
    "111111-923L",
    "111111-924M",
    "190259-917P",
    "190259-955X",
]


def oracle(value: str, allow_temporary: bool = True) -> bool:
    return stdnum_hetu.is_valid(value, allow_temporary=allow_temporary)


@pytest.mark.parametrize("code", ONR_VALID + ONR_FAKE)
def test_onr_valid_vectors(code: str) -> None:
    assert hetu.is_valid(code)
    assert oracle(code)


@pytest.mark.parametrize("code", ONR_INVALID)
def test_onr_invalid_vectors(code: str) -> None:
    assert not hetu.is_valid(code)
    with pytest.raises(ValueError):
        hetu.parse(code)


@pytest.mark.parametrize("code", ONR_FAKE)
def test_fake_numbers_are_test_and_refused_without_temporary(code: str) -> None:
    assert hetu.is_test(code)
    assert not hetu.is_valid(code, allow_temporary=False)
    assert not oracle(code, allow_temporary=False)


def test_parse_fields() -> None:
    info = hetu.parse("140689V916C")
    assert info.birth_date == date(1989, 6, 14)
    assert info.century == 1900 and info.sign == "V"
    assert info.individual_number == 916 and info.sex == "2" and info.is_test
    assert hetu.parse("181003Y977Y").sex == "1"
    assert hetu.birth_date("020504B904H") == date(2004, 5, 2)
    old = f"010101+002{hetu.CHECK_CHARS[10101002 % 31]}"
    assert hetu.parse(old).century == 1800 and hetu.birth_date(old) == date(1801, 1, 1)
    assert hetu.sex("111111-985K") == "1"


def test_repr_does_not_leak_full_hetu() -> None:
    assert "916C" not in repr(hetu.parse("140689V916C"))


def test_impossible_date_rejected_unlike_onr_clamping() -> None:
    # 30 Feb: ONR's smart resolver clamps to 28 Feb; we (and stdnum) call it a typo.
    number = "300223" + "123"
    code = f"300223A123{hetu.CHECK_CHARS[int(number) % 31]}"
    assert not hetu.is_valid(code)
    assert not oracle(code)
    with pytest.raises(ValueError, match="no such date"):
        hetu.parse(code)
    leap = "290200" + "950"
    assert hetu.is_valid(f"290200A950{hetu.CHECK_CHARS[int(leap) % 31]}")


def test_lower_case_and_spaces_are_tolerated_but_canonical_is_onr_form() -> None:
    assert hetu.is_valid(" 140689v916c ") and oracle(" 140689v916c ")
    assert hetu.canonical(" 140689v916c ") == "140689V916C"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("131052-9085", "131052-****"),
        (" 131052a308t", "131052A****"),
        ("131052-30", "****"),
        ("Matti Meikäläinen", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask(value: str | None, expected: str) -> None:
    assert hetu.mask(value) == expected


def test_generate_valid_test_range_both_sign_styles() -> None:
    rng = random.Random(42)
    codes = [hetu.generate(rng) for _ in range(2000)]
    assert all(oracle(c) and hetu.is_valid(c) for c in codes)
    assert all(900 <= hetu.parse(c).individual_number <= 999 for c in codes)
    signs = {c[6] for c in codes}
    assert {"-", "A"} <= signs and signs & set("YXWVU") and signs & set("BCDEF")


def test_generate_with_constraints() -> None:
    rng = random.Random(7)
    for _ in range(200):
        code = hetu.generate(rng, birth_date=date(2001, 2, 3), sex="2", new_signs=True)
        info = hetu.parse(code)
        assert info.birth_date == date(2001, 2, 3) and info.sex == "2"
        assert info.sign in "BCDEF" and info.is_test
    real = [hetu.generate(rng, test=False, new_signs=False) for _ in range(500)]
    assert all(hetu.is_valid(c, allow_temporary=False) for c in real)
    assert all(c[6] in "-A" for c in real)
    assert hetu.generate(rng, birth_date=date(1899, 12, 31))[6] == "+"
    with pytest.raises(ValueError):
        hetu.generate(rng, sex="3")


def near_valid(draw: st.DrawFn) -> str:
    rng = random.Random(draw(st.integers(0, 2**32)))
    code = list(hetu.generate(rng, test=draw(st.booleans())))
    for _ in range(draw(st.integers(0, 2))):
        pos = draw(st.integers(0, 10))
        code[pos] = draw(st.sampled_from(string.digits + "+-ABCDEFUVWXYZaby :*Ö٣１"))
    text = "".join(code)
    return draw(st.sampled_from([text, text.lower(), f" {text}", text[:10], text + "0"]))


near_valid_strategy = st.composite(near_valid)()
alphabet = st.sampled_from(string.digits + hetu.CHECK_CHARS + "+-GIOQZ abcxy\t\xa0–٣Ö")


@settings(max_examples=600, deadline=None)
@given(
    st.one_of(st.text(alphabet, min_size=9, max_size=13), st.text(max_size=12), near_valid_strategy)
)
def test_agrees_with_stdnum(value: str) -> None:
    assert hetu.is_valid(value) == oracle(value)
    assert hetu.is_valid(value, allow_temporary=False) == oracle(value, allow_temporary=False)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.one_of(near_valid_strategy, st.text(alphabet, min_size=11, max_size=11)), max_size=40
    )
)
def test_series_agrees_with_scalar(values: list[str]) -> None:
    s = pd.Series(values + [None], dtype=object)
    expected = [oracle(v) for v in values] + [False]
    assert hetu.valid_series(s).tolist() == expected
    strict = [oracle(v, allow_temporary=False) for v in values] + [False]
    assert hetu.valid_series(s, allow_temporary=False).tolist() == strict
    dates = hetu.birth_date_series(s)
    for value, got in zip(values, dates, strict=False):
        if oracle(value):
            assert got.date() == hetu.birth_date(value)
        else:
            assert pd.isna(got)
    assert hetu.mask_series(s).tolist()[:-1] == [hetu.mask(v) for v in values]


def test_series_on_string_dtype_and_index() -> None:
    s = pd.Series(["140689V916C", "bad", None, "300146-942D"], index=[10, 11, 12, 13], dtype="str")
    assert hetu.valid_series(s).tolist() == [True, False, False, True]
    assert list(hetu.valid_series(s).index) == [10, 11, 12, 13]
    masked = hetu.mask_series(s)
    assert masked[10] == "140689V****" and masked[11] == "****" and pd.isna(masked[12])
    assert hetu.birth_date_series(s)[13] == pd.Timestamp("1946-01-30")
    empty = pd.Series([], dtype="str")
    assert hetu.valid_series(empty).tolist() == []


def test_analyse_series() -> None:
    values = ["140689V916C", " 140689v916c", "140689V916D", None, "", "111111-985K", "１40689V916C"]
    col = hetu.analyse_series(pd.Series(values, dtype=object))
    assert col.valid.tolist() == [oracle(v) if v else False for v in values]
    assert col.changed.tolist() == [False, True, False, False, False, False, True]
    assert col.canonical.tolist()[:3] == ["140689V916C", "140689V916C", "140689V916D"]
    assert col.canonical.iloc[6] == "140689V916C"
    assert col.individual.tolist() == [916, 916, -1, -1, -1, 985, 916]
    assert str(col.birth_date[0]) == "1989-06-14" and str(col.birth_date[2]) == "NaT"
    strict = hetu.analyse_series(pd.Series(values, dtype="str"), allow_temporary=False)
    assert strict.valid.tolist()[5] is False
