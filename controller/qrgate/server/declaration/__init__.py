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
"""
