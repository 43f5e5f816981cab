"""The QR health declaration (issue 17): a venue QR at the door, a form on the visitor's phone,
a day pass back; the guard declares for visitors without a smartphone.

    settings.py    [declaration] config: questions, retention, limits
    form.py        the form's checks (pure)
    texts.py       the words in Vietnamese and English
    contacts.py    contact details sealed under the site's key
    store.py       the tables (SQLAlchemy Core)
    daypass.py     the signed day pass
    service.py     declare, the tracer's reads and export, the guard report, the purge
    images.py      the pass QR and the venue poster
    ratelimit.py   per-address and per-phone limits
    web.py         the visitor's form (Starlette app to mount at /declare)
    guard_desk.py  the gate console's desk for visitors without a phone
    plugin.py      install(app): the form and the staff's routes on the site server
"""



def install(app) -> None:
    """The site server's plug-in point (server/app.py): the form at /declare and the staff's routes."""
    from .plugin import install as _install

    _install(app)


def register() -> None:
    """The site server's database learns this package's tables (server/app.py: default_plugins)."""
    from ..db import register_migrations
    from .store import MIGRATIONS

    register_migrations("declaration", MIGRATIONS)
