"""The platform's settings, read once from ``PORTEVOIX_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///var/portevoix.db"


@dataclass(frozen=True)
class Settings:
    """What the platform needs to start.

    ``database_url`` chooses the storage: ``sqlite:///path/name.db`` (the embedded default; each
    event-sourced application gets its own file beside it), ``postgresql://user@host:port/db``
    (optionally ``?schema=name``), or ``memory://`` (in-process stores, for unit tests).

    ``smtp_relay`` (``host:port``, or ``host`` for port 25) is the relay the platform's own
    mail goes through: notifications, low-balance alerts, replies forwarded by e-mail;
    ``mail_from`` is their From. Without a relay that mail waits (see ``services.py``).
    """

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = ""
    aggregate_cache_size: int = 10_000
    projection_poll_s: float = 0.2
    # The web app keeps the projections up to date itself, unless a projector process does
    # (``portevoix projector``; PORTEVOIX_FOLLOW_PROJECTIONS=0 in the web workers).
    follow_projections: bool = True
    smtp_relay: str = ""
    mail_from: str = "no-reply@localhost"
    uploads_dir: str = ""  # contact files between dry run and commit; "": see services.py
    # The web workers' group commits run in one writer process per store, shared by the
    # machine's workers (``ledger/writer_process.py``): what gunicorn workers under load
    # want; off, each worker's run on a thread of its own.
    writer_process: bool = False
    # Status callbacks and replies pushed to a URL go to public addresses only
    # (``platform/webhook_posts.py``); on, to the platform's own networks too.
    webhooks_to_private_networks: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("PORTEVOIX_DATABASE_URL", DEFAULT_DATABASE_URL),
            host=env.get("PORTEVOIX_HOST", "127.0.0.1"),
            port=int(env.get("PORTEVOIX_PORT", "8000")),
            secret_key=env.get("PORTEVOIX_SECRET_KEY") or secrets.token_hex(32),
            aggregate_cache_size=int(env.get("PORTEVOIX_AGGREGATE_CACHE_SIZE", "10000")),
            projection_poll_s=float(env.get("PORTEVOIX_PROJECTION_POLL_S", "0.2")),
            follow_projections=env.get("PORTEVOIX_FOLLOW_PROJECTIONS", "1").lower()
            not in ("0", "false", "no"),
            smtp_relay=env.get("PORTEVOIX_SMTP_RELAY", "").strip(),
            mail_from=env.get("PORTEVOIX_MAIL_FROM", "").strip() or "no-reply@localhost",
            uploads_dir=env.get("PORTEVOIX_UPLOADS_DIR", "").strip(),
            writer_process=_on(env, "PORTEVOIX_WRITER_PROCESS"),
            webhooks_to_private_networks=_on(env, "PORTEVOIX_WEBHOOKS_TO_PRIVATE_NETWORKS"),
        )


def _on(env: Mapping[str, str], name: str) -> bool:
    """Whether the switch ``name`` is set on (1, true, yes); off when unset."""
    return env.get(name, "0").lower() in ("1", "true", "yes")
