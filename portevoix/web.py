"""``create_app``: the one Flask app that mounts the portals and the HTTP APIs."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from portevoix import status
from portevoix.contacts.files import Limits
from portevoix.platform.channels import (
    http_php,
    json_api,
    json_callbacks,
    json_contacts,
    json_imports,
    url2sms,
)
from portevoix.services import Services, build_services
from portevoix.settings import Settings


def create_app(settings: Settings | None = None, services: Services | None = None,
               follow: bool | None = None) -> Flask:
    """The web app on ``services`` (built from ``settings`` when not given); under gunicorn,
    ``portevoix.web:create_app()``.

    With ``follow`` (by default ``settings.follow_projections``), a background thread keeps
    the projections up to date. Sends of concurrent requests are saved in group commits.
    """
    settings = settings or (services.settings if services else Settings.from_env())
    services = services or build_services(settings)
    services.catch_up()
    services.start_group_commit()
    if settings.follow_projections if follow is None else follow:
        services.follow()
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key
    app.session_interface = NoSessions()
    # A contact file may weigh up to the import limit; nothing else comes near it. Werkzeug
    # refuses a larger body (413) before spooling it to disk.
    app.config["MAX_CONTENT_LENGTH"] = Limits().max_bytes + 1024 * 1024
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["portevoix"] = services
    app.register_blueprint(status.bp)
    app.register_blueprint(http_php.bp)
    app.register_blueprint(url2sms.bp)
    app.register_blueprint(json_api.bp)
    app.register_blueprint(json_callbacks.bp)
    app.register_blueprint(json_contacts.bp)
    app.register_blueprint(json_imports.bp)
    return app


class NoSessions(SecureCookieSessionInterface):
    """The HTTP interfaces authenticate every request and keep no session: no cookie is read,
    and no signing serializer is built, per request."""

    def open_session(self, app: Flask, request: Any) -> None:
        return None  # Flask then hands out a null session, which refuses to be written

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        return None
