"""The gate's screen and console in Debian's chromium, against a simulated gate with running cameras."""

from __future__ import annotations

import json
import time

import pytest

from gatesim.visitors import forge_extension
from qrgate.credentials.dcc.issue import issue_dcc, make_test_signer, sample_payload
from qrgate.credentials.dcc.trust import add_trust

from web_fixtures import GUARD, PASSWORD, SCREEN_SIZE, browser, expect, scan, shots, web_gate  # noqa: F401

HOUR = 3600


@pytest.fixture
def screen(browser, web_gate):
    context = browser.new_context(viewport=SCREEN_SIZE)
    page = context.new_page()
    page.goto(web_gate.url + "/")
    page.wait_for_selector("body[data-ready='1']")
    yield page
    context.close()


def login(browser, url, name=GUARD, password=PASSWORD):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url + "/console")
    page.wait_for_selector("body[data-ready='1']")  # the login form has its CSRF token
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#login")
    page.wait_for_url(url + "/console")
    page.wait_for_selector("body[data-ready='1']")
    return context, page


def test_a_valid_scan_turns_the_screen_green_then_idle(web_gate, screen, shots):
    screen.screenshot(path=str(shots / "screen-idle.png"))
    assert screen.locator("#idle h1").inner_text() == "Đưa mã QR vào khung"
    now = time.time()
    outcome = scan(web_gate, web_gate.office.issue("Nguyen Van Test", now - HOUR, now + 8 * HOUR))
    assert outcome.decision.granted
    screen.wait_for_selector("body[data-verdict='green']")
    assert screen.locator("#reason-vi").inner_text() == "Mời qua"
    assert screen.locator("#reason-en").inner_text() == "Please pass"
    assert "Pass: visitor" in screen.locator("#credential").inner_text()
    assert "Nguyen" not in screen.content()  # the holder's name never reaches the page
    screen.screenshot(path=str(shots / "screen-green.png"))
    screen.wait_for_selector("body[data-view='idle']", timeout=5000)  # show_seconds = 1.5


def test_a_forged_pass_shows_its_reason_in_both_languages(web_gate, screen, shots):
    now = time.time()
    scan(web_gate, forge_extension(web_gate.office.issue("forger", now - 10 * HOUR, now - HOUR)))
    screen.wait_for_selector("body[data-verdict='red']")
    assert screen.locator("#reason-vi").inner_text() == "Chữ ký giả"
    assert screen.locator("#reason-en").inner_text() == "Forged signature"
    screen.screenshot(path=str(shots / "screen-red.png"))


def test_a_code_holding_script_shows_as_text(web_gate, screen):
    hostile = '<script>window.qgPwned = 1</script><img src=x onerror="window.qgPwned = 2">'
    scan(web_gate, hostile)
    screen.wait_for_selector("body[data-verdict='red']")
    assert screen.locator("#reason-en").inner_text() == "Not a gate pass"
    # a signed health certificate whose issuer field holds markup: shown, as text
    now = time.time()
    signer = make_test_signer(now - 365 * 86400, now + 365 * 86400)
    web_gate.app.trust.dcc = add_trust(web_gate.app.trust.dcc, "test-signer.pem", signer.certificate_pem)
    payload = sample_payload("vaccination", dn=3, sd=3, dt="2022-01-10")
    scan(web_gate, issue_dcc(signer, payload, now - 60, now + 86400, issuer=hostile))
    expect(screen.locator("#credential")).to_contain_text("dose 3 of 3")
    credential = screen.locator("#credential").inner_text()
    assert hostile in credential and "last 2022-01-10" in credential
    assert screen.locator("#result img").count() == 0 and screen.locator("body script:not([src])").count() == 0
    assert screen.evaluate("window.qgPwned") is None


def test_the_console_refuses_a_visitor_without_a_login(web_gate, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(web_gate.url + "/console")
    assert page.url == web_gate.url + "/console/login"
    for path in ("/console/events", "/console/api/session"):
        assert page.request.get(web_gate.url + path).status == 401
    refused = page.request.post(web_gate.url + "/console/api/action", data=json.dumps(
        {"name": "override", "why": "let me in"}), headers={"Content-Type": "application/json"})
    assert refused.status == 401
    assert not [e for e in web_gate.ledger.events() if e.type == "override"]
    context.close()


def test_an_override_shows_in_the_console_and_the_ledger_with_the_guard(web_gate, browser, shots):
    context, page = login(browser, web_gate.url)
    now = time.time()
    scan(web_gate, web_gate.office.issue("someone", now - HOUR, now + HOUR))
    page.wait_for_selector("#decisions tr[data-type='entry']")
    page.click("#override")
    assert "Give a reason" in page.locator("#message").inner_text()  # no reason, no action
    assert not [e for e in web_gate.ledger.events() if e.type == "override"]
    page.fill("#why", "delivery driver, badge forgotten")
    page.click("#override")
    row = page.wait_for_selector("#decisions tr[data-type='override']")
    assert GUARD in row.inner_text() and "Opened by guard" in row.inner_text()
    overrides = [e for e in web_gate.ledger.events() if e.type == "override"]
    assert len(overrides) == 1
    detail = web_gate.ledger.details(overrides[0].id)
    assert (detail["by"], detail["source"], detail["why"]) == (GUARD, "console", "delivery driver, badge forgotten")
    page.screenshot(path=str(shots / "console.png"), full_page=True)
    context.close()


def test_a_post_without_the_csrf_token_is_refused(web_gate, browser):
    context, page = login(browser, web_gate.url)
    body = json.dumps({"name": "override", "why": "forged request"})
    no_token = page.request.post(web_gate.url + "/console/api/action", data=body,
                                 headers={"Content-Type": "application/json"})
    wrong_token = page.request.post(web_gate.url + "/console/api/action", data=body,
                                    headers={"Content-Type": "application/json", "X-CSRF-Token": "guess"})
    assert (no_token.status, wrong_token.status) == (403, 403)
    assert not [e for e in web_gate.ledger.events() if e.type == "override"]
    # the login form needs its own token too
    fresh = browser.new_context().new_page()
    login_post = fresh.request.post(web_gate.url + "/console/login", data=json.dumps(
        {"name": GUARD, "password": PASSWORD}), headers={"Content-Type": "application/json"})
    assert login_post.status == 403
    context.close()


def test_logins_are_rate_limited(web_gate, browser):
    page = browser.new_context().new_page()
    page.goto(web_gate.url + "/console/login")
    page.wait_for_selector("body[data-ready='1']")
    error = page.locator("#login-error")
    for _ in range(5):
        page.fill("#name", GUARD)
        page.fill("#password", "wrong password")
        page.click("#login")
        expect(error).to_have_text("wrong name or password")
        page.evaluate("document.getElementById('login-error').textContent = ''")
    page.fill("#password", PASSWORD)  # even the right password waits now
    page.click("#login")
    expect(error).to_contain_text("too many failed logins")
    assert page.url.endswith("/console/login")


def test_the_demo_shows_its_scans_live(browser, mosquitto, tmp_path):
    import io
    import re
    import threading

    from gatesim.demo import run_demo

    out = io.StringIO()
    summary_path = tmp_path / "summary.json"
    screen_open = threading.Event()
    done = threading.Thread(target=run_demo, args=(6,), kwargs=dict(
        out=out, json_path=str(summary_path), seed=3, web_port=0, before_walk=lambda: screen_open.wait(30)))
    done.start()
    deadline = time.monotonic() + 30
    while not (found := re.search(r"gate screen: (http://\S+)/ ", out.getvalue())) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert found, out.getvalue()
    page = browser.new_context(viewport=SCREEN_SIZE).new_page()
    page.goto(found.group(1) + "/")
    page.wait_for_selector("body[data-ready='1']")  # the screen's stream is open: no visitor is missed
    screen_open.set()
    done.join(60)
    shown = page.evaluate("window.qgShown.map(s => s.reason)")
    summary = json.loads(summary_path.read_text())
    reasons = {key.split(": ", 1)[1] for key in summary["decisions_by_reason"]}
    assert summary["ok"], out.getvalue()
    assert len(shown) == summary["visitors"] and set(shown) <= reasons, (shown, summary)


def test_a_lockdown_from_the_console_reaches_the_screen(web_gate, browser, screen):
    context, console = login(browser, web_gate.url)
    console.fill("#why", "intruder on site")
    console.click("#lockdown-on")
    expect(console.locator("#status")).to_contain_text("lockdown")
    expect(screen.locator("#mode")).to_have_text("Phong tỏa · Lockdown")
    now = time.time()
    scan(web_gate, web_gate.office.issue("late visitor", now - HOUR, now + HOUR))
    screen.wait_for_selector("body[data-verdict='red']")
    assert screen.locator("#reason-en").inner_text() == "Lockdown: no entry"
    console.click("#lockdown-off")
    expect(screen.locator("#mode")).to_be_hidden()
    context.close()


def test_an_alarm_shows_on_the_console_and_a_guard_acknowledges_it(web_gate, browser):
    context, console = login(browser, web_gate.url)
    web_gate.pin("tamper").drive_high()  # the enclosure is opened
    ack = console.locator("#alarms button[data-alarm='tamper']")
    expect(ack).to_be_visible()
    expect(console.locator("#alarms li.active")).to_contain_text("tamper")
    web_gate.pin("tamper").drive_low()
    expect(console.locator("#alarms li")).to_contain_text("tamper (đã hết · cleared)")  # latched until acknowledged
    console.fill("#why", "cover closed after service")
    ack.click()
    expect(console.locator("#alarms button[data-alarm='tamper']")).to_have_count(0)
    assert web_gate.app.alarms()["tamper"]["acked_at"] is not None
    context.close()
