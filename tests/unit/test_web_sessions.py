"""The HTTP interfaces keep no session: a request gets a null session that cannot be written
(so nothing can come to rely on a cookie), and no cookie is set."""

from __future__ import annotations

import pytest
from flask import session
from flask.sessions import NullSession

from portevoix.settings import Settings
from portevoix.web import create_app


def test_a_request_has_a_null_session_and_gets_no_cookie() -> None:
    app = create_app(Settings(database_url="memory://", secret_key="k"), follow=False)
    try:
        with app.test_request_context("/http.php"):
            app.preprocess_request()
            assert isinstance(session, NullSession)
            with pytest.raises(RuntimeError):
                session["user"] = "someone"
        response = app.test_client().get("/healthz")
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
    finally:
        app.extensions["portevoix"].close()
