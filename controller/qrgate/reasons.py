"""Every reason a decision can give, with the text a guard reads at a glance.

One list for the whole gate: events, MQTT, the LED pattern and the guard display all
use these codes. docs/reasons.md is written from this table.
"""

from __future__ import annotations

# code -> (Vietnamese, English)
GUARD_TEXT: dict[str, tuple[str, str]] = {
    # admitted
    "granted": ("Mời qua", "Please pass"),
    "granted_not_inside": ("Cho ra (chưa quét vào)", "Exit allowed (no entry on record)"),
    # the code itself
    "empty": ("Mã trống", "Empty code"),
    "too_long": ("Mã quá dài", "Code too long"),
    "unknown_format": ("Mã không hợp lệ", "Not a gate pass"),
    "bad_prefix": ("Sai tiền tố mã", "Wrong code prefix"),
    "bad_encoding": ("Mã bị hỏng", "Damaged code"),
    "bad_length": ("Mã bị cắt hoặc thừa", "Code truncated or padded"),
    "bad_version": ("Phiên bản thẻ không hỗ trợ", "Unsupported pass version"),
    "unknown_key": ("Khóa ký không tin cậy", "Signer not trusted"),
    "bad_signature": ("Chữ ký giả", "Forged signature"),
    "expired": ("Thẻ hết hạn", "Pass expired"),
    "not_yet_valid": ("Thẻ chưa có hiệu lực", "Pass not valid yet"),
    # the policy
    "already_inside": ("Đã vào, chưa ra", "Already inside"),
    "occupancy_full": ("Đã đủ người", "Site full"),
}


def guard_text(code: str, language: str = "vi") -> str:
    vi, en = GUARD_TEXT.get(code, (code, code))
    return vi if language == "vi" else en


def register(texts: dict[str, tuple[str, str]]) -> None:
    """Add a credential format's or a rule set's own reason codes to the one list."""
    for code, pair in texts.items():
        GUARD_TEXT.setdefault(code, pair)
