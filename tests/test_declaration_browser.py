"""The declaration form on a phone, in Debian's chromium: both languages, the pass saved as an
image and read by the gate's decoder at a simulated gate, a refusal with its reason."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time

import pytest
import uvicorn

from declaration_fixtures import NOW, SITE_NUMBER, form_of, people, service  # noqa: F401
from web_fixtures import browser, shots  # noqa: F401
from qrgate.model import Direction, Scan
from qrgate.server.declaration.web import DeclarationSite
from qrgate.vision.decoder import Decoder
from qrgate.web.server import SecurityHeaders
from qrgate.vision.sources import load_gray

from conftest import mock_gate_app

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def form_url(service):
    site = DeclarationSite(service, clock=lambda: NOW)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    # wrapped as `qrgate site serve` wraps the server's app: its Content-Security-Policy holds too
    app = SecurityHeaders(site.app(), loopback_only=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the form's server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    server.should_exit = True
    thread.join(5)


def _fill(page, person, answers: dict[str, str]):
    fields = form_of(person)
    page.fill("#name", fields["name"])
    page.fill("#birth", fields["birth"])
    page.fill("#phone", fields["phone"])
    page.fill("#cccd", fields["cccd"])
    for question, answer in answers.items():
        page.check(f"input[name=q_{question}][value={answer}]")
    page.check("input[name=consent]")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_visitor_declares_on_a_phone_and_the_saved_pass_opens_the_gate(browser, form_url, people, tmp_path, keys,
                                                                         shots, lang):
    person = people[0 if lang == "vi" else 1]
    # the Vietnamese run has JavaScript off: the form, the pass and its download need none
    context = browser.new_context(**PHONE, accept_downloads=True, java_script_enabled=lang == "en")
    page = context.new_page()
    page.goto(form_url + f"?lang={lang}")
    assert page.locator("h1").inner_text() == ("Khai báo y tế" if lang == "vi" else "Health declaration")
    assert ("21 ngày" if lang == "vi" else "21 days") in page.locator("fieldset").last.inner_text()
    _fill(page, person, {"fever": "no", "cough": "no", "contact": "no"})
    page.screenshot(path=str(shots / f"declaration-form-{lang}.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_selector("#pass")
    assert page.locator("h1").inner_text() == ("Thẻ vào cửa trong ngày" if lang == "vi" else "Day pass")
    # the image and the style load under the strict policy (no inline style, no data: image)
    page.wait_for_function("document.getElementById('pass').complete")
    assert page.locator("#pass").evaluate("img => img.naturalWidth") > 200
    assert page.locator("#save").evaluate("a => getComputedStyle(a.closest('.pass').querySelector('img')).width") \
        != "auto"
    page.screenshot(path=str(shots / f"declaration-pass-{lang}.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#save")
    saved = tmp_path / "saved-pass.png"
    download.value.save_as(saved)
    context.close()

    [code] = Decoder().decode(load_gray(str(saved)), still=True)
    app, pins = mock_gate_app(tmp_path, keys["trust"])
    app.controller.policy = dataclasses.replace(app.controller.policy, site_number=SITE_NUMBER)
    outcome = app.controller.handle_scan(Scan(code.text, "g1", Direction.ENTRY, NOW + 120))
    assert outcome.decision.granted, outcome.decision.reason
    assert outcome.verification.credential.kind == "health_declaration"


def test_declaring_again_the_same_day_shows_the_same_pass(browser, form_url, people):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sources = []
    for _ in range(2):
        page.goto(form_url + "?lang=en")
        _fill(page, people[2], {"fever": "no", "cough": "no", "contact": "no"})
        page.click("button[type=submit]")
        sources.append(page.locator("#pass").get_attribute("src"))
    assert "already declared today" in page.content()
    assert sources[0] == sources[1]
    context.close()


@pytest.mark.parametrize("lang,title,todo", [("vi", "Chưa thể vào", "Hãy gặp bảo vệ"),
                                             ("en", "You cannot enter yet", "See the guard")])
def test_a_refused_declaration_shows_why_and_what_to_do(browser, form_url, people, shots, lang, title, todo):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(form_url + f"?lang={lang}")
    _fill(page, people[3], {"fever": "yes", "cough": "no", "contact": "no"})
    page.click("button[type=submit]")
    refused = page.locator("#refused")
    refused.wait_for()
    text = refused.inner_text()
    assert title in text and todo in text
    assert ("sốt" if lang == "vi" else "fever") in refused.locator("li[data-reason=fever]").inner_text()
    assert page.locator("#pass").count() == 0
    page.screenshot(path=str(shots / f"declaration-refused-{lang}.png"), full_page=True)
    context.close()


def test_a_wrong_field_is_named_and_the_typed_values_are_kept_as_text(browser, form_url, people):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(form_url + "?lang=en")
    _fill(page, people[4], {"fever": "no", "cough": "no", "contact": "no"})
    page.fill("#phone", "<b>12345</b>")
    page.click("button[type=submit]")
    page.wait_for_selector("#errors")
    assert "A Vietnamese mobile number has 10 digits" in page.locator("#errors").inner_text()
    assert page.input_value("#phone") == "<b>12345</b>" and page.locator("b").count() == 0
    assert page.input_value("#name") == people[4].name
    context.close()
