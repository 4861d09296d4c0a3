"""onrtools.register.oid: REST.md §8 check digits, environments, generation."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from onrtools.register import oid


def test_fixture_examples_from_rest_md() -> None:
    assert oid.is_valid_person_oid("1.2.246.562.24.92212175391")  # IBM 7-3-1
    assert oid.check_digit("9221217539", 24) == "1"
    assert oid.is_valid_person_oid("1.2.246.562.98.24707445854")  # Luhn
    assert oid.check_digit("2470744585", 98) == "4"


@pytest.mark.parametrize(
    "value",
    [
        "1.2.246.562.24.92212175392",  # wrong check digit
        "1.2.246.562.98.24707445855",
        "1.2.246.562.24.00000000001",  # well-known fixed OID, leading zero
        "1.2.246.562.24.9221217539",  # too short
        "1.2.246.562.10.00000000001",  # organisation
        "1.2.3.4.5",
        "",
        None,
        "1.2.246.562.24.92212175391 ",
    ],
)
def test_invalid_person_oids(value: object) -> None:
    assert not oid.is_valid_person_oid(value)


def test_the_two_methods_differ() -> None:
    # the same body gets different digits on prod and test nodes, so a node swap is caught
    assert oid.check_digit("9221217539", 24) != oid.check_digit("9221217539", 98)
    assert not oid.is_valid_person_oid("1.2.246.562.98.92212175391")


def test_environment_and_node() -> None:
    assert oid.node_of("1.2.246.562.24.92212175391") == 24
    assert oid.environment_of("1.2.246.562.24.92212175391") == "prod"
    assert oid.environment_of("1.2.246.562.98.24707445854") == "testi"
    assert oid.environment_of("1.2.246.562.198.1234567890") == "untuva"
    assert oid.environment_of("1.2.246.562.298.1234567890") == "hahtuva"
    assert oid.environment_of("1.2.246.562.10.00000000001") is None
    assert oid.node_of("not an oid") is None


def test_organisation_oid() -> None:
    assert oid.is_organisation_oid("1.2.246.562.10.00000000001")
    assert not oid.is_organisation_oid("1.2.246.562.24.92212175391")
    assert not oid.is_organisation_oid(None)


@pytest.mark.parametrize("node", [24, 98, 198, 298])
def test_generate(node: int) -> None:
    rng = random.Random(node)
    oids = [oid.generate_person_oid(rng, node) for _ in range(500)]
    assert all(oid.is_valid_person_oid(o) and oid.node_of(o) == node for o in oids)
    assert len(set(oids)) == 500
    for o in oids[:50]:  # flipping the check digit breaks it
        bad = o[:-1] + str((int(o[-1]) + 1) % 10)
        assert not oid.is_valid_person_oid(bad)


def test_generate_refuses_organisation_node() -> None:
    with pytest.raises(ValueError):
        oid.generate_person_oid(random.Random(1), 10)
    with pytest.raises(ValueError):
        oid.check_digit("12a", 24)


def test_series_agrees_with_scalar() -> None:
    rng = random.Random(5)
    values: list[object] = [
        oid.generate_person_oid(rng, n) for n in (24, 98, 198, 298) for _ in range(50)
    ]
    values += [v[:-1] + str((int(v[-1]) + 3) % 10) for v in values[:40]]  # type: ignore[index]
    values += ["1.2.246.562.24.92212175391", "1.2.246.562.10.00000000001", "x", None, ""]
    values += ["1.2.246.562.10.12345678903", "1.2.246.562.24.0221217539"]
    s = pd.Series(values, dtype=object)
    assert oid.valid_person_oid_series(s).tolist() == [oid.is_valid_person_oid(v) for v in values]
    assert oid.valid_person_oid_series(pd.Series([], dtype="str")).tolist() == []
