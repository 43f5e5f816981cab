"""The health declaration (issue 17): the form's checks, the day pass, sealed contacts, the tracer,
the guard's desk, the visitor's form over HTTP, and the venue QR poster."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re

import numpy as np

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.testclient import TestClient

from declaration_fixtures import NOW, SITE_NUMBER, TODAY, form_of, make_service, people, service  # noqa: F401
from gatesim.vietnam import cccd_text
from qrgate.cli.main import main
from qrgate.credentials import cccd, native
from qrgate.credentials.trust import TrustStore
from qrgate.model import Direction, Scan
from qrgate.pseudonym import credential_pseudonym
from qrgate.server.declaration import store
from qrgate.server.declaration.form import normalise_phone, parse_date, validate
from qrgate.server.declaration.guard_desk import GuardDesk
from qrgate.server.declaration.images import QR_CM, pass_png
from qrgate.server.declaration.service import NotTracer, TraceMatch
from qrgate.server.declaration.settings import DEFAULT_QUESTIONS, DeclarationSettings
from qrgate.vision.decoder import Decoder
from qrgate.vision.sources import load_gray

from conftest import mock_gate_app


# -- the form's checks (pure) ---------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("0912345678", "0912345678"), ("+84 912 345 678", "0912345678"), ("84912345678", "0912345678"),
    ("091-234-5678", "0912345678"), ("0363.123.456", "0363123456"), ("0861234567", "0861234567"),
    ("0212345678", None), ("091234567", None), ("09123456789", None), ("0912a45678", None), ("", None),
    ("+1 912 345 678", None), ("０９１２３４５６７８", None)])
def test_vietnamese_mobile_numbers(text, expected):
    assert normalise_phone(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("1990-05-17", dt.date(1990, 5, 17)), ("17/05/1990", dt.date(1990, 5, 17)), ("29/02/2000", dt.date(2000, 2, 29)),
    ("29/02/1900", None), ("31/04/1990", None), ("1990-13-01", None), ("17.05.1990", None), ("", None)])
def test_real_dates_only(text, expected):
    assert parse_date(text) == expected


def test_a_valid_form_gives_a_declaration(people):
    p = people[0]
    declaration, errors = validate(form_of(p, phone="+84 " + p.phone[1:]), DEFAULT_QUESTIONS, TODAY)
    assert errors == {}
    assert (declaration.name, declaration.birth, declaration.phone, declaration.cccd) == (p.name, p.birth, p.phone,
                                                                                           p.number)


@pytest.mark.parametrize("field,value,code", [
    ("name", "", "name_missing"), ("name", "Robert'); DROP TABLE x;--", "name_bad"),
    ("birth", "31/02/1990", "birth_bad"), ("birth", "2099-01-01", "birth_range"),
    ("phone", "12345", "phone_bad"), ("cccd", "12345", "cccd_digits"), ("cccd", "999190123456", "cccd_province"),
    ("q_fever", "maybe", "answer_missing"), ("consent", "", "consent_missing")])
def test_each_wrong_field_gets_its_own_error(people, field, value, code):
    declaration, errors = validate(form_of(people[0], **{field: value}), DEFAULT_QUESTIONS, TODAY)
    assert declaration is None and errors == {field: code}


def test_a_cccd_number_of_another_birth_year_is_refused(people):
    p = people[0]
    other_year = p.birth.replace(year=p.birth.year - 1)
    _d, errors = validate(form_of(p, birth=other_year.isoformat()), DEFAULT_QUESTIONS, TODAY)
    assert errors == {"cccd": "cccd_birth"}


# -- the day pass ---------------------------------------------------------------------------------

def test_a_passing_declaration_gets_a_day_pass_bound_to_the_site_and_the_same_one_again(service, people, trust):
    declaration, _ = validate(form_of(people[0]), DEFAULT_QUESTIONS, TODAY)
    first = service.declare(declaration, NOW)
    assert first.passed and not first.again and first.day == "2026-11-30"
    checked = native.verify(first.pass_text, trust, NOW)
    assert checked.valid and checked.credential.kind == "health_declaration"
    assert checked.credential.attributes["site"] == SITE_NUMBER
    end_of_day = dt.datetime(2026, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=7))).timestamp() - 1
    assert checked.credential.valid_until == end_of_day
    assert not native.verify(first.pass_text, trust, end_of_day + 1).valid
    again = service.declare(declaration, NOW + 3600)
    assert again.again and again.pass_text == first.pass_text and again.pass_id == first.pass_id
    assert len(store.rows(service.engine)) == 1
    tomorrow = service.declare(declaration, end_of_day + 60)
    assert tomorrow.passed and tomorrow.pass_id != first.pass_id


def test_a_symptom_refuses_the_declaration_and_gives_no_pass(service, people):
    declaration, _ = validate(form_of(people[1], q_fever="yes", q_contact="yes"), DEFAULT_QUESTIONS, TODAY)
    outcome = service.declare(declaration, NOW)
    assert not outcome.passed and outcome.pass_text is None and outcome.reasons == ("fever", "contact")
    [row] = store.rows(service.engine)
    assert (row.outcome, row.reasons) == ("refused", ("fever", "contact"))


def test_a_refusal_holds_for_the_day_whatever_is_answered_next(service, people):
    sick, _ = validate(form_of(people[1], q_fever="yes"), DEFAULT_QUESTIONS, TODAY)
    assert not service.declare(sick, NOW).passed
    well, _ = validate(form_of(people[1]), DEFAULT_QUESTIONS, TODAY)
    again = service.declare(well, NOW + 60)
    assert not again.passed and again.reasons == ("earlier_refusal",) and again.pass_text is None
    page = _client(service).post("/", data={**form_of(people[1]), "lang": "en"})
    assert "A declaration of yours was already refused today." in page.text
    assert service.declare(well, NOW + 86400).passed  # the next day is a new day


def test_a_question_the_site_does_not_refuse_on_still_passes(tmp_path, keys, people):
    questions = [q.model_copy(update={"refuse_if_yes": q.id != "cough"}) for q in DEFAULT_QUESTIONS]
    service = make_service(tmp_path, keys, questions=questions)
    declaration, _ = validate(form_of(people[0], q_cough="yes"), questions, TODAY)
    assert service.declare(declaration, NOW).passed


def test_the_day_pass_and_the_card_log_as_one_person_at_the_gate(tmp_path, keys, people, service):
    person = people[2]
    declaration, _ = validate(form_of(person), DEFAULT_QUESTIONS, TODAY)
    outcome = service.declare(declaration, NOW)
    app, _pins = mock_gate_app(tmp_path, keys["trust"])
    app.controller.policy = dataclasses.replace(app.controller.policy, site_number=SITE_NUMBER)
    # the gate's site secret is the site's: the service above was made with the same file
    assert app.controller.site_secret == service.site_secret
    png = tmp_path / "pass.png"
    png.write_bytes(pass_png(outcome.pass_text))
    [code] = Decoder().decode(load_gray(str(png)), still=True)
    by_pass = app.controller.handle_scan(Scan(code.text, "g1", Direction.ENTRY, NOW + 60))
    assert by_pass.decision.granted, by_pass.decision.reason
    by_card = app.controller.handle_scan(Scan(cccd_text(person), "g1", Direction.EXIT, NOW + 120))
    assert by_card.verification.valid
    assert by_card.event.holder == by_pass.event.holder  # the log's pseudonym, as MQTT carries it
    card = cccd.verify(cccd_text(person), TrustStore(pseudonym_key=service.site_secret), NOW).credential
    assert credential_pseudonym(service.site_secret, card) == by_pass.event.holder
    assert person.number not in by_pass.event.holder


def test_a_pass_of_another_site_number_is_refused_at_the_gate(tmp_path, keys, people, service):
    declaration, _ = validate(form_of(people[0]), DEFAULT_QUESTIONS, TODAY)
    outcome = service.declare(declaration, NOW)
    app, _pins = mock_gate_app(tmp_path, keys["trust"])
    app.controller.policy = dataclasses.replace(app.controller.policy, site_number=SITE_NUMBER + 1)
    result = app.controller.handle_scan(Scan(outcome.pass_text, "g1", Direction.ENTRY, NOW + 60))
    assert (result.decision.granted, result.decision.reason) == (False, "wrong_site")


# -- contact details: sealed, tracer only, every read recorded, purged ------------------------------

def test_contact_details_are_sealed_at_rest(tmp_path, service, people):
    for p in people[:3]:
        service.declare(validate(form_of(p), DEFAULT_QUESTIONS, TODAY)[0], NOW)
    raw = (tmp_path / "site.db").read_bytes()
    for p in people[:3]:
        for secret in (p.name, p.phone, p.number, p.birth.isoformat()):
            assert secret.encode() not in raw


def test_the_tracer_reads_the_contacts_a_manager_does_not_and_each_read_is_recorded(service, people):
    service.declare(validate(form_of(people[0]), DEFAULT_QUESTIONS, TODAY)[0], NOW)
    with pytest.raises(NotTracer):
        service.contacts("mai", ["manager"], NOW, purpose="curious")
    assert store.reads(service.engine) == []
    [row] = service.contacts("lan", ["tracer"], NOW + 5, purpose="case 12")
    p = people[0]
    assert (row["name"], row["phone"], row["cccd"], row["birth"]) == (p.name, p.phone, p.number, p.birth.isoformat())
    assert "pass" not in row
    [read] = store.reads(service.engine)
    assert (read["reader"], read["purpose"], read["rows"], read["at"]) == ("lan", "case 12", 1, NOW + 5)


def test_the_trace_export_is_excel_ready_utf8_with_the_four_fields_overlap_and_gates(service, people):
    for p in people[:2]:
        service.declare(validate(form_of(p), DEFAULT_QUESTIONS, TODAY)[0], NOW)
    holders = [r.holder for r in store.rows(service.engine)]
    matches = [TraceMatch(holders[1], NOW, NOW + 900, ("g1", "g2")), TraceMatch("0" * 16, NOW, NOW + 60, ("g1",))]
    with pytest.raises(NotTracer):
        service.trace_csv("mai", ["manager"], matches, NOW)
    data = service.trace_csv("lan", ["tracer"], matches, NOW)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data[3:].decode("utf-8").split("\r\n")
    assert lines[0] == "full_name,date_of_birth,phone,cccd,overlap_from,overlap_until,gates"
    p = people[1]
    assert lines[1] == f"{p.name},{p.birth.isoformat()},{p.phone},{p.number},2026-11-30T10:00:00+07:00," \
                       f"2026-11-30T10:15:00+07:00,g1 g2"
    assert lines[2] == ",,,,2026-11-30T10:00:00+07:00,2026-11-30T10:01:00+07:00,g1"


def test_the_server_trace_result_becomes_the_export_with_declared_contacts(service, people):
    from qrgate.server.declaration.service import matches_from_trace

    service.declare(validate(form_of(people[0]), DEFAULT_QUESTIONS, TODAY)[0], NOW)
    [row] = store.rows(service.engine)
    result = {"contacts": [{"pseudonym": row.holder, "place": "site", "start": NOW, "end": NOW + 600, "minutes": 10,
                            "entry_gate": "g1", "exit_gate": None}]}
    lines = service.trace_csv("lan", ["tracer"], matches_from_trace(result), NOW)[3:].decode().split("\r\n")
    assert lines[1].startswith(f"{people[0].name},{people[0].birth.isoformat()},{people[0].phone},{people[0].number},")
    assert lines[1].endswith(",g1")


def test_declarations_are_purged_after_the_retention_period(service, people):
    service.declare(validate(form_of(people[0]), DEFAULT_QUESTIONS, TODAY)[0], NOW)
    service.declare(validate(form_of(people[1]), DEFAULT_QUESTIONS, TODAY)[0], NOW + 2 * 86400)
    assert service.purge(NOW + 21 * 86400) == 0
    assert service.purge(NOW + 21 * 86400 + 1) == 1
    assert len(store.rows(service.engine)) == 1


def test_a_row_box_copied_to_another_row_does_not_open(service, people):
    from qrgate.server.declaration.contacts import ContactBoxError

    for p in people[:2]:
        service.declare(validate(form_of(p), DEFAULT_QUESTIONS, TODAY)[0], NOW)
    a, b = store.rows(service.engine)
    with pytest.raises(ContactBoxError):
        service.box.open(a.sealed, b.binding)


# -- the guard's desk ------------------------------------------------------------------------------

class _Session:
    guard = "an"


def _desk_client(service, trust):
    desk = GuardDesk(service, trust, lambda request: (_Session(), None), clock=lambda: NOW)
    return desk, TestClient(Starlette(routes=desk.routes()))


def test_the_guard_declares_for_a_visitor_from_the_card_and_prints_the_pass(service, people, trust):
    trust.pseudonym_key = service.site_secret
    desk, client = _desk_client(service, trust)
    person = people[3]
    r = client.post("/console/api/declaration", json={"card": cccd_text(person), "phone": person.phone,
                                                      "answers": {"fever": "no", "cough": "no", "contact": "no"},
                                                      "consent": True})
    answer = r.json()
    assert r.status_code == 200 and answer["passed"], answer
    sheet = client.get(answer["sheet"])
    assert sheet.headers["content-type"] == "image/png"
    codes = Decoder().decode(__import__("numpy").asarray(Image.open(__import__("io").BytesIO(sheet.content))
                                                         .convert("L")), still=True)
    assert any(native.verify(c.text, trust, NOW).valid for c in codes)
    [row] = service.guard_report(TODAY.isoformat())
    assert (row["guard"], row["outcome"], row["pass_id"]) == ("an", "pass", answer["pass_id"])
    assert person.name not in json.dumps(row) and person.number not in json.dumps(row)
    assert service.day_counts(TODAY.isoformat()) == {"phone_pass": 0, "phone_refused": 0, "guard_pass": 1,
                                                     "guard_refused": 0}


def test_the_guard_desk_takes_the_last_card_the_gate_read_and_refuses_without_one(service, people, trust):
    trust.pseudonym_key = service.site_secret
    desk, client = _desk_client(service, trust)
    person = people[4]
    body = {"phone": person.phone, "answers": {"fever": "yes", "cough": "no", "contact": "no"}, "consent": True}
    r = client.post("/console/api/declaration", json=body)
    assert r.status_code == 400 and "scan the visitor's CCCD" in r.json()["error"]
    outcome = type("O", (), {"verification": cccd.verify(cccd_text(person), trust, NOW),
                             "scan": Scan(cccd_text(person), "g1", Direction.ENTRY, NOW - 10)})()
    desk.on_outcome(outcome)
    answer = client.post("/console/api/declaration", json=body).json()
    assert answer["ok"] and not answer["passed"] and answer["reasons"] == ["fever"]
    assert "bảo vệ" in answer["todo"]["vi"] and "guard" in answer["todo"]["en"]
    bad = client.post("/console/api/declaration", json={**body, "card": "001|x|y"}).json()
    assert "not accepted" in bad["error"]


# -- the visitor's form over HTTP -------------------------------------------------------------------

def _client(service, clock=lambda: NOW):
    from qrgate.server.declaration.web import DeclarationSite

    return TestClient(DeclarationSite(service, clock).app())


def test_the_form_without_javascript_gives_the_pass_page(service, people):
    client = _client(service)
    page = client.get("/?lang=en")
    assert page.status_code == 200 and "Health declaration" in page.text and "21 days" in page.text
    r = client.post("/", data={**form_of(people[0]), "lang": "en"})
    assert r.status_code == 200 and "Day pass" in r.text and 'download="day-pass-2026-11-30.png"' in r.text
    image = re.search(r'id="pass" alt="Day pass" src="(pass/[0-9a-f]{12}-[0-9a-f]{16}\.png)"', r.text).group(1)
    png = client.get("/" + image)
    assert png.headers["content-type"] == "image/png"
    [code] = Decoder().decode(np.asarray(Image.open(io.BytesIO(png.content)).convert("L")), still=True)
    assert code.text.startswith("QG1:")
    forged = image[:-5] + ("0" if image[-5] != "0" else "1") + image[-4:]
    assert client.get("/" + forged).status_code == 404
    assert client.get("/pass/../form.css.png").status_code == 404
    assert "style-src 'self'" in r.headers["content-security-policy"] and "<style" not in r.text


def test_hostile_input_is_escaped_and_named(service, people):
    client = _client(service)
    evil = '<script>alert(1)</script>"'
    r = client.post("/", data=form_of(people[0], name=evil, phone=evil))
    assert r.status_code == 422
    assert "<script>" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;&quot;" in r.text
    assert "Họ và tên chỉ gồm chữ cái" in r.text and r.headers["content-security-policy"].startswith("default-src")
    assert client.post("/", content=b"\xff\xfe=\x00", headers={"content-type": "application/x-www-form-urlencoded"}
                       ).status_code == 400
    assert client.post("/api/declarations", content=b"[1,2]").json()["error"] == "bad_request"
    assert client.post("/api/declarations", content=b"{\"name\": 5}").status_code == 400
    unknown = client.post("/api/declarations", json={**form_of(people[0]), "<x>": "1"})
    assert (unknown.status_code, unknown.json()["error"]) == (400, "unknown_field")


def test_bodies_are_size_limited(service):
    client = _client(service)
    r = client.post("/", content=b"name=" + b"a" * 9000, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and "quá lớn" in r.text


def test_submissions_are_rate_limited_per_address_and_per_phone(tmp_path, keys, people):
    service = make_service(tmp_path, keys, per_address_per_minute=3, per_phone_per_day=2)
    clock = [NOW]
    client = _client(service, lambda: clock[0])
    statuses = [client.post("/", data={"name": ""}).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    clock[0] += 60
    same_phone = [client.post("/api/declarations", json=form_of(p, phone=people[0].phone)).status_code
                  for p in people[:3]]
    assert same_phone == [200, 200, 429]


def test_the_api_answers_the_refusal_with_its_reasons_in_the_visitors_language(service, people):
    client = _client(service)
    r = client.post("/api/declarations", json={**form_of(people[0], q_cough="yes"), "lang": "en"})
    assert r.json() == {"outcome": "refused", "reasons": ["cough"],
                        "message": "Please do not enter. See the guard or the health staff at the gate for what to do."}
    page = client.post("/", data={**form_of(people[1], q_contact="yes"), "lang": "vi"})
    assert "Chưa thể vào" in page.text and 'data-reason="contact"' in page.text


# -- the venue QR poster ---------------------------------------------------------------------------

def test_venue_qr_is_at_least_15_cm_and_points_to_the_form(tmp_path, capsys):
    png = tmp_path / "venue.png"
    url = "https://site.example.vn/declare/"
    assert main(["venue", "qr", "--png", str(png), "--url", url, "--name", "Chợ Bến Thành", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    image = Image.open(png)
    dpi = round(image.info["dpi"][0])
    assert dpi == 300 and info["url"] == url
    [code] = Decoder().decode(load_gray(str(png)), still=True)
    assert code.text == url
    xs = [x for x, _y in code.corners]
    ys = [y for _x, y in code.corners]
    assert (max(xs) - min(xs)) / dpi * 2.54 >= QR_CM and (max(ys) - min(ys)) / dpi * 2.54 >= QR_CM


def test_venue_qr_takes_the_address_from_the_server_config_or_says_what_is_missing(tmp_path, capsys):
    config = tmp_path / "site.toml"
    config.write_text('[http]\nhost = "127.0.0.1"\n')
    assert main(["venue", "qr", "--png", str(tmp_path / "a.png"), "--config", str(config)]) == 2
    assert "set [declaration] page_url" in capsys.readouterr().err
    config.write_text('[http]\nhost = "10.0.0.5"\nport = 8470\n[declaration]\nvenue_name = "Kho A"\n')
    assert main(["venue", "qr", "--png", str(tmp_path / "a.png"), "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["url"] == "http://10.0.0.5:8470/declare/"
    assert main(["venue", "qr", "--png", str(tmp_path / "a.png"), "--config", str(tmp_path / "none.toml")]) == 2
    assert "no such config file" in capsys.readouterr().err


def test_settings_refuse_unknown_keys_and_duplicate_questions():
    with pytest.raises(ValueError):
        DeclarationSettings(retention=3)
    with pytest.raises(ValueError, match="unique"):
        DeclarationSettings(questions=[DEFAULT_QUESTIONS[0], DEFAULT_QUESTIONS[0]])


def test_the_form_purges_rows_past_retention_as_it_is_used(service, people):
    service.declare(validate(form_of(people[0]), DEFAULT_QUESTIONS, TODAY)[0], NOW - 22 * 86400)
    assert len(store.rows(service.engine)) == 1
    _client(service).post("/api/declarations", json=form_of(people[1]))
    assert [r.declared_at for r in store.rows(service.engine)] == [NOW]


def test_the_desk_page_is_for_a_logged_in_guard_and_escapes_the_questions(tmp_path, keys, trust):
    from starlette.responses import JSONResponse as _Json

    questions = [DEFAULT_QUESTIONS[0].model_copy(update={"vi": "<b>Sốt?</b>"})]
    service = make_service(tmp_path, keys, questions=questions)
    desk, client = _desk_client(service, trust)
    page = client.get("/console/declare")
    assert page.status_code == 200 and "&lt;b&gt;Sốt?&lt;/b&gt;" in page.text and "<b>" not in page.text
    assert 'src="/console/declare.js"' in page.text and "<script>" not in page.text  # the console's CSP: no inline
    assert "X-CSRF-Token" in client.get("/console/declare.js").text
    outsider = GuardDesk(service, trust, lambda request: (None, _Json({"error": "log in first"}, 401)))
    anonymous = TestClient(Starlette(routes=outsider.routes()))
    assert anonymous.get("/console/declare", follow_redirects=False).headers["location"] == "/console/login"
    assert anonymous.post("/console/api/declaration", json={}).status_code == 401
