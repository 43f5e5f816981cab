"""Every reason a decision can give, with the text a guard reads at a glance.

One list for the whole gate: events, MQTT, the LED pattern and the guard display all
use these codes. docs/reasons.md is written from this table.
"""

from __future__ import annotations

import enum

# code -> (Vietnamese, English)
_CORE_TEXT: dict[str, tuple[str, str]] = {
    # admitted
    "granted": ("Mời qua", "Please pass"),
    "granted_not_inside": ("Cho ra (chưa quét vào)", "Exit allowed (no entry on record)"),
    "granted_reentry": ("Mời qua (vào lại)", "Please pass (re-entry)"),
    "passback_flagged": ("Cho vào, đã ghi chú: chưa quét ra", "Admitted, flagged: no exit on record"),
    "free_exit": ("Mở cửa ra tự do", "Free exit"),
    "guard_override": ("Bảo vệ mở cửa", "Opened by guard"),
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
    "revoked": ("Thẻ đã bị thu hồi", "Pass revoked"),
    "expired": ("Thẻ hết hạn", "Pass expired"),
    "not_yet_valid": ("Thẻ chưa có hiệu lực", "Pass not valid yet"),
    "rotating_required": ("Cần mã động trên điện thoại", "Show the live code on the phone"),
    "bad_rotating_code": ("Mã động sai hoặc đã cũ", "Live code wrong or stale"),
    "code_reused": ("Mã đã dùng, chờ mã mới", "Code already used; wait for a new one"),
    "no_rotation_key": ("Cổng chưa có khóa mã động", "Gate has no live-code key"),
    # the pass's binding
    "wrong_site": ("Thẻ của địa điểm khác", "Pass for another site"),
    "wrong_gate": ("Thẻ không dùng cho cổng này", "Pass not valid at this gate"),
    "wrong_zone": ("Không được vào khu này", "Not allowed in this zone"),
    "declaration_too_old": ("Tờ khai y tế quá hạn", "Health declaration too old"),
    # the policy
    "already_inside": ("Đã vào, chưa ra", "Already inside"),
    "passback_too_soon": ("Vừa vào, chưa được vào lại", "Entered recently; wait"),
    "daily_limit_reached": ("Hết lượt vào hôm nay", "No entries left today"),
    "occupancy_full": ("Đã đủ người", "Site full"),
    "zone_full": ("Khu vực đã đủ người", "Zone full"),
    "closed": ("Ngoài giờ mở cửa", "Closed now"),
    "holiday": ("Nghỉ lễ, đóng cửa", "Closed for holiday"),
    "lockdown": ("Phong tỏa: cấm vào", "Lockdown: no entry"),
    "clock_unsynced": ("Lỗi đồng hồ, gọi bảo vệ", "Clock not synced; call guard"),
    "storage_fault": ("Lỗi lưu trữ, gọi bảo vệ", "Storage fault; call guard"),
    "site_partitioned": ("Mất liên lạc: chỉ cho ra", "Gates cut off: exit only"),
}

# what a guard, a dashboard or the CLI asked for (qrgate.actions), and how it went
ACTION_TEXT: dict[str, tuple[str, str]] = {
    "marked_left": ("Bảo vệ ghi nhận đã ra", "Marked as left by a guard"),
    "done": ("Đã thực hiện", "Done"),
    "not_inside": ("Không có ai với thẻ này ở bên trong", "Nobody with this pass is inside"),
    "not_latched": ("Không có cảnh báo cần xác nhận", "No alarm to acknowledge"),
    "no_pending": ("Không có yêu cầu chờ xác nhận", "Nothing waits for confirmation"),
    "unknown_action": ("Thao tác không tồn tại", "No such action"),
    "bad_by": ("Thiếu mã người thực hiện", "Who asked is missing or malformed"),
    "reason_required": ("Cần ghi lý do", "A reason is required"),
    "bad_reason": ("Lý do quá dài hoặc sai", "Reason too long or malformed"),
    "bad_direction": ("Hướng phải là vào hoặc ra", "Direction must be entry or exit"),
    "bad_value": ("Giá trị không hợp lệ", "Value not valid for this action"),
    "failed": ("Thao tác thất bại, xem nhật ký", "Action failed; see the log"),
}

# exits no gate saw, and rules a partition let through (qrgate.site, docs/site.md): ledger events
SITE_TEXT: dict[str, tuple[str, str]] = {
    "presence_expired": ("Tự ghi ra: quá lâu không quét", "Counted as left: too long inside"),
    "daily_reset": ("Tự ghi ra: đặt lại cuối ngày", "Counted as left: daily reset"),
    "exit_button": ("Ra bằng nút mở cửa", "Left by the exit button"),
    "double_entry": ("Vào hai cổng khi mất liên lạc", "Entered twice while cut off"),
    "cap_exceeded": ("Quá số người khi mất liên lạc", "Cap exceeded while cut off"),
}

#: decisions that wait for the guard (amber light): neither a grant nor a refusal yet
PENDING_REASONS = frozenset({"awaiting_guard"})

#: reasons shown with the "full" light and tone (capacity, not a bad pass)
FULL_REASONS = frozenset({"occupancy_full", "zone_full"})


def guard_text(code: str, language: str = "vi") -> str:
    vi, en = GUARD_TEXT.get(code, (code, code))
    return vi if language == "vi" else en


# health certificates (EU DCC): entry rules (qrgate.policy.health) and verification (credentials.dcc)
HEALTH_TEXT: dict[str, tuple[str, str]] = {
    "vaccination_not_accepted": ("Không nhận chứng nhận tiêm chủng", "Vaccination not accepted"),
    "vaccination_incomplete": ("Chưa tiêm đủ liều", "Vaccination incomplete"),
    "vaccination_too_recent": ("Mũi cuối chưa đủ ngày", "Last dose too recent"),
    "vaccination_too_old": ("Mũi cuối đã quá lâu", "Last dose too long ago"),
    "recovery_not_accepted": ("Không nhận chứng nhận khỏi bệnh", "Recovery not accepted"),
    "recovery_not_yet_valid": ("Chứng nhận khỏi bệnh chưa hiệu lực", "Recovery not yet valid"),
    "recovery_expired": ("Chứng nhận khỏi bệnh hết hạn", "Recovery expired"),
    "test_not_accepted": ("Không nhận kết quả xét nghiệm", "Tests not accepted"),
    "test_type_not_accepted": ("Loại xét nghiệm không được nhận", "Test type not accepted"),
    "test_positive": ("Xét nghiệm dương tính", "Test positive"),
    "test_sample_in_future": ("Giờ lấy mẫu không hợp lệ", "Sample time in the future"),
    "test_too_old": ("Xét nghiệm quá hạn", "Test too old"),
    "certificate_data_invalid": ("Dữ liệu chứng nhận lỗi", "Certificate data unreadable"),
    # verification (qrgate.credentials.dcc.verify)
    "bad_prefix": ("Không phải chứng nhận y tế", "Not a health certificate"),
    "bad_base45": ("Mã QR hỏng", "QR content damaged"),
    "bad_zlib": ("Mã QR hỏng", "QR content damaged"),
    "bad_cose": ("Mã QR hỏng", "QR content damaged"),
    "bad_cbor": ("Mã QR hỏng", "QR content damaged"),
    "unknown_key": ("Nơi cấp không được tin cậy", "Issuer not trusted"),
    "bad_signature": ("Chữ ký sai — có thể giả mạo", "Bad signature — possible forgery"),
    "bad_cwt_times": ("Thiếu hạn dùng", "Validity dates missing"),
    "expired": ("Chứng nhận hết hạn", "Certificate expired"),
    "not_yet_valid": ("Chứng nhận chưa hiệu lực", "Certificate not yet valid"),
    "schema_invalid": ("Nội dung chứng nhận sai", "Certificate content invalid"),
    "dob_in_future": ("Nội dung chứng nhận sai", "Certificate content invalid"),
    "key_usage": ("Nơi cấp không được cấp loại này", "Issuer may not sign this type"),
    "cert_expired": ("Khóa ký của nơi cấp hết hạn", "Issuer's signing key expired"),
    "incomplete": ("Chưa kiểm tra xong — thử lại", "Check incomplete — scan again"),
    "internal_error": ("Lỗi hệ thống — gọi quản lý", "System error — call a manager"),
}

# identity codes without a signature (the CCCD card, PC-Covid) and what [policy.identity] makes of them
IDENTITY_TEXT: dict[str, tuple[str, str]] = {
    # the policy's outcomes
    "granted_listed": ("Mời qua (có trong danh sách)", "Please pass (on the site list)"),
    "granted_registered": ("Mời qua — đã ghi nhận để truy vết", "Please pass — recorded for tracing"),
    "guard_confirmed": ("Bảo vệ đã xác nhận giấy tờ", "ID checked by the guard"),
    "awaiting_guard": ("Chờ bảo vệ đối chiếu giấy tờ", "Wait: the guard checks the ID"),
    "guard_refused": ("Bảo vệ không xác nhận giấy tờ", "The guard did not accept the ID"),
    "guard_timeout": ("Hết thời gian chờ bảo vệ — quét lại", "No guard answer in time — scan again"),
    "identity_not_accepted": ("Không nhận giấy tờ này tại cổng", "This ID is not accepted at this gate"),
    "not_on_list": ("Không có trong danh sách của cơ sở", "Not on the site's list"),
    "masked_not_listable": ("Mã che số, không đối chiếu danh sách",
                            "Masked ID: no list match; show full code"),
    # the CCCD card's QR
    "cccd_bad_fields": ("QR CCCD sai số trường", "ID card QR: wrong number of fields"),
    "cccd_bad_number": ("QR CCCD: số định danh không đủ 12 chữ số", "ID card QR: the number is not 12 digits"),
    "cccd_bad_province": ("QR CCCD: mã tỉnh không tồn tại", "ID card QR: no such province code"),
    "cccd_bad_century_sex": ("QR CCCD: mã thế kỷ/giới tính không khớp", "ID card QR: century/sex digit disagrees"),
    "cccd_bad_birth_year": ("QR CCCD: mã năm sinh không khớp", "ID card QR: birth-year digits disagree"),
    "cccd_bad_old_number": ("QR CCCD: số CMND cũ sai", "ID card QR: old ID number malformed"),
    "cccd_bad_name": ("QR CCCD: họ tên sai", "ID card QR: name malformed"),
    "cccd_bad_birth_date": ("QR CCCD: ngày sinh sai", "ID card QR: birth date not a date"),
    "cccd_bad_sex": ("QR CCCD: giới tính sai", "ID card QR: sex field malformed"),
    "cccd_bad_address": ("QR CCCD: nơi thường trú sai", "ID card QR: address malformed"),
    "cccd_bad_issue_date": ("QR CCCD: ngày cấp sai", "ID card QR: issue date not a date"),
    "cccd_issued_before_birth": ("QR CCCD: ngày cấp trước ngày sinh", "ID card QR: issued before birth"),
    "cccd_issued_in_future": ("QR CCCD: ngày cấp ở tương lai", "ID card QR: issue date in the future"),
    "cccd_expired": ("CCCD đã hết hạn — cần đổi thẻ", "ID card expired — due for renewal"),
    # PC-Covid's personal QR
    "pccovid_bad_fields": ("QR PC-Covid sai số trường", "PC-Covid QR: wrong number of fields"),
    "pccovid_bad_number": ("QR PC-Covid: số giấy tờ sai", "PC-Covid QR: ID number malformed"),
    "pccovid_bad_province": ("QR PC-Covid: mã tỉnh không tồn tại", "PC-Covid QR: no such province code"),
    "pccovid_bad_century": ("QR PC-Covid: mã thế kỷ không khớp", "PC-Covid QR: century digit disagrees"),
    "pccovid_bad_birth_year": ("QR PC-Covid: mã năm sinh không khớp", "PC-Covid QR: birth-year digits disagree"),
    "pccovid_bad_name": ("QR PC-Covid: họ tên sai", "PC-Covid QR: name malformed"),
    "pccovid_bad_birth_date": ("QR PC-Covid: ngày sinh sai", "PC-Covid QR: birth date malformed"),
    "pccovid_bad_id_type": ("QR PC-Covid: loại định danh sai", "PC-Covid QR: declaration type malformed"),
    "pccovid_bad_qid": ("QR PC-Covid: mã QID sai", "PC-Covid QR: QID malformed"),
}

#: code -> (Vietnamese, English); a health code the core list already names keeps the core text
GUARD_TEXT: dict[str, tuple[str, str]] = {**_CORE_TEXT, **ACTION_TEXT, **SITE_TEXT,
                                          **{c: t for c, t in HEALTH_TEXT.items() if c not in _CORE_TEXT},
                                          **IDENTITY_TEXT}

#: every reason code, as one enumeration (a member compares equal to its code string)
Reason = enum.StrEnum("Reason", {code.upper(): code for code in GUARD_TEXT})


GROUPS = (("Admitted", "granted"), ("The code itself", "empty"), ("The pass's binding", "wrong_site"),
          ("The policy", "already_inside"), ("Actions", "marked_left"),
          ("The site: exits no gate saw, partitions", next(iter(SITE_TEXT))),
          ("Health certificates", next(iter(HEALTH_TEXT))),
          ("Identity codes (CCCD card, PC-Covid)", next(iter(IDENTITY_TEXT))))


def markdown() -> str:
    """docs/reasons.md, written from GUARD_TEXT (tests/test_policy_reasons.py keeps them equal)."""
    starts = {first: title for title, first in GROUPS}
    lines = ["# Reason codes", "",
             "Every decision, event and MQTT message carries one of these codes; the guard display",
             "shows the text. Generated from `controller/qrgate/policy/reasons.py`",
             "(`python -m qrgate.policy.reasons > docs/reasons.md`); a test keeps the two equal."]
    for code, (vi, en) in GUARD_TEXT.items():
        if code in starts:
            lines += ["", f"## {starts[code]}", "", "| code | Tiếng Việt | English |", "|---|---|---|"]
        lines.append(f"| `{code}` | {vi} | {en} |")
    lines += ["", f"Shown with the amber \"full\" light: {', '.join(f'`{c}`' for c in sorted(FULL_REASONS))}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
