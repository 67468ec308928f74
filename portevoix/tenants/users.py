"""Users: people who sign in to a tenant's area, and what their role lets them do.

A user's id derives from their e-mail address, so an address is unique across the whole
platform: registering it a second time collides in the event store. Users belong to one
tenant (the platform, a reseller or a customer) and act only within it. The password is kept
as a scrypt hash (see ``secrets.py``); this module never sees the password itself.
"""

from __future__ import annotations

import functools
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from portevoix.tenants.addresses import normalise_email
from portevoix.tenants.errors import InvalidRoleError, UnknownActionError
from portevoix.tenants.names import normalise_name
from portevoix.tenants.parties import CUSTOMER, PLATFORM, PLATFORM_ID, RESELLER

OWNER, ADMIN, SENDER, FINANCE = "owner", "admin", "sender", "finance"
ROLES = (OWNER, ADMIN, SENDER, FINANCE)
TENANT_KINDS = (PLATFORM, RESELLER, CUSTOMER)

# What a user may do in their own tenant. Owners and admins may do everything.
ACTIONS = (
    "send_messages", "view_history", "view_balances", "view_statements",
    "confirm_payments", "transfer_credit", "manage_users", "manage_api_keys",
    "manage_options", "manage_sender_ids", "manage_branding", "manage_customers",
    "manage_contacts",
)
PERMISSIONS: dict[str, frozenset[str]] = {
    OWNER: frozenset(ACTIONS),
    ADMIN: frozenset(ACTIONS),
    FINANCE: frozenset({"view_balances", "view_statements", "confirm_payments",
                        "transfer_credit"}),
    SENDER: frozenset({"send_messages", "view_history", "manage_contacts"}),
}


@functools.lru_cache(maxsize=65_536)  # a hash each call; the send path asks often
def user_id_for(email: str) -> UUID:
    """The id of the user with this e-mail address, whatever its case or spacing."""
    return uuid5(PLATFORM_ID, f"user:{email.strip().lower()}")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidRoleError(role, ROLES)
    return role


class User(Aggregate):
    """A person with a role in one tenant."""

    TOPIC = "portevoix.tenants:User"

    class Created(Aggregate.Created):
        """Unused: users are created by ``Registered``. Declared to pin its topic."""

        TOPIC = "portevoix.tenants:User.Created"

    class Registered(Aggregate.Created):
        TOPIC = "portevoix.tenants:User.Registered"
        tenant_id: UUID
        tenant_kind: str
        email: str
        name: str
        role: str
        password_hash: str

    @staticmethod
    def create_id(email: str) -> UUID:
        return user_id_for(email)

    @event(Registered)
    def __init__(
        self, tenant_id: UUID, tenant_kind: str, email: str, name: str, role: str,
        password_hash: str,
    ) -> None:
        self.tenant_id, self.tenant_kind = tenant_id, tenant_kind
        self.email, self.name, self.role = email, name, role
        self.password_hash = password_hash
        self.active = True

    @classmethod
    def register(
        cls, tenant_id: UUID, tenant_kind: str, email: str, name: str, role: str,
        password_hash: str,
    ) -> User:
        """A new user; ``password_hash`` comes from ``secrets.hash_password``."""
        if tenant_kind not in TENANT_KINDS:
            raise ValueError(f"tenant kind {tenant_kind!r} is not one of {TENANT_KINDS}")
        return cls(
            tenant_id=tenant_id, tenant_kind=tenant_kind, email=normalise_email(email),
            name=normalise_name(name), role=check_role(role), password_hash=password_hash,
        )

    def can(self, action: str) -> bool:
        """Whether this user may do ``action`` (one of ACTIONS) in their own tenant.

        An inactive user may do nothing. An unknown action raises UnknownActionError
        rather than answering False, so that a misspelt check fails loudly.
        """
        if action not in ACTIONS:
            raise UnknownActionError(action, ACTIONS)
        return self.active and action in PERMISSIONS[self.role]

    def can_in(self, tenant_id: UUID, action: str) -> bool:
        """Whether this user may do ``action`` in ``tenant_id`` (only ever their own)."""
        return self.can(action) and tenant_id == self.tenant_id

    def change_role(self, role: str) -> None:
        role = check_role(role)
        if role != self.role:
            self._role_changed(role)

    def change_password(self, password_hash: str) -> None:
        """Replace the password hash (the caller checked the old password if it had to)."""
        self._password_changed(password_hash)

    def deactivate(self) -> None:
        """Stop the user signing in or using their API keys (no change if inactive)."""
        if self.active:
            self._deactivated()

    @event("RoleChanged", topic="portevoix.tenants:User.RoleChanged")
    def _role_changed(self, role: str) -> None:
        self.role = role

    # The event carries the new hash, never a password.
    @event("PasswordChanged", topic="portevoix.tenants:User.PasswordChanged")
    def _password_changed(self, password_hash: str) -> None:
        self.password_hash = password_hash

    @event("Deactivated", topic="portevoix.tenants:User.Deactivated")
    def _deactivated(self) -> None:
        self.active = False
