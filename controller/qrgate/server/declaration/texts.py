"""The form's words in Vietnamese and English: one table, looked up by key and language."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # key: (Vietnamese, English)
    "title": ("Khai báo y tế", "Health declaration"),
    "other_lang": ("English", "Tiếng Việt"),
    "intro": ("Khai báo trước khi vào. Khai báo hợp lệ sẽ nhận thẻ vào cửa trong ngày dưới dạng mã QR.",
              "Declare before you enter. A valid declaration gets a day pass as a QR code."),
    "name": ("Họ và tên", "Full name"),
    "birth": ("Ngày sinh", "Date of birth"),
    "phone": ("Số điện thoại di động", "Mobile phone number"),
    "cccd": ("Số CCCD (12 chữ số)", "Citizen ID (CCCD) number, 12 digits"),
    "questions": ("Câu hỏi sức khỏe", "Health questions"),
    "yes": ("Có", "Yes"),
    "no": ("Không", "No"),
    "consent_title": ("Đồng ý", "Consent"),
    "consent": ("Tôi đồng ý để cơ sở lưu họ tên, ngày sinh, số điện thoại và số CCCD của tôi, được mã hóa, "
                "chỉ để cung cấp cho cơ quan y tế khi truy vết tiếp xúc. Thông tin bị xóa sau {days} ngày.",
                "I agree that the site keeps my name, date of birth, phone number and CCCD number, encrypted, "
                "only to give to the health authority for contact tracing. They are deleted after {days} days."),
    "submit": ("Gửi khai báo", "Submit declaration"),
    "errors": ("Vui lòng sửa các mục sau:", "Please correct the following:"),
    "name_missing": ("Hãy nhập họ và tên.", "Enter your full name."),
    "name_bad": ("Họ và tên chỉ gồm chữ cái và dấu cách (tối đa 100 ký tự).",
                 "The name may hold only letters and spaces (100 characters at most)."),
    "birth_missing": ("Hãy nhập ngày sinh.", "Enter your date of birth."),
    "birth_bad": ("Ngày sinh không phải là một ngày có thật (dd/mm/yyyy).",
                  "The date of birth is not a real date (dd/mm/yyyy)."),
    "birth_range": ("Ngày sinh phải từ năm 1900 đến hôm nay.", "The date of birth must be between 1900 and today."),
    "phone_missing": ("Hãy nhập số điện thoại di động.", "Enter your mobile phone number."),
    "phone_bad": ("Số điện thoại di động Việt Nam gồm 10 chữ số, ví dụ 0912 345 678.",
                  "A Vietnamese mobile number has 10 digits, e.g. 0912 345 678."),
    "cccd_missing": ("Hãy nhập số CCCD.", "Enter your CCCD number."),
    "cccd_digits": ("Số CCCD gồm đúng 12 chữ số.", "A CCCD number has exactly 12 digits."),
    "cccd_province": ("Ba chữ số đầu của số CCCD không phải mã tỉnh.",
                      "The first three digits of the CCCD number are not a province code."),
    "cccd_birth": ("Số CCCD không khớp với năm sinh.", "The CCCD number does not match the year of birth."),
    "answer_missing": ("Hãy trả lời câu hỏi này.", "Answer this question."),
    "consent_missing": ("Cần có sự đồng ý của anh/chị để khai báo.", "Your consent is needed to declare."),
    "pass_title": ("Thẻ vào cửa trong ngày", "Day pass"),
    "pass_valid": ("Có giá trị đến hết ngày {day}. Đưa mã này vào máy quét ở cổng.",
                   "Valid until the end of {day}. Show this code to the gate's camera."),
    "pass_again": ("Anh/chị đã khai báo hôm nay: đây là thẻ của anh/chị.",
                   "You already declared today: this is your pass."),
    "save": ("Lưu ảnh thẻ", "Save the pass as an image"),
    "refused_title": ("Chưa thể vào", "You cannot enter yet"),
    "refused_because": ("Khai báo của anh/chị cho thấy:", "Your declaration shows:"),
    "earlier_refusal": ("Hôm nay anh/chị đã có một khai báo không đạt.",
                        "A declaration of yours was already refused today."),
    "refused_todo": ("Vui lòng không vào. Hãy gặp bảo vệ hoặc nhân viên y tế ở cổng để được hướng dẫn.",
                     "Please do not enter. See the guard or the health staff at the gate for what to do."),
    "too_many": ("Quá nhiều lần gửi. Hãy thử lại sau ít phút.", "Too many submissions. Try again in a few minutes."),
    "too_big": ("Dữ liệu gửi quá lớn.", "The form sent is too large."),
    "bad_request": ("Dữ liệu gửi không hợp lệ.", "The form sent is not valid."),
    "venue_scan": ("Quét mã để khai báo y tế", "Scan to make your health declaration"),
    "retention": ("Lưu {days} ngày", "Kept {days} days"),
}


def text(key: str, lang: str, **values) -> str:
    vi, en = TEXTS[key]
    words = en if lang == "en" else vi
    return words.format(**values) if values else words
