"""What tenancy refuses, with the values a person needs to act on the refusal."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID


class TenancyError(Exception):
    """Base of every refusal by tenancy; a refused command records nothing."""


# Look-ups ------------------------------------------------------------------------------


class UnknownTenantError(TenancyError):
    def __init__(self, tenant_id: UUID) -> None:
        super().__init__(f"no tenant {tenant_id}")
        self.tenant_id = tenant_id


class UnknownDomainGroupError(TenancyError):
    def __init__(self, group_id: UUID) -> None:
        super().__init__(f"no domain group {group_id}")
        self.group_id = group_id


class UnknownUserError(TenancyError):
    def __init__(self, user_id: UUID) -> None:
        super().__init__(f"no user {user_id}")
        self.user_id = user_id


class UnknownApiKeyError(TenancyError):
    def __init__(self, key_id: UUID) -> None:
        super().__init__(f"no API key {key_id}")
        self.key_id = key_id


# Creation ------------------------------------------------------------------------------


class TenantExistsError(TenancyError):
    def __init__(self, tenant_id: UUID, natural_key: str) -> None:
        super().__init__(f"{natural_key} already exists ({tenant_id}) with other attributes")
        self.tenant_id, self.natural_key = tenant_id, natural_key


class EmailTakenError(TenancyError):
    def __init__(self, email: str) -> None:
        super().__init__(f"a user with e-mail {email} already exists")
        self.email = email


# Values --------------------------------------------------------------------------------


class InvalidEmailError(TenancyError):
    def __init__(self, value: str) -> None:
        super().__init__(f"{value!r} is not an e-mail address")
        self.value = value


class InvalidHostnameError(TenancyError):
    def __init__(self, value: str) -> None:
        super().__init__(f"{value!r} is not a domain name such as sms.example.com")
        self.value = value


class InvalidSlugError(TenancyError):
    def __init__(self, value: str) -> None:
        super().__init__(
            f"{value!r} is not a slug: 2 to 40 characters among a-z, 0-9 and '-'"
        )
        self.value = value


class InvalidNameError(TenancyError):
    def __init__(self, value: str, max_length: int) -> None:
        super().__init__(f"a name needs 1 to {max_length} characters, got {value!r}")
        self.value, self.max_length = value, max_length


class InvalidUnitError(TenancyError):
    def __init__(self, unit: str, scale: object) -> None:
        super().__init__(
            f"credit is kept in a unit of 2 to 10 capitals (SMS) at a scale of 0 to 6, "
            f"got {unit!r} at {scale!r}"
        )
        self.unit, self.scale = unit, scale


class InvalidCountryError(TenancyError):
    def __init__(self, value: str) -> None:
        super().__init__(f"{value!r} is not an ISO 3166 alpha-2 country code such as FR")
        self.value = value


class InvalidTimezoneError(TenancyError):
    def __init__(self, value: str) -> None:
        super().__init__(f"{value!r} is not an IANA time zone such as Europe/Paris")
        self.value = value


class InvalidRoleError(TenancyError):
    def __init__(self, role: str, allowed: Sequence[str]) -> None:
        super().__init__(f"unknown role {role!r}; use one of {', '.join(allowed)}")
        self.role, self.allowed = role, tuple(allowed)


class UnknownActionError(TenancyError):
    def __init__(self, action: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown action {action!r}; known: {', '.join(known)}")
        self.action, self.known = action, tuple(known)


class InvalidScopeError(TenancyError):
    def __init__(self, scope: str, allowed: Sequence[str]) -> None:
        super().__init__(f"unknown API scope {scope!r}; use some of {', '.join(allowed)}")
        self.scope, self.allowed = scope, tuple(allowed)


class InvalidBrandingError(TenancyError):
    def __init__(self, field: str, value: object, expected: str) -> None:
        super().__init__(f"branding {field} cannot be {value!r}: expected {expected}")
        self.field, self.value, self.expected = field, value, expected


class UnknownOptionError(TenancyError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no account option {name!r}")
        self.name = name


class InvalidOptionValueError(TenancyError):
    def __init__(self, name: str, value: object, expected: str) -> None:
        super().__init__(f"option {name} cannot be {value!r}: expected {expected}")
        self.name, self.value, self.expected = name, value, expected


class WeakPasswordError(TenancyError):
    def __init__(self, min_length: int) -> None:
        super().__init__(f"a password needs at least {min_length} characters")
        self.min_length = min_length


# Rules ---------------------------------------------------------------------------------


class NotAuthorisedError(TenancyError):
    def __init__(self, user_id: UUID, action: str) -> None:
        super().__init__(f"user {user_id} may not {action}")
        self.user_id, self.action = user_id, action


class DomainMismatchError(TenancyError):
    def __init__(self, email: str, domain: str) -> None:
        super().__init__(f"{email} is not an address at {domain}")
        self.email, self.domain = email, domain


class OtherResellerError(TenancyError):
    """Two tenants that must belong to the same reseller do not."""

    def __init__(self, tenant_id: UUID, reseller_id: UUID) -> None:
        super().__init__(f"{tenant_id} does not belong to reseller {reseller_id}")
        self.tenant_id, self.reseller_id = tenant_id, reseller_id


class TenantSuspendedError(TenancyError):
    def __init__(self, tenant_id: UUID) -> None:
        super().__init__(f"tenant {tenant_id} is suspended")
        self.tenant_id = tenant_id


class TransferNotAllowedError(TenancyError):
    def __init__(self, from_id: UUID, to_id: UUID, reason: str) -> None:
        super().__init__(f"no credit may move from {from_id} to {to_id}: {reason}")
        self.from_id, self.to_id, self.reason = from_id, to_id, reason


# Authentication ------------------------------------------------------------------------


class InvalidCredentialsError(TenancyError):
    """Unknown login, wrong secret or disabled user: deliberately not saying which."""

    def __init__(self) -> None:
        super().__init__("invalid credentials")


class ApiKeyRevokedError(TenancyError):
    def __init__(self, key_id: UUID) -> None:
        super().__init__(f"API key {key_id} was revoked")
        self.key_id = key_id
