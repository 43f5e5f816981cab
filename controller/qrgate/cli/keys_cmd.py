"""qrgate keys new|rotate|retire|list|rotation|sign-update: signing keys, the trust file gates need, the
rotating-code key, and trust updates signed for gates that take them over MQTT."""

from __future__ import annotations

from ..credentials.keys import list_keys, new_key, retire, rotate
from ..credentials.rotating import ROTATION_FILE_NAME, new_rotation_file
from ..errors import KeyFileError
from .output import emit


def add_parser(sub) -> None:
    keys = sub.add_parser("keys", help="pass-signing keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    new = keys_sub.add_parser("new", help="make a signing key; its public half goes into DIR/trust.json")
    new.add_argument("--dir", required=True, help="folder for the key, issuer secret and trust file")
    new.add_argument("--json", action="store_true")
    new.set_defaults(handler=run_new)
    rot = keys_sub.add_parser("rotate", help="make a new signing key; old keys stay trusted unless --retire-old")
    rot.add_argument("--dir", required=True)
    rot.add_argument("--retire-old", action="store_true",
                     help="retire every other key now: passes they signed are refused as unknown_key")
    rot.add_argument("--json", action="store_true")
    rot.set_defaults(handler=run_rotate)
    ret = keys_sub.add_parser("retire", help="retire a key id in DIR/trust.json (copy the file to the gates)")
    ret.add_argument("--dir", required=True)
    ret.add_argument("kid")
    ret.add_argument("--json", action="store_true")
    ret.set_defaults(handler=run_retire)
    lst = keys_sub.add_parser("list", help="the keys in DIR/trust.json")
    lst.add_argument("--dir", required=True)
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=run_list)
    rk = keys_sub.add_parser("rotation", help=f"make DIR/{ROTATION_FILE_NAME}, the secret key for rotating codes")
    rk.add_argument("--dir", required=True)
    rk.add_argument("--json", action="store_true")
    rk.set_defaults(handler=run_rotation)
    su = keys_sub.add_parser("sign-update", help="sign the keys of the trust file beside --key as a trust update "
                                                 "that running gates take over MQTT (docs/passes.md)")
    su.add_argument("--key", required=True, help="a signing key the gates already trust")
    su.add_argument("--out", required=True, help="update file to write; its version goes up by one")
    su.add_argument("--json", action="store_true")
    su.set_defaults(handler=run_sign_update)


def run_new(args) -> int:
    made = new_key(args.dir)
    emit(args, made, f"key {made['kid']}: private key {made['private_key']} (keep it off the gates), "
                     f"trust file {made['trust']} (copy it to every gate)")
    return 0


def run_rotate(args) -> int:
    made = rotate(args.dir, args.retire_old)
    text = f"new key {made['kid']}: sign new passes with {made['private_key']}; copy {made['trust']} to every gate"
    if made["retired"]:
        text += f"\nretired: {', '.join(made['retired'])}"
    if made["still_trusted"]:
        text += f"\nstill trusted until retired: {', '.join(made['still_trusted'])}"
    emit(args, made, text)
    return 0


def run_retire(args) -> int:
    retire(args.dir, args.kid)
    emit(args, {"retired": args.kid}, f"key {args.kid} retired; copy the trust file to every gate")
    return 0


def run_list(args) -> int:
    keys = list_keys(args.dir)
    emit(args, {"keys": keys}, "\n".join(
        f"{k['kid']}  {'retired' if k['retired'] else 'active '}  {'private key here' if k['private_key'] else ''}"
        for k in keys) or "no keys")
    return 0


def run_rotation(args) -> int:
    try:
        path = new_rotation_file(args.dir)
    except FileExistsError:
        raise KeyFileError(f"{args.dir}/{ROTATION_FILE_NAME} exists already; keep it (phones' codes depend on it)") from None
    except OSError as exc:
        raise KeyFileError(f"cannot write in {args.dir}: {exc.strerror}") from None
    emit(args, {"rotation": str(path)}, f"{path}: secret; copy it to the gates (trust.files) and keep it off phones")
    return 0


def run_sign_update(args) -> int:
    import time
    from pathlib import Path

    from ..credentials.keys import TRUST_FILE_NAME, load_private_key, read_trust_doc
    from ..credentials.revocation import read_doc, write_doc
    from ..credentials.trust_update import sign_update

    kid, key = load_private_key(args.key)
    trust_doc = read_trust_doc(Path(args.key).parent / TRUST_FILE_NAME)
    if kid not in {k["kid"] for k in trust_doc["keys"] if not k.get("retired")}:
        raise KeyFileError(f"key {kid} is not an active key of {Path(args.key).parent / TRUST_FILE_NAME}; "
                           "sign with a key the gates still trust")
    old = read_doc(args.out)
    version = (old.get("version", 0) if isinstance(old, dict) else 0) + 1
    doc = sign_update(key, version, trust_doc, int(time.time()))
    try:
        write_doc(args.out, doc)
    except OSError as exc:
        raise KeyFileError(f"cannot write {args.out}: {exc.strerror}") from None
    emit(args, {"update": args.out, "version": version, "signed_by": kid, "keys": len(doc["keys"])},
         f"{args.out}: trust update version {version} ({len(doc['keys'])} keys), signed by {kid}; "
         "publish it retained on qrgate/<site>/site/trust")
    return 0
