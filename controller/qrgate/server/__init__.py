"""The site server: every gate's events in one database, reports, contact tracing (issue 16).

Map: config.py ([database], [http], [auth], [retention], [register], [[sites]]), db.py (engine,
tables, versioned migrations), ingest.py (MQTT -> database, exactly once by event id),
rows.py (an event as a checked row), catchup.py (what the broker did not keep, asked of the
gates through the site exchange), auth.py (users, roles, sessions, CSRF, login rate limit), reports.py (counts, occupancy,
denials, alarms, movements), trace.py (contact tracing, pure), register.py (the encrypted pass
register), audit.py (the trace / re-identification log), retention.py (purges), api.py (the
JSON API), app.py (create_app), and the CLI in cli/site_cmd.py.
"""

from ..errors import QrgateError


class ServerError(QrgateError):
    """Something the site server cannot do, said in one line."""
