"""Paths to the test data the suite compares against: all inside the repository.

`ONR_DATA` holds facts copied from ONR (response bodies, code lists); its README says where each
file comes from and how to refresh it. Nothing in the suite reads outside the repository
(tests/test_standalone.py guards that).
"""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ONR_DATA = TESTS / "data" / "onr"
FIXTURES = ONR_DATA / "fixtures"
KOODISTO = ONR_DATA / "koodisto"
