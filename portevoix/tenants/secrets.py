"""Password hashing with the standard library's scrypt, and API key secrets.

Passwords are chosen by people, so they are hashed slowly (scrypt, memory-hard): a stolen
table costs an attacker ``n`` work per guess. The hash carries its own parameters
(``scrypt$n$r$p$salt$hash``, salt and hash in base64), so raising the cost later leaves
existing hashes verifiable. API key secrets are 32 random bytes: guessing them is hopeless
whatever the hash, so a fast SHA-256 is right there, and lets every API call be checked
cheaply.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from portevoix.tenants.errors import WeakPasswordError

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32
MIN_PASSWORD_LENGTH = 8
API_KEY_MARK = "pvx_"
API_KEY_PREFIX_LENGTH = 8


def hash_password(password: str, n: int = SCRYPT_N) -> str:
    """A salted scrypt hash of ``password``, as ``scrypt$n$r$p$salt_b64$hash_b64``.

    ``n`` (a power of two) is the work factor: tests lower it to stay fast.
    Raises WeakPasswordError under MIN_PASSWORD_LENGTH characters.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(MIN_PASSWORD_LENGTH)
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, n, SCRYPT_R, SCRYPT_P)
    return "$".join(
        ["scrypt", str(n), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)]
    )


def verify_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches ``hashed``; False for a malformed hash, never an error."""
    try:
        scheme, n, r, p, salt, expected = hashed.split("$")
        if scheme != "scrypt":
            return False
        digest = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(digest, base64.b64decode(expected))
    except ValueError:
        return False


def new_api_key_secret() -> str:
    """A fresh API key secret: ``pvx_`` and 43 URL-safe characters (32 random bytes)."""
    return API_KEY_MARK + secrets.token_urlsafe(32)


def api_key_prefix(secret: str) -> str:
    """What is kept in clear to find a key: the ``pvx_`` mark and the next 8 characters.

    The mark alone tells nothing, so the 8 characters after it (48 random bits) are kept.
    """
    return secret[: len(API_KEY_MARK) + API_KEY_PREFIX_LENGTH]


def hash_api_key_secret(secret: str) -> str:
    """SHA-256 of the whole secret, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key_secret(secret), secret_hash)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * n * r * p + 2**20,
        dklen=HASH_BYTES,
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
