// Every text of the site pages, in Vietnamese and English: the one table the pages read.
// An element with data-text="key" gets the text of its key in the chosen language; scripts
// call window.qgText.t("key"). The choice is kept in localStorage.
"use strict";
(function () {
  const TABLE = {
    title_manager: { vi: "qrgate · Quản lý", en: "qrgate · Manager" },
    title_login: { vi: "qrgate · Đăng nhập", en: "qrgate · Log in" },
    language: { vi: "English", en: "Tiếng Việt" },
    login_heading: { vi: "Đăng nhập quản lý", en: "Manager login" },
    name: { vi: "Tên", en: "Name" },
    password: { vi: "Mật khẩu", en: "Password" },
    log_in: { vi: "Đăng nhập", en: "Log in" },
    log_out: { vi: "Đăng xuất", en: "Log out" },
    cannot_reach: { vi: "Không kết nối được máy chủ", en: "Cannot reach the server" },
    role_manager: { vi: "quản lý", en: "manager" },
    role_tracer: { vi: "truy vết", en: "tracer" },
    role_admin: { vi: "quản trị", en: "admin" },
    today: { vi: "Hôm nay", en: "Today" },
    site_total: { vi: "Toàn khu", en: "Whole site" },
    gate: { vi: "Cổng", en: "Gate" },
    entries: { vi: "Vào", en: "Entries" },
    exits: { vi: "Ra", en: "Exits" },
    denials: { vi: "Từ chối", en: "Denials" },
    inside: { vi: "Đang ở trong", en: "Inside now" },
    occupancy_chart: { vi: "Số người trong khu theo giờ", en: "People on site over the day" },
    chart_empty: { vi: "Chưa có dữ liệu hôm nay", en: "No data today yet" },
    alarms: { vi: "Báo động", en: "Alarms" },
    none: { vi: "Không có", en: "None" },
    live: { vi: "Trực tiếp", en: "Live" },
    connection_lost: { vi: "Mất kết nối, đang thử lại", en: "Connection lost, retrying" },
    updated: { vi: "Cập nhật", en: "Updated" },
    tracing: { vi: "Truy vết tiếp xúc", en: "Contact tracing" },
    trace_who: { vi: "Mã thẻ hoặc bí danh", en: "Pass id or pseudonym" },
    trace_from: { vi: "Từ", en: "From" },
    trace_to: { vi: "Đến", en: "To" },
    trace_purpose: { vi: "Mục đích (ghi vào nhật ký)", en: "Purpose (kept in the log)" },
    trace_reidentify: { vi: "Hiện tên và số điện thoại (được ghi nhật ký)", en: "Show names and phones (logged)" },
    trace_run: { vi: "Truy vết", en: "Trace" },
    trace_csv: { vi: "Tải CSV", en: "Download CSV" },
    trace_found: { vi: "người trùng thời gian", en: "people overlapped" },
    trace_pseudonym: { vi: "Bí danh", en: "Pseudonym" },
    trace_pass: { vi: "Mã thẻ", en: "Pass id" },
    trace_holder: { vi: "Người giữ thẻ", en: "Holder" },
    trace_phone: { vi: "Điện thoại", en: "Phone" },
    trace_minutes: { vi: "Số phút trùng", en: "Minutes of overlap" },
    trace_where: { vi: "Ở đâu", en: "Where" },
    trace_case: { vi: "ca bệnh", en: "case" },
    trace_when: { vi: "Khi nào", en: "When" },
    site_time: { vi: "(giờ của khu)", en: "(the site's local time)" },
    alarm_alarm: { vi: "bật", en: "raised" },
    alarm_alarm_cleared: { vi: "đã hết", en: "cleared" },
    alarm_alarm_ack: { vi: "đã xác nhận", en: "acknowledged" },
    trace_fill: { vi: "Nhập mã thẻ, thời gian và mục đích", en: "Give a pass id, a time window and a purpose" },
  };
  const KEY = "qrgate.lang";
  let lang = "vi";
  try { lang = localStorage.getItem(KEY) === "en" ? "en" : "vi"; } catch (e) { /* storage off: Vietnamese */ }

  function t(key) {
    const row = TABLE[key];
    return row ? row[lang] : key;
  }
  function apply(root) {
    document.documentElement.lang = lang;
    for (const node of (root || document).querySelectorAll("[data-text]")) node.textContent = t(node.dataset.text);
    const title = document.querySelector("title[data-text]");
    if (title) document.title = t(title.dataset.text);
    document.dispatchEvent(new CustomEvent("qg-lang", { detail: lang }));
  }
  function set(next) {
    lang = next === "en" ? "en" : "vi";
    try { localStorage.setItem(KEY, lang); } catch (e) { /* kept for this page only */ }
    apply();
  }
  window.qgText = { t, apply, set, lang: () => lang, keys: () => Object.keys(TABLE) };
  document.addEventListener("DOMContentLoaded", () => {
    apply();
    const button = document.getElementById("lang");
    if (button) button.addEventListener("click", () => set(lang === "vi" ? "en" : "vi"));
  });
})();
