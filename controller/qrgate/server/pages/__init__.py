"""The site server's pages for managers and tracers: HTML, local assets, a live stream.

create_app() calls install(app) after the API's routes: the pages are mounted at "/", so any
path the API does not answer is theirs (and stays out of /openapi.json).
"""

from __future__ import annotations

import time

from .site_pages import SitePages

__all__ = ["SitePages", "install"]


def install(app) -> SitePages:
    from ..auth import COOKIE

    auth = app.state.auth

    def user_of(request):
        return auth.session(request.cookies.get(COOKIE), time.time())

    pages = SitePages(user_of, app.state.bus)
    app.mount("/", pages, name="pages")
    app.state.pages = pages
    return pages

