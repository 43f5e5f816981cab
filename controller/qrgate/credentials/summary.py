"""One line a guard reads about a verified credential, with no name, birth date or ID number.

    vaccinated, dose 3 of 3, last dose 2022-01-10
"""

from __future__ import annotations

from ..model import Credential

_TEXT = {
    "vaccination": ("đã tiêm, mũi {dn}/{sd}, mũi cuối {dt}", "vaccinated, dose {dn} of {sd}, last dose {dt}"),
    "recovery": ("đã khỏi bệnh, hiệu lực {df} đến {du}", "recovered, valid {df} to {du}"),
    "test": ("xét nghiệm {result}, lấy mẫu {sc}", "tested {result}, sample taken {sc}"),
    "cccd": ("thẻ CCCD (không có chữ ký số)", "CCCD ID card (not signed)"),
    "pccovid": ("mã PC-Covid (không có chữ ký số)", "PC-Covid code (not signed)"),
    "pccovid_masked": ("mã PC-Covid, số giấy tờ bị che", "PC-Covid code, ID number masked"),
    "pass": ("thẻ qrgate: {kind}", "qrgate pass: {kind}"),
}
_NOT_DETECTED = "260415000"
_RESULT = {True: ("âm tính", "negative"), False: ("dương tính", "positive")}


def _day(value) -> str:
    text = str(value or "?")
    return text[:10]


def summary(credential: Credential, language: str = "en") -> str:
    """The guard's line for a credential: what it shows, never who holds it."""
    pick = 0 if language == "vi" else 1
    a = credential.attributes
    if credential.format == "dcc":
        kind = credential.kind
        values = {"dn": a.get("dn", "?"), "sd": a.get("sd", "?"), "dt": _day(a.get("dt")),
                  "df": _day(a.get("df")), "du": _day(a.get("du")), "sc": _day(a.get("sc")),
                  "result": _RESULT[a.get("tr") == _NOT_DETECTED][pick]}
        return _TEXT[kind][pick].format(**values) if kind in _TEXT else kind
    if credential.format == "pccovid" and a.get("masked"):
        return _TEXT["pccovid_masked"][pick]
    if credential.format in ("cccd", "pccovid"):
        return _TEXT[credential.format][pick]
    return _TEXT["pass"][pick].format(kind=credential.kind)
