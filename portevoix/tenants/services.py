"""The tenancy application: one method per use case, over the tenancy aggregates.

Creating a party also opens its ledger accounts. The accounts are opened first (opening is
idempotent) and the party saved after, so a crash in between is repaired by running the same
command again; creating the same party again with the same attributes returns its id.
Credit moves through the ledger, after tenancy has checked who may deal with whom.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from portevoix.ledger.services import ISSUANCE, REVENUE, WALLET, Ledger
from portevoix.ledger.transfers import Transfer, TransferOrder
from portevoix.tenants.addresses import normalise_email
from portevoix.tenants.api_keys import ApiKey
from portevoix.tenants.credit import check_grant, check_transfer
from portevoix.tenants.customers import Customer
from portevoix.tenants.directory import A, Directory
from portevoix.tenants.domain_groups import DomainGroup
from portevoix.tenants.errors import (
    EmailTakenError,
    InvalidCredentialsError,
    InvalidEmailError,
    NotAuthorisedError,
    TenantExistsError,
)
from portevoix.tenants.options import OptionValue
from portevoix.tenants.parties import Platform, Reseller
from portevoix.tenants.secrets import (
    SCRYPT_N,
    hash_password,
    new_api_key_secret,
    verify_password,
)
from portevoix.tenants.users import User, check_role, user_id_for


class Tenancy(Directory):
    """The platform, resellers, customers, domain groups, users and API keys."""

    name = "tenants"

    def __init__(self, ledger: Ledger, env: dict[str, str] | None = None,
                 scrypt_n: int = SCRYPT_N) -> None:
        """``scrypt_n`` is the password hashing work factor; only tests should lower it."""
        super().__init__(env)
        self.ledger, self.scrypt_n = ledger, scrypt_n
        # Verified against when an e-mail is unknown, so that costs the same as a known one.
        self._decoy_hash = hash_password(new_api_key_secret(), scrypt_n)

    # Parties ----------------------------------------------------------------------------

    def create_platform(self, name: str = "Portevoix", unit: str = "SMS", scale: int = 3) -> UUID:
        """Establish the platform and open its issuance and revenue accounts."""
        platform = Platform.establish(name, unit, scale)
        return self._create(platform, lambda p: p.same_as(name, unit, scale), "the platform",
                            lambda: self._open_accounts(platform, (ISSUANCE, REVENUE)))

    def create_reseller(self, slug: str, name: str, contact_email: str) -> UUID:
        """Register a reseller with its wallet, issuance and revenue accounts."""
        reseller = Reseller.register(slug, name, contact_email)
        return self._create(
            reseller, lambda r: r.same_as(slug, name, contact_email), f"reseller {slug}",
            lambda: self._open_accounts(reseller, (WALLET, ISSUANCE, REVENUE)),
        )

    def create_customer(self, reseller_id: UUID, slug: str, name: str, contact_email: str,
                        default_country: str = "FR", timezone: str = "Europe/Paris") -> UUID:
        """Register a customer of an active reseller, with its wallet."""
        args = (reseller_id, slug, name, contact_email, default_country, timezone)
        customer = Customer.register(*args)

        def prepare() -> None:
            self._ensure_active(self.reseller(reseller_id))
            self._open_accounts(customer, (WALLET,))

        return self._create(customer, lambda c: c.same_as(*args), f"customer {slug}", prepare)

    def create_domain_group(self, reseller_id: UUID, domain: str, name: str) -> UUID:
        """Form a reseller's group for an e-mail domain, with its shared wallet."""
        group = DomainGroup.form(reseller_id, domain, name)

        def prepare() -> None:
            self._ensure_active(self.reseller(reseller_id))
            self._open_accounts(group, (WALLET,))

        return self._create(group, lambda g: g.same_as(reseller_id, domain, name),
                            f"domain group {group.domain}", prepare)

    def join_domain_group(self, customer_id: UUID, group_id: UUID) -> None:
        customer = self.customer(customer_id)
        customer.join_domain_group(self.domain_group(group_id))
        self.save(customer)

    def leave_domain_group(self, customer_id: UUID) -> None:
        self._update(self.customer(customer_id), Customer.leave_domain_group)

    def change_options(self, customer_id: UUID, **changes: Any) -> dict[str, OptionValue]:
        """Set some of a customer's options; returns those that changed.

        A new low-balance threshold is also set on the wallet that pays for the customer
        (its group's, when it is in one), before the customer is saved: a retry redoes both.
        """
        customer = self.customer(customer_id)
        changed = customer.change_options(**changes)
        if "low_balance_threshold" in changed:
            threshold = changed["low_balance_threshold"]
            assert threshold is None or isinstance(threshold, int)  # for mypy: see OPTIONS
            self.ledger.set_low_balance_threshold(self._wallet(customer), threshold)
        self.save(customer)
        return changed

    def rename(self, tenant_id: UUID, name: str) -> None:
        """Rename the platform, a reseller, a customer or a domain group."""
        self._update(self._party(tenant_id), lambda party: party.rename(name))

    def suspend(self, tenant_id: UUID, reason: str = "") -> None:
        """Stop a reseller (and so its customers) or a customer: no sends, no sign-in."""
        self._update(self._suspendable(tenant_id), lambda party: party.suspend(reason))

    def reactivate(self, tenant_id: UUID) -> None:
        self._update(self._suspendable(tenant_id), lambda party: party.reactivate())

    def add_domain(self, reseller_id: UUID, domain: str) -> None:
        self._update(self.reseller(reseller_id), lambda reseller: reseller.add_domain(domain))

    def remove_domain(self, reseller_id: UUID, domain: str) -> None:
        self._update(self.reseller(reseller_id),
                     lambda reseller: reseller.remove_domain(domain))

    def update_branding(self, reseller_id: UUID, **changes: Any) -> None:
        self._update(self.reseller(reseller_id),
                     lambda reseller: reseller.update_branding(**changes))

    def permit_customer_transfers(self, reseller_id: UUID) -> None:
        """Let the reseller's customers transfer credit between themselves."""
        self._update(self.reseller(reseller_id), Reseller.permit_customer_transfers)

    def forbid_customer_transfers(self, reseller_id: UUID) -> None:
        self._update(self.reseller(reseller_id), Reseller.forbid_customer_transfers)

    # Users ------------------------------------------------------------------------------

    def create_user(self, tenant_id: UUID, email: str, name: str, role: str,
                    password: str) -> UUID:
        """Register a user of the platform, a reseller or a customer.

        Raises EmailTakenError if any user anywhere already has this address.
        """
        tenant = self.tenant(tenant_id)
        email = normalise_email(email)
        check_role(role)
        if self._find(user_id_for(email), User) is not None:
            raise EmailTakenError(email)
        user = User.register(tenant_id, tenant.kind, email, name, role,
                             hash_password(password, self.scrypt_n))
        try:
            self.save(user)
        except IntegrityError:
            raise EmailTakenError(email) from None
        return user.id

    def authenticate(self, email: str, password: str) -> User:
        """The active user with these credentials, else InvalidCredentialsError.

        An unknown address costs the same scrypt run as a known one, so timing does not
        tell which addresses have accounts. Raises TenantSuspendedError only after the
        credentials were found right.
        """
        try:
            user = self._find(user_id_for(normalise_email(email)), User)
        except InvalidEmailError:
            user = None
        if user is None:
            verify_password(password, self._decoy_hash)
            raise InvalidCredentialsError()
        if not verify_password(password, user.password_hash) or not user.active:
            raise InvalidCredentialsError()
        self._ensure_active(self.tenant(user.tenant_id))
        return user

    def change_role(self, user_id: UUID, role: str) -> None:
        self._update(self.user(user_id), lambda user: user.change_role(role))

    def change_password(self, user_id: UUID, password: str) -> None:
        password_hash = hash_password(password, self.scrypt_n)
        self._update(self.user(user_id), lambda user: user.change_password(password_hash))

    def deactivate_user(self, user_id: UUID) -> None:
        self._update(self.user(user_id), User.deactivate)

    # API keys ---------------------------------------------------------------------------

    def create_api_key(self, tenant_id: UUID, user_id: UUID, name: str,
                       scopes: Sequence[str]) -> tuple[UUID, str]:
        """Issue a key for a user of ``tenant_id``; returns its id and its secret, which
        is shown this once and never stored."""
        user = self.user(user_id)
        if user.tenant_id != tenant_id:
            raise NotAuthorisedError(user_id, f"hold an API key of tenant {tenant_id}")
        self._ensure_active(self.tenant(tenant_id))
        secret = new_api_key_secret()
        key = ApiKey.issue(uuid4(), user, name, scopes, secret)
        self.save(key)
        return key.id, secret

    def revoke_api_key(self, key_id: UUID) -> None:
        self._update(self.api_key(key_id), ApiKey.revoke)

    def check_api_key(self, key_id: UUID, secret: str, *, recent: bool = False) -> ApiKey:
        """The key, if ``secret`` is its secret and it may be used now.

        Unknown key, wrong secret or inactive user: InvalidCredentialsError; a revoked key:
        ApiKeyRevokedError; a suspended tenant: TenantSuspendedError. With ``recent``, as
        things were last read (``recent_reads``): the APIs' look-up on every call, so a
        revocation or suspension by another process takes up to a tenth of a second to bite.
        """
        key = self._find(key_id, ApiKey, recent)
        if key is None or not key.matches(secret):
            raise InvalidCredentialsError()
        key.ensure_usable()
        user = self._find(key.user_id, User, recent)
        if user is None or not user.active:
            raise InvalidCredentialsError()
        self._ensure_active(self._party(key.tenant_id, recent), recent)
        return key

    # Credit -----------------------------------------------------------------------------

    def transfer_credit(self, user_id: UUID, transfer_id: UUID, from_tenant_id: UUID,
                        to_tenant_id: UUID, amount: int, reference: str = "") -> Transfer:
        """Move credit between two wallets the user's tenant deals with (see ``credit.py``).

        The user must be an owner, admin or finance user of ``from_tenant_id``. Idempotent
        by ``transfer_id``; ledger refusals (insufficient funds...) propagate unchanged.
        """
        user = self.user(user_id)
        if not user.can_in(from_tenant_id, "transfer_credit"):
            raise NotAuthorisedError(user_id, f"transfer credit from {from_tenant_id}")
        source, target = self._party(from_tenant_id), self._party(to_tenant_id)
        reseller = self.reseller(source.reseller_id) if isinstance(source, Customer) else None
        check_transfer(source, target, reseller)
        self._ensure_active(source)
        self._ensure_active(target)
        return self.ledger.transfer(TransferOrder(
            id=transfer_id, debit_account_id=self._wallet(source),
            credit_account_id=self._wallet(target), amount=amount, kind="transfer",
            reference=reference,
        ))

    def grant_credit(self, issuer_tenant_id: UUID, transfer_id: UUID, to_tenant_id: UUID,
                     amount: int, reference: str = "") -> Transfer:
        """Create credit from the issuer's issuance account into the wallet paying for
        ``to_tenant_id``: the platform to a reseller, a reseller to its own customers."""
        issuer, recipient = self._party(issuer_tenant_id), self._party(to_tenant_id)
        check_grant(issuer, recipient)
        self._ensure_active(issuer)
        self._ensure_active(recipient)
        return self.ledger.grant(transfer_id, issuer.id, self._wallet(recipient), amount,
                                 reference)

    # Internals --------------------------------------------------------------------------

    def _create(self, new: A, same: Callable[[A], bool], natural_key: str,
                prepare: Callable[[], None]) -> UUID:
        """Save ``new`` after ``prepare`` (checks, ledger accounts), unless an aggregate with
        its id exists: then return the id if ``same`` says it is a retry, else refuse."""
        existing = self._find(new.id, type(new))
        if existing is None:
            prepare()
            try:
                self.save(new)
                return new.id
            except IntegrityError:  # created concurrently: compare with the winner
                existing = self._find(new.id, type(new))
        if existing is None or not same(existing):
            raise TenantExistsError(new.id, natural_key)
        return new.id

    def _update(self, aggregate: A, command: Callable[[A], None]) -> None:
        command(aggregate)
        self.save(aggregate)

    def _open_accounts(self, owner: Platform | Reseller | Customer | DomainGroup,
                       purposes: Sequence[str]) -> None:
        platform = owner if isinstance(owner, Platform) else self.platform()
        for purpose in purposes:
            floor = 0 if purpose == WALLET else None
            self.ledger.open_account(owner.id, purpose, platform.unit, platform.scale,
                                     floor=floor, name=f"{owner.name} {purpose}")
