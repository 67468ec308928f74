"""Posting to a URL a customer named (status callbacks, replies pushed to a URL) without
letting the customer aim the platform at the networks behind it.

The platform's machines reach addresses no customer should: the loopback, the private
ranges, link-local addresses (a cloud's metadata service at 169.254.169.254), the shared and
reserved ranges. A post goes only to a public (globally routable, unicast) address. The check
is made on the address connected to, after resolution at the time of the post: a host name
that resolves to a private address (when the URL was saved, or only later) is refused, and
the connection is made to the address checked, not to a second resolution. A redirect is an
answer, not followed (a public URL could redirect inward), and no proxy from the
environment is used (the proxy's address would be connected to, not the URL's).

``private_allowed`` lifts the check (``PORTEVOIX_WEBHOOKS_TO_PRIVATE_NETWORKS=1``): for a
platform whose customers' receivers live on its own network, and for tests on loopback.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any, Protocol

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Connect = Callable[..., socket.socket]


class Poster(Protocol):
    def __call__(self, url: str, payload: bytes, headers: Mapping[str, str],
                 timeout_s: float) -> int:
        """POST ``payload``; returns the HTTP status, raises OSError (or
        http.client.HTTPException, ValueError) when there is no answer."""


class ForbiddenTargetError(OSError):
    """The URL's host is (or resolves to) an address of a private or reserved network."""


def is_public(address: Address) -> bool:
    """Whether ``address`` is a globally routable unicast address (an IPv4 address mapped
    into IPv6 is judged as itself)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def checked_connect(private_allowed: bool) -> Connect:
    """A ``socket.create_connection`` that connects only to addresses it may."""

    def connect(address: tuple[str, int], timeout: object = None,
                source_address: tuple[str, int] | None = None) -> socket.socket:
        host, port = address
        error: OSError = ForbiddenTargetError(f"{host} resolves to no address")
        for family, kind, proto, _, sockaddr in socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM):
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
            if not private_allowed and not is_public(ip):
                error = ForbiddenTargetError(
                    f"{host} is {ip}, not a public address: webhooks go to public addresses "
                    "only")
                continue
            sock = socket.socket(family, kind, proto)
            try:
                if isinstance(timeout, int | float):
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
            except OSError as failure:
                sock.close()
                error = failure
                continue
            return sock
        raise error

    return connect


class _Checked:
    """An ``http.client`` connection that connects through ``connect``."""

    def __init__(self, *args: Any, connect: Connect, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = connect


class _CheckedHTTPConnection(_Checked, http.client.HTTPConnection):
    pass


class _CheckedHTTPSConnection(_Checked, http.client.HTTPSConnection):
    pass


class _Connecting:
    """A urllib handler whose connections connect through ``connect`` (passed on by
    ``do_open``, which typeshed's protocol does not know of: hence the ignores)."""

    def __init__(self, connect: Connect) -> None:
        super().__init__()
        self._connect = connect


class _HTTPHandler(_Connecting, urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTPConnection, req,  # type: ignore[arg-type]
                            connect=self._connect)


class _HTTPSHandler(_Connecting, urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTPSConnection, req,  # type: ignore[arg-type]
                            connect=self._connect)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any 3xx (final): nothing is posted elsewhere."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class WebhookPoster:
    """``poster(url, payload, headers, timeout_s)``: POSTs and returns the HTTP status (any,
    3xx included); raises OSError (ForbiddenTargetError for a refused address),
    http.client.HTTPException or ValueError when there is no answer."""

    def __init__(self, private_allowed: bool = False) -> None:
        connect = checked_connect(private_allowed)
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), _NoRedirect(), _HTTPHandler(connect),
            _HTTPSHandler(connect))

    def __call__(self, url: str, payload: bytes, headers: Mapping[str, str],
                 timeout_s: float) -> int:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} is not an http(s) URL")
        request = urllib.request.Request(url, data=payload, method="POST",
                                         headers=dict(headers))
        try:
            with self._opener.open(request, timeout=timeout_s) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            error.close()
            return error.code
        except urllib.error.URLError as error:  # what the connection raised, as itself
            if isinstance(error.reason, OSError):
                raise error.reason from error
            raise
