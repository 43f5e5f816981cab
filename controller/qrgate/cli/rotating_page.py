"""A small self-contained page for a phone: it shows the rotating code of the current step.

The codes for the next N minutes are rendered here (segno SVG) and the page picks one by the
phone's clock; no script library, no network. Whoever has the page has those codes, as the
phone's holder has the pass: the page defeats screenshots, not a holder who shares the phone.
"""

from __future__ import annotations

import html
import io
import json
import math

import segno

from ..credentials import rotating
from ..errors import QrgateError

_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>qrgate pass</title>
<style>body{{font-family:sans-serif;text-align:center;margin:0;padding:1em}}#code svg{{width:90vmin;height:auto}}
#bar{{height:6px;background:#2a7;margin:.5em auto;width:90vmin}}</style></head>
<body><div id="code"></div><div id="bar"></div><p id="note">Mã đổi mỗi {step} giây / changes every {step} s
 — pass {pass_id}</p>
<script>
const STEP={step}, FIRST={first}, CODES={codes};
function show(){{
  const now=Date.now()/1000, i=Math.floor(now/STEP)-FIRST, box=document.getElementById("code");
  box.innerHTML=(i>=0&&i<CODES.length)?CODES[i]:"<p>Hết mã, xin mã mới / codes ended, ask for a new page</p>";
  document.getElementById("bar").style.width=(90*(1-(now%STEP)/STEP))+"vmin";
}}
show(); setInterval(show, 500);
</script></body></html>
"""


def write_page(path: str, payload: str, secret: bytes, now: float, minutes: float) -> int:
    first = rotating.step_of(now)
    count = max(1, math.ceil(minutes * 60 / rotating.STEP_SECONDS))
    codes = []
    for step in range(first, first + count):
        buffer = io.BytesIO()
        text = rotating.present(payload, secret, step * rotating.STEP_SECONDS)
        segno.make(text, error="m", micro=False, boost_error=False).save(buffer, kind="svg", scale=4,
                                                                          xmldecl=False, svgns=True)
        codes.append(buffer.getvalue().decode())
    from ..credentials.native import pass_id_of

    page = _PAGE.format(step=rotating.STEP_SECONDS, first=first, codes=json.dumps(codes),
                        pass_id=html.escape(pass_id_of(payload)))
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(page)
    except OSError as exc:
        raise QrgateError(f"cannot write {path}: {exc.strerror}") from None
    return count
