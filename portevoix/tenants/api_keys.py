"""API keys: secrets shown once, stored hashed, limited to scopes, revocable.

A key acts for one user of one tenant, within the scopes it was issued with, and never beyond
what that user's role allows. Only the SHA-256 of the secret is recorded, with its first
characters in clear (``prefix``) so that a presented key can be found without scanning
(the look-up by prefix is a projection).
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from portevoix.tenants.errors import ApiKeyRevokedError, InvalidScopeError, NotAuthorisedError
from portevoix.tenants.names import normalise_name
from portevoix.tenants.secrets import (
    api_key_prefix,
    api_key_secret_matches,
    hash_api_key_secret,
)
from portevoix.tenants.users import User

API_SCOPES = ("send", "read", "balance", "contacts", "admin")
# The user action each scope needs: a key never does more than its user may.
SCOPE_ACTIONS = {
    "send": "send_messages", "read": "view_history", "balance": "view_balances",
    "contacts": "manage_contacts", "admin": "manage_api_keys",
}


def check_scopes(scopes: Sequence[str]) -> list[str]:
    """``scopes`` without repeats, in API_SCOPES order; at least one, all known."""
    if isinstance(scopes, str) or not scopes:
        raise InvalidScopeError(str(scopes), API_SCOPES)
    for scope in scopes:
        if scope not in API_SCOPES:
            raise InvalidScopeError(scope, API_SCOPES)
    return [scope for scope in API_SCOPES if scope in scopes]


class ApiKey(Aggregate):
    """One API key of one user: its scopes, and whether it still works."""

    TOPIC = "portevoix.tenants:ApiKey"

    class Created(Aggregate.Created):
        """Unused: keys are created by ``Issued``. Declared to pin its topic."""

        TOPIC = "portevoix.tenants:ApiKey.Created"

    class Issued(Aggregate.Created):
        TOPIC = "portevoix.tenants:ApiKey.Issued"
        tenant_id: UUID
        user_id: UUID
        name: str
        prefix: str
        secret_hash: str
        scopes: list[str]

    @event(Issued)
    def __init__(
        self,
        id: UUID,  # chosen by the service
        tenant_id: UUID,
        user_id: UUID,
        name: str,
        prefix: str,
        secret_hash: str,
        scopes: list[str],
    ) -> None:
        self.tenant_id, self.user_id, self.name = tenant_id, user_id, name
        self.prefix, self.secret_hash, self.scopes = prefix, secret_hash, scopes
        self.revoked = False

    @classmethod
    def issue(
        cls, key_id: UUID, user: User, name: str, scopes: Sequence[str], secret: str
    ) -> ApiKey:
        """A key for ``user`` in their tenant; ``secret`` is hashed here and not kept.

        Raises InvalidScopeError for an unknown scope and NotAuthorisedError for a scope
        beyond the user's role (or for an inactive user).
        """
        valid = check_scopes(scopes)
        for scope in valid:
            if not user.can(SCOPE_ACTIONS[scope]):
                raise NotAuthorisedError(user.id, f"issue an API key with scope {scope}")
        return cls(
            id=key_id, tenant_id=user.tenant_id, user_id=user.id, name=normalise_name(name),
            prefix=api_key_prefix(secret), secret_hash=hash_api_key_secret(secret),
            scopes=valid,
        )

    def matches(self, secret: str) -> bool:
        """Whether ``secret`` is this key's (in constant time)."""
        return api_key_secret_matches(secret, self.secret_hash)

    def ensure_usable(self) -> None:
        if self.revoked:
            raise ApiKeyRevokedError(self.id)

    def allows(self, scope: str) -> bool:
        return not self.revoked and scope in self.scopes

    def revoke(self) -> None:
        """Stop the key working, for good (no change if revoked already)."""
        if not self.revoked:
            self._revoked()

    @event("Revoked", topic="portevoix.tenants:ApiKey.Revoked")
    def _revoked(self) -> None:
        self.revoked = True
