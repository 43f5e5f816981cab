"""What the pages show of a decision: pure functions from the gate's data to plain dicts.

Only what a visitor or a guard may see: the verdict, the reason in Vietnamese and English from
the one registry, the kind of credential and, for the console, the pass id. Never a name, a
birth date, an ID number, a pseudonym or the code's text. The pages put every value in the DOM
as text.
"""

from __future__ import annotations

from typing import Any

from ..credentials.paper import KIND_TEXT
from ..model import Decision, Event, Verification
from ..policy.reasons import FULL_REASONS, guard_text

#: reasons that need a guard rather than a new pass: amber, not red
GUARD_REASONS = frozenset({"clock_unsynced"})
DCC_FORMAT = "dcc"


def verdict(decision: Decision) -> str:
    if decision.reason in FULL_REASONS or decision.reason in GUARD_REASONS:
        return "amber"
    return "green" if decision.granted else "red"


def _bilingual(code: str) -> dict[str, str]:
    return {"vi": guard_text(code, "vi"), "en": guard_text(code, "en")}


def _dcc_text(kind: str, attributes: dict[str, Any]) -> dict[str, str]:
    issuer = attributes.get("iss")
    where = f" ({issuer})" if issuer else ""
    if kind == "vaccination":
        dose, doses, last = attributes.get("dn"), attributes.get("sd"), attributes.get("dt")
        en = f"Vaccine certificate{where}: vaccinated"
        vi = f"Chứng nhận tiêm chủng{where}: đã tiêm"
        if dose is not None and doses is not None:
            en += f", dose {dose} of {doses}"
            vi += f", mũi {dose}/{doses}"
        if last:
            en += f", last {last}"
            vi += f", mũi cuối {last}"
        return {"vi": vi, "en": en}
    if kind == "recovery":
        until = attributes.get("du")
        return {"vi": f"Chứng nhận khỏi bệnh{where}" + (f", hiệu lực đến {until}" if until else ""),
                "en": f"Recovery certificate{where}" + (f", valid until {until}" if until else "")}
    if kind == "test":
        sample = str(attributes.get("sc") or "")[:10]
        return {"vi": f"Chứng nhận xét nghiệm{where}" + (f", lấy mẫu {sample}" if sample else ""),
                "en": f"Test certificate{where}" + (f", sample taken {sample}" if sample else "")}
    return {"vi": f"Chứng nhận y tế{where}", "en": f"Health certificate{where}"}


def credential_text(verification: Verification, paper_passes: frozenset[str] | set[str] = frozenset()
                    ) -> dict[str, str] | None:
    """The credential's kind as a visitor would say it, or None when the code was not one."""
    if verification.format == "override":
        return {"vi": "Bảo vệ mở cửa", "en": "Guard override"}
    if verification.format == "remote_open":
        return {"vi": "Mở từ xa", "en": "Remote open"}
    credential = verification.credential
    if credential is None:
        return None
    if verification.format == DCC_FORMAT:
        return _dcc_text(credential.kind, credential.attributes)
    vi, en = KIND_TEXT.get(credential.kind, (credential.kind, credential.kind))
    if credential.pass_id and credential.pass_id in paper_passes:
        return {"vi": f"Thẻ giấy: {vi.lower()}", "en": f"Paper pass: {en.lower()}"}
    return {"vi": f"Thẻ: {vi.lower()}", "en": f"Pass: {en.lower()}"}


def screen_message(verification: Verification, decision: Decision, *, decided_at: float,
                   occupancy: int | None, cap: int | None, paper_passes=frozenset()) -> dict[str, Any]:
    """The visitor's screen: a full-screen colour, the reason in both languages, the credential."""
    message: dict[str, Any] = {
        "type": "result", "verdict": verdict(decision), "granted": decision.granted,
        "reason": decision.reason, "text": _bilingual(decision.reason),
        "direction": decision.direction.value, "credential": credential_text(verification, paper_passes),
        "decided_at": decided_at}
    if decision.reason in FULL_REASONS:
        message["occupancy"] = {"inside": occupancy, "cap": cap}
    return message


def console_row(verification: Verification, decision: Decision, event: Event, *, reader: str,
                by: str | None = None, paper_passes=frozenset()) -> dict[str, Any]:
    """One line of the guard's live list."""
    credential = verification.credential
    return {"type": "decision", "id": event.id, "at": event.at, "gate": event.gate_id, "reader": reader,
            "verdict": verdict(decision), "granted": decision.granted, "reason": decision.reason,
            "text": _bilingual(decision.reason), "event_type": event.type,
            "pass_id": credential.pass_id if credential else None,
            "kind": credential_text(verification, paper_passes), "by": by}


def history_row(event: Event, detail: dict | None) -> dict[str, Any]:
    """A past event from the ledger, for a console opened after it happened (no pass id is kept there)."""
    granted = event.type in ("entry", "exit", "override", "remote_open", "exit_button")
    return {"type": "decision", "id": event.id, "at": event.at, "gate": event.gate_id,
            "reader": event.direction or "", "verdict": "green" if granted else "red", "granted": granted,
            "reason": event.reason, "text": _bilingual(event.reason), "event_type": event.type,
            "pass_id": None, "kind": None, "by": (detail or {}).get("by")}
