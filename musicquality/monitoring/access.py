"""Who may read ``/metrics``: a staff session, the bearer token, or an allow-listed address.

``MUSICQUALITY_METRICS_TOKEN`` (unset: no token is accepted) is compared in constant time.
``MUSICQUALITY_METRICS_ALLOWED_ADDRESSES`` lists addresses or networks (``10.0.0.0/8``),
loopback by default; a request that carries ``X-Forwarded-For`` or ``Forwarded`` came
through a proxy, so its peer address (the proxy's, often loopback) says nothing about the
client and it is not let in by address.
"""

from __future__ import annotations

import hmac
import ipaddress
from enum import Enum
from functools import lru_cache

from django.conf import settings

BEARER = "bearer "


class MetricsAccess(Enum):
    ALLOWED = 200
    UNAUTHENTICATED = 401  # no credentials (or wrong ones): give a token
    FORBIDDEN = 403  # logged in, but not staff


@lru_cache(maxsize=8)
def _networks(addresses: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(address, strict=False) for address in addresses)


def address_allowed(remote_addr: str | None, addresses: tuple[str, ...]) -> bool:
    if not remote_addr:
        return False
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(address in network for network in _networks(addresses))


def token_matches(authorization: str, token: str) -> bool:
    if not token or not authorization.lower().startswith(BEARER):
        return False
    given = authorization[len(BEARER) :].strip()
    return hmac.compare_digest(given.encode(), token.encode())


def metrics_access(request) -> MetricsAccess:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active and user.is_staff:
        return MetricsAccess.ALLOWED
    if token_matches(request.headers.get("Authorization", ""), settings.METRICS_TOKEN):
        return MetricsAccess.ALLOWED
    proxied = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    if not proxied and address_allowed(
        request.META.get("REMOTE_ADDR"), tuple(settings.METRICS_ALLOWED_ADDRESSES)
    ):
        return MetricsAccess.ALLOWED
    if user is not None and user.is_authenticated:
        return MetricsAccess.FORBIDDEN
    return MetricsAccess.UNAUTHENTICATED
