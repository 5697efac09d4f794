"""The board page: one PDF page and a PNG whose figures are the API's, the what-if's
changes in words (never a dotted path), and a download that fails without locking up."""

from __future__ import annotations

import datetime as dt
import io
import re

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simsrc
from simsrc.model.units import format_value
from simsrc.results.kpis import KPI_INFO
from simsrc.ui.dashboard import EXECUTIVE_KPIS, ExecutiveDashboard, OfferMixDashboard
from simsrc.ui.dashboard.download import DownloadButton
from simsrc.ui.dashboard.values import change_lines, check_control
from tests.strategies import control_values


@pytest.fixture(scope="module")
def halved():
    d = ExecutiveDashboard("b2b-saas")
    d.halve_churn()
    d.set_control("dunning.channel", "sms")
    return d


def pdf_text(content: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return len(reader.pages), " ".join(p.extract_text() for p in reader.pages)


def test_the_pdf_is_one_page_with_the_apis_figures(halved):
    name, mime, content = halved.board_pdf_file()
    assert (name, mime) == ("b2b-saas-board.pdf", "application/pdf")
    assert isinstance(content, bytes) and content.startswith(b"%PDF")
    pages, text = pdf_text(content)
    assert pages == 1
    base = simsrc.preset("b2b-saas")
    what_if = base.halve_churn().set("dunning.channel", "sms")
    table = simsrc.compare(base, what_if)
    for key in EXECUTIVE_KPIS:
        unit = KPI_INFO[key][1]
        for column in table.columns[2:4]:  # baseline, what-if
            figure = format_value(float(table.loc[key, column]), unit)
            assert figure in text, (key, figure)
    assert "Poor service churn ×0.5" in text
    assert "Channel of dunning: Email → SMS" in text
    assert "preset b2b-saas" in text and f"{dt.date.today():%-d %B %Y}" in text
    assert "Customers build up slowly" in text


def test_the_png_is_a_picture_of_the_same_page(halved):
    name, mime, content = halved.board_png_file()
    assert (name, mime) == ("b2b-saas-board.png", "image/png")
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    assert width > 2000 and 1.3 < width / height < 2.2  # 2× scale, a landscape page


def test_the_page_is_dated_and_names_an_upload():
    d = ExecutiveDashboard(simsrc.preset("telecom").replace(name="Our telecom"))
    spec = d.board_page(today=dt.date(2027, 1, 31)).to_dict()
    assert spec["title"]["text"] == "Our telecom: what-if against baseline"
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "uploaded scenario" in subtitle and "31 January 2027" in subtitle
    texts = [r["text"] for c in spec["vconcat"][0]["hconcat"] for r in c["data"]["values"]]
    assert "• Nothing: the what-if is the baseline." in texts
    assert "Total revenue" in texts and "Change" in texts


def test_offer_mix_page_shows_its_own_cards():
    d = OfferMixDashboard("b2b-saas")
    d.set_control("save_team.coverage", 0.5)
    _, text = pdf_text(d.board_pdf_file()[2])
    assert "Save-team coverage: 80% → 50%" in text
    assert "Margin kept" in text and "Given away" in text
    assert d.kpi_text("npv") in text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_changes_are_in_words_never_paths(halved, data):
    base = halved.baseline_values
    values = {k: check_control(k, v) for k, v in data.draw(control_values(base)).items()}
    moved = {k: (base[k], v) for k, v in values.items() if v != base[k]}
    lines = change_lines(moved, halved.baseline)
    assert len(lines) == len(moved)
    for line in lines:
        assert not re.search(r"\b[a-z_]+\.[a-z_]+", line), line  # no save_team.coverage
        assert not re.search(r"\de[+-]?\d", line), line  # no 1e-05


def test_a_failing_download_releases_its_button_and_says_why(halved):
    messages, problems = [], []

    def broken():
        raise simsrc.ScenarioError("save_team.coverage", "must be at most 1 (got 2)")

    button = DownloadButton("Board page (PDF)", broken, on_error=problems.append)
    button.send = lambda content, buffers=None: messages.append((content, buffers))
    button._on_message(None, {"event": "download"}, [])
    assert messages == [({"event": "failed"}, None)]
    assert isinstance(problems[0], simsrc.ScenarioError)
    halved._download_failed(problems[0])
    assert "Save-team coverage: must be at most 1" in halved.message.value
    assert "save_team" not in halved.message.value


def test_bytes_travel_as_a_buffer(halved):
    sent = []
    halved.download_png.send = lambda content, buffers=None: sent.append((content, buffers))
    halved.download_png._on_message(None, {"event": "download"}, [])
    ((content, buffers),) = sent
    assert content == {"event": "file", "filename": "b2b-saas-board.png", "mime": "image/png"}
    assert buffers[0][:4] == b"\x89PNG"
