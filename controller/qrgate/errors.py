"""One exception root for the controller; every bad input becomes one of these.

A QrgateError's message is shown to a guard or an admin as it is, so it must say
what was wrong and, where it can, what to do about it.
"""


class QrgateError(Exception):
    """Root of every error the controller raises on purpose."""


class ConfigError(QrgateError):
    """A config file or value is wrong; the message names the key path."""


class CredentialError(QrgateError):
    """A credential (pass, certificate, key file, trust list) cannot be used."""


class KeyFileError(CredentialError):
    """A key or trust file is missing, unreadable or of the wrong kind."""


class LedgerError(QrgateError):
    """The local event log cannot be opened or written."""


class GateIOError(QrgateError):
    """The gate hardware (pins, I/O board) cannot be driven."""


class CameraError(QrgateError):
    """A frame source cannot be opened or read."""


class BrokerError(QrgateError):
    """The MQTT broker cannot be started or reached."""


class WebError(QrgateError):
    """The gate's web pages or their local API: a guard file, a login, a request."""


class ReaderError(QrgateError):
    """A scanner (serial module, keyboard wedge) cannot be opened or read."""


class ListError(QrgateError):
    """A site list (file to import, the lists store, its key) cannot be used."""


class PendingError(QrgateError):
    """A guard answered a confirmation that is not waiting (unknown id, already answered, timed out)."""


class SiteError(QrgateError):
    """This gate cannot join its site (another site secret than its peers')."""
