"""qrgate venue qr --png FILE: the printable venue QR that points visitors to the declaration form.

The address is --url, or the site server config's [declaration] page_url, or else its [http]
address + /declare. The symbol is at least 15 x 15 cm at the file's resolution (300 dpi).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from ..errors import ConfigError
from .output import emit

DECLARE_PATH = "/declare/"


def add_parser(sub) -> None:
    venue = sub.add_parser("venue", help="the venue's QR poster for the health declaration")
    venue_sub = venue.add_subparsers(dest="venue_command", required=True)
    qr = venue_sub.add_parser("qr", help="write the venue QR poster as a PNG (symbol at least 15 x 15 cm)")
    qr.add_argument("--png", required=True, help="the PNG file to write")
    qr.add_argument("--config", help="the site server's config (site.toml): [declaration] page_url and venue_name, "
                                     "or [http] for the address")
    qr.add_argument("--url", help="the declaration page's address (overrides the config)")
    qr.add_argument("--name", help="the venue's name on the poster (overrides the config)")
    qr.add_argument("--dpi", type=int, default=300, help="print resolution (default 300)")
    qr.add_argument("--json", action="store_true")
    qr.set_defaults(handler=run_qr)


def page_url_of(config: dict) -> tuple[str, str]:
    """(the form's address, the venue's name) from a site server config's tables."""
    from ..server.declaration.settings import DeclarationSettings

    try:
        settings = DeclarationSettings.model_validate(config.get("declaration", {}))
    except ValueError as exc:
        raise ConfigError(f"[declaration]: {str(exc).splitlines()[-2].strip() if len(str(exc).splitlines()) > 1 else exc}") from None
    if settings.page_url:
        return settings.page_url, settings.venue_name
    http = config.get("http", {})
    scheme = "https" if http.get("ssl_certfile") else "http"
    host = http.get("host", "127.0.0.1")
    if host in ("0.0.0.0", "::", "127.0.0.1", "localhost"):
        raise ConfigError("set [declaration] page_url: the server listens on "
                          f"{host}, which a visitor's phone cannot reach")
    return f"{scheme}://{host}:{http.get('port', 8470)}{DECLARE_PATH}", settings.venue_name


def run_qr(args) -> int:
    from ..server.declaration.images import QR_CM, save_venue_poster

    url, name = args.url or "", args.name or ""
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise ConfigError(f"no such config file {path}")
        try:
            config = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
        config_url, config_name = page_url_of(config)
        url, name = url or config_url, name or config_name
    if not url:
        raise ConfigError("give --url or --config (the site server's config) for the form's address")
    if not url.startswith(("http://", "https://")):
        raise ConfigError("--url must start with http:// or https://")
    if not 150 <= args.dpi <= 1200:
        raise ConfigError("--dpi must be between 150 and 1200")
    try:
        size = save_venue_poster(args.png, url, name, args.dpi)
    except OSError as exc:
        raise ConfigError(f"cannot write {args.png}: {exc.strerror}") from None
    cm = [round(px / args.dpi * 2.54, 1) for px in size]
    emit(args, {"png": args.png, "url": url, "pixels": list(size), "cm": cm, "dpi": args.dpi},
         f"wrote {args.png}: {cm[0]} x {cm[1]} cm at {args.dpi} dpi (QR at least {QR_CM} cm), pointing to {url}")
    return 0
