"""The dashboards in a real browser: what a person sees after what a person does.

Each test opens a dashboard served by Voila in headless Chromium with every outside
request aborted, acts on it (keyboard on a slider, clicks, a file upload) and checks the
KPI text against the Python API for the same scenario, formatted with simsrc.model.units,
and that the charts redraw.
"""

from __future__ import annotations

import re

import pypdf
import pytest

import simsrc
from simsrc.model.units import format_value
from simsrc.ui.dashboard.values import build_what_if, whole_percents

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXECUTIVE = "executive_dashboard.ipynb"
OFFER_MIX = "offer_mix_dashboard.ipynb"
CARDS = ("total_revenue", "npv", "ending_active", "ending_mrr", "clv_per_customer",
         "total_retention_cost", "retention_roi")  # fmt: skip
# The only outside requests a page makes: Voila's page template links Font Awesome from a
# CDN (icons only; the dashboards use none). Everything the dashboards need is local.
VOILA_TEMPLATE_CDN = re.compile(r"^https://cdn\.jsdelivr\.net/npm/@fortawesome/")


def expected_text(scenario, key):
    return format_value(simsrc.simulate(scenario).kpis[key], simsrc.KPI_INFO[key][1])


def open_dashboard(page, url, notebook):
    page.goto(f"{url}/voila/render/{notebook}")
    page.wait_for_selector(".sx-chart svg .role-mark", state="attached")
    page.wait_for_selector("[data-kpi] .sx-card-value")


def kpi(page, key):
    return page.locator(f'[data-kpi="{key}"] .sx-card-value')


def mark_selector(view):
    """A view's marks: Vega names them <view>_marks, or <view>_layer_<i>_marks if layered."""
    return f".sx-chart svg .{view}_marks path, .sx-chart svg [class*='{view}_layer_'] path"


def marks(page, view):
    return page.eval_on_selector_all(
        mark_selector(view), "els => els.map(e => e.getAttribute('d'))"
    )


def wait_for_redraw(page, view, before):
    page.wait_for_function(
        """([selector, before]) => {
            const now = [...document.querySelectorAll(selector)].map(e => e.getAttribute('d'));
            return now.length > 0 && JSON.stringify(now) !== JSON.stringify(before);
        }""",
        arg=[mark_selector(view), before],
    )


def upload(page, path):
    """Choose a file with the upload button, as a person would."""
    with page.expect_file_chooser() as chooser:
        page.locator(".sx-upload").first.click()
    chooser.value.set_files(str(path))


def assert_offline(page):
    outside = [u for u in page.external if not VOILA_TEMPLATE_CDN.match(u)]
    assert outside == [], f"requests outside 127.0.0.1: {outside}"
    assert not [e for e in page.console_errors if "Could not create a view" in e]


def test_executive_dashboard_renders_offline(page, voila_url):
    open_dashboard(page, voila_url, EXECUTIVE)
    base = simsrc.preset("b2b-saas")
    for key in CARDS:
        assert kpi(page, key).inner_text() == expected_text(base, key), key
    for view in ("revenue", "customers", "churn", "survival", "per_customer", "waterfall"):
        assert marks(page, view), f"chart {view} drew nothing"
    assert page.locator(".sx-chart svg").count() == 1  # one composed chart, one JS bundle
    titles = page.eval_on_selector_all(
        ".sx-chart svg .role-title-text text", "els => els.map(e => e.textContent)"
    )
    assert "What each retention lever adds to NPV" in titles
    assert_offline(page)


def test_churn_slider_and_halve_churn(page, voila_url):
    open_dashboard(page, voila_url, EXECUTIVE)
    base = simsrc.preset("b2b-saas")
    control = page.locator(".sx-control-churn-onboarding")
    before = marks(page, "customers")
    control.locator(".noUi-handle").focus()
    for _ in range(4):  # four steps of 0.05 down, as a person would with the keyboard
        page.keyboard.press("ArrowLeft")
    factor = float(control.locator(".widget-readout").inner_text())
    assert factor == pytest.approx(0.8)
    what_if = base.scale_churn(factor, cause="onboarding")
    for key in CARDS:
        expected = expected_text(what_if, key)
        page.wait_for_function(
            '([k, t]) => document.querySelector(`[data-kpi="${k}"] .sx-card-value`)'
            "?.innerText === t",
            arg=[key, expected],
        )
    wait_for_redraw(page, "customers", before)

    before = marks(page, "revenue")
    page.locator(".sx-halve button, button.sx-halve").first.click()
    halved = base.halve_churn()
    page.wait_for_function(
        "t => document.querySelector('[data-kpi=\"total_revenue\"] .sx-card-value')"
        "?.innerText === t",
        arg=expected_text(halved, "total_revenue"),
    )
    assert kpi(page, "total_revenue").inner_text() == "$282M"
    for key in CARDS:
        assert kpi(page, key).inner_text() == expected_text(halved, key), key
    wait_for_redraw(page, "revenue", before)
    assert control.locator(".widget-readout").inner_text() == "0.50"
    assert_offline(page)


def test_uncertainty_band(page, voila_url):
    from simsrc.analysis.sensitivity import monte_carlo

    open_dashboard(page, voila_url, EXECUTIVE)
    band = ".sx-chart svg .revenue_layer_0_marks path"
    assert page.eval_on_selector_all(band, "els => els.map(e => e.getAttribute('d'))") in (
        [], [None], [""])  # fmt: skip
    page.locator(".sx-band-toggle button", has_text="On").click()
    note = page.locator(".sx-band-range")
    note.wait_for()
    mc = monte_carlo(simsrc.preset("b2b-saas"), n=100, seed=0)  # the dashboard's draws
    q = mc.kpi_bands.loc["total_revenue"]
    expected = f"{format_value(q['p10'], 'currency')} – {format_value(q['p90'], 'currency')}"
    assert note.inner_text() == expected
    page.wait_for_function(
        "sel => [...document.querySelectorAll(sel)].some(e => (e.getAttribute('d') || '')"
        ".length > 20)",
        arg=band,
    )
    assert_offline(page)


def test_bad_scenario_file_shows_a_message_and_the_kernel_carries_on(page, voila_url, tmp_path):
    open_dashboard(page, voila_url, EXECUTIVE)
    bad = tmp_path / "broken.toml"
    bad.write_text('schema_version = 2\nname = "broken"\nhorizon_months = "soon"\n[[[')
    upload(page, bad)
    alert = page.locator(".sx-message [role=alert]")
    alert.wait_for()
    assert "broken.toml: not valid TOML" in alert.inner_text()
    assert "Traceback" not in page.locator(".sx-app").inner_text()
    assert kpi(page, "total_revenue").inner_text() == "$255M"  # the baseline stays

    # the kernel is alive: a control still works, and a good value clears the message
    control = page.locator(".sx-control-churn-onboarding")
    control.locator(".noUi-handle").focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    factor = float(control.locator(".widget-readout").inner_text())
    expected = expected_text(
        simsrc.preset("b2b-saas").scale_churn(factor, cause="onboarding"), "total_revenue"
    )
    assert expected != "$255M"
    page.wait_for_function(
        "t => document.querySelector('[data-kpi=\"total_revenue\"] .sx-card-value')"
        "?.innerText === t",
        arg=expected,
    )
    assert page.locator(".sx-message [role=alert]").count() == 0

    good = tmp_path / "telecom.toml"
    simsrc.save_scenario(simsrc.preset("telecom"), good)
    upload(page, good)
    page.wait_for_function(
        "t => document.querySelector('[data-kpi=\"total_revenue\"] .sx-card-value')"
        "?.innerText === t",
        arg=expected_text(simsrc.preset("telecom"), "total_revenue"),
    )
    note = page.locator(".sx-message [role=status]")
    note.wait_for()
    assert "Loaded telecom.toml" in note.inner_text()
    assert_offline(page)


def halve_churn(page):
    """Press Halve churn and wait for the revenue card to show it."""
    page.locator(".sx-halve button, button.sx-halve").first.click()
    page.wait_for_function(
        "() => document.querySelector('[data-kpi=\"total_revenue\"] .sx-card-value')"
        "?.innerText === '$282M'"
    )


def test_download_scenario_and_results(page, voila_url):
    open_dashboard(page, voila_url, EXECUTIVE)
    halve_churn(page)
    with page.expect_download() as info:
        page.locator(".sx-download-scenario button").click()
    path = info.value.path()
    assert info.value.suggested_filename == "b2b-saas-what-if.toml"
    what_if = simsrc.load_scenario(path)
    assert what_if.replace(name="x") == simsrc.preset("b2b-saas").halve_churn().replace(name="x")
    with page.expect_download() as info:
        page.locator(".sx-download-results button").click()
    text = open(info.value.path(), encoding="utf-8").read()
    assert text.startswith("scenario,scenario_name,month,")
    assert len(text.splitlines()) == 1 + 2 * 60


def test_board_page_pdf_carries_the_apis_figures(page, voila_url):
    open_dashboard(page, voila_url, EXECUTIVE)
    halve_churn(page)
    with page.expect_download() as info:
        page.locator(".sx-download-pdf button").click()
    assert info.value.suggested_filename == "b2b-saas-board.pdf"
    reader = pypdf.PdfReader(info.value.path())
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    halved = simsrc.preset("b2b-saas").halve_churn()
    for key in ("total_revenue", "npv", "avg_monthly_churn", "ending_active"):
        assert expected_text(halved, key) in text, key
    assert "Poor service churn ×0.5" in text and "preset b2b-saas" in text
    with page.expect_download() as info:
        page.locator(".sx-download-png button").click()
    assert info.value.suggested_filename == "b2b-saas-board.png"
    assert open(info.value.path(), "rb").read(4) == b"\x89PNG"
    assert page.locator(".sx-download-pdf button").is_enabled()  # released after the file


def test_offer_mix_dashboard(page, voila_url):
    open_dashboard(page, voila_url, OFFER_MIX)
    base = simsrc.preset("b2b-saas")
    assert kpi(page, "save_rate").inner_text() == expected_text(base, "save_rate")
    page.locator(".sx-mix-reason select").select_option(label="Price or competitor")
    slider = page.locator(".sx-mix-discount")
    page.wait_for_function(
        "() => document.querySelector('.sx-mix-discount .widget-readout')?.innerText === '50%'"
    )
    before = marks(page, "saves")
    slider.locator(".noUi-handle").focus()
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    share = float(slider.locator(".widget-readout").inner_text().rstrip("%")) / 100
    assert share == pytest.approx(0.45)
    what_if = base.set("save_team.mix.price_competitor.discount", share)
    for key in ("save_rate", "cost_per_save", "npv"):
        page.wait_for_function(
            '([k, t]) => document.querySelector(`[data-kpi="${k}"] .sx-card-value`)'
            "?.innerText === t",
            arg=[key, expected_text(what_if, key)],
        )
    wait_for_redraw(page, "saves", before)

    page.locator(".sx-search button, button.sx-search").first.click()
    best = page.locator(".sx-best-npv")
    best.wait_for()
    from simsrc.analysis.optimize import optimize_offer_mix

    # the dashboard's search is the package's optimiser, with the dashboard's settings;
    # it shows the NPV of the found mix in whole percents, as "Use this mix" applies it
    found = optimize_offer_mix(what_if, maxiter=40)
    rounded = {}
    for cause in found.mix.index:
        shares = whole_percents({o: float(found.mix.loc[cause, o]) for o in found.mix.columns})
        rounded |= {f"save_team.mix.{cause}.{o}": share for o, share in shares.items()}
    applied = build_what_if(what_if, rounded)
    assert best.inner_text() == expected_text(applied, "npv")
    assert_offline(page)


def test_an_over_full_offer_mix_is_refused_in_plain_words(page, voila_url):
    open_dashboard(page, voila_url, OFFER_MIX)
    page.locator(".sx-mix-reason select").select_option(label="Price or competitor")
    readout = "document.querySelector('.sx-mix-discount .widget-readout')?.innerText"
    page.wait_for_function(f"() => {readout} === '50%'")  # with 50 % of other offers: full
    page.locator(".sx-mix-discount .noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    alert = page.locator(".sx-message [role=alert]")
    alert.wait_for()
    assert alert.inner_text() == (
        "⚠ Offer mix for price or competitor: offer shares for one cause must sum to at "
        "most 100% (got 101%)"
    )
    page.wait_for_function(f"() => {readout} === '50%'")  # the slider goes back


def test_switching_preset_carries_the_what_if_over_and_reset_restores_it(page, voila_url):
    open_dashboard(page, voila_url, EXECUTIVE)
    halve_churn(page)
    page.locator(".sx-preset select").select_option("telecom")
    note = page.locator(".sx-message [role=status]")
    note.wait_for()
    assert note.inner_text().startswith("Your what-if was carried over to telecom")
    telecom = simsrc.preset("telecom")
    page.wait_for_function(
        "t => document.querySelector('[data-kpi=\"npv\"] .sx-card-value')?.innerText === t",
        arg=expected_text(telecom.halve_churn(), "npv"),
    )
    page.locator(".sx-reset button, button.sx-reset").first.click()
    page.wait_for_function(
        "t => document.querySelector('[data-kpi=\"npv\"] .sx-card-value')?.innerText === t",
        arg=expected_text(telecom, "npv"),
    )
    assert "preset=telecom" in page.url


def test_a_shared_link_opens_the_same_what_if(page, voila_url):
    open_dashboard(page, voila_url, EXECUTIVE)
    control = page.locator(".sx-control-churn-onboarding")
    control.locator(".noUi-handle").focus()
    for _ in range(6):  # 1.00 → 0.70
        page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => location.search.includes('churn.onboarding=0.7')")
    link = page.url
    assert "preset=b2b-saas" in link
    what_if = simsrc.preset("b2b-saas").scale_churn(0.7, cause="onboarding")
    page.wait_for_function(
        "t => document.querySelector('[data-kpi=\"npv\"] .sx-card-value')?.innerText === t",
        arg=expected_text(what_if, "npv"),
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.locator(".sx-copy-link").click()
    page.wait_for_function(
        "() => document.querySelector('.sx-copy-link').innerText === 'Link copied'"
    )
    assert page.evaluate("navigator.clipboard.readText()") == link

    other = page.context.new_page()  # a colleague opens the link
    other.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith(voila_url) else r.abort()
    )
    other.goto(link)
    other.wait_for_selector("[data-kpi] .sx-card-value", timeout=180_000)
    other.wait_for_function(
        "() => document.querySelector('.sx-control-churn-onboarding .widget-readout')"
        "?.innerText === '0.70'"
    )
    for key in CARDS:
        other.wait_for_function(
            '([k, t]) => document.querySelector(`[data-kpi="${k}"] .sx-card-value`)'
            "?.innerText === t",
            arg=[key, expected_text(what_if, key)],
        )
    assert other.url == link
    other.close()
    assert_offline(page)
