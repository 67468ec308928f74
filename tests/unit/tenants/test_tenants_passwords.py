"""Password hashing: scrypt, salted, self-describing, verified in constant time."""

from __future__ import annotations

import base64

import pytest

from portevoix.tenants.errors import WeakPasswordError
from portevoix.tenants.secrets import MIN_PASSWORD_LENGTH, hash_password, verify_password

FAST_N = 16


def test_a_hash_names_scrypt_and_its_parameters_salt_and_digest():
    hashed = hash_password("correct horse", n=FAST_N)

    scheme, n, r, p, salt, digest = hashed.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16", "8", "1")
    assert (len(base64.b64decode(salt)), len(base64.b64decode(digest))) == (16, 32)


def test_the_default_cost_is_n_2_to_the_14_r_8_p_1():
    hashed = hash_password("correct horse")

    assert hashed.startswith("scrypt$16384$8$1$")


def test_the_right_password_verifies():
    assert verify_password("correct horse", hash_password("correct horse", n=FAST_N))


@pytest.mark.parametrize("attempt", ["correct hors", "Correct horse", "correct horse ", ""])
def test_any_other_password_does_not_verify(attempt):
    assert not verify_password(attempt, hash_password("correct horse", n=FAST_N))


def test_the_same_password_hashes_differently_each_time():
    assert hash_password("correct horse", n=FAST_N) != hash_password("correct horse", n=FAST_N)


def test_a_hash_made_at_another_cost_still_verifies():
    old = hash_password("correct horse", n=2**10)

    assert verify_password("correct horse", old)


@pytest.mark.parametrize(
    "hashed",
    ["", "plain", "bcrypt$16$8$1$c2FsdA==$ZGln", "scrypt$16$8$1$%%%$ZGln",
     "scrypt$15$8$1$c2FsdA==$ZGln", "scrypt$x$8$1$c2FsdA==$ZGln"],
)
def test_a_malformed_hash_verifies_nothing_and_raises_nothing(hashed):
    assert verify_password("correct horse", hashed) is False


def test_a_short_password_is_refused_with_the_minimum_length():
    with pytest.raises(WeakPasswordError) as refused:
        hash_password("x" * (MIN_PASSWORD_LENGTH - 1), n=FAST_N)

    assert refused.value.min_length == MIN_PASSWORD_LENGTH == 8
