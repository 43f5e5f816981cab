"""The site server's pages for managers and tracers: HTML, local assets, a live stream.

create_app() calls install(app) after the API's routes: the pages are mounted at "/", so any
path the API does not answer is theirs (and stays out of /openapi.json).
"""

from __future__ import annotations

import ipaddress
import time

from .site_pages import SitePages

__all__ = ["SitePages", "install"]


def install(app) -> SitePages:
    from ..auth import COOKIE

    auth = app.state.auth

    def user_of(request):
        return auth.session(request.cookies.get(COOKIE), time.time())

    pages = SitePages(user_of, app.state.bus, loopback_only=_is_loopback(app.state.cfg.http.host))
    app.mount("/", pages, name="pages")
    app.state.pages = pages
    return pages


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
