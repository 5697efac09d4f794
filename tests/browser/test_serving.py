"""Serving the dashboards: the home page, what is served, kernels freed when tabs close.

Headless Chromium against Voila started as ``make dashboard`` starts it (the
``voila_server`` fixture), every outside request aborted.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import psutil
import pytest

from simsrc.ui.serving import DASHBOARDS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXECUTIVE = "executive_dashboard.ipynb"


def kernels(pid: int) -> list[psutil.Process]:
    """The running kernels of the Voila server ``pid`` (not those exiting as we look)."""
    out = []
    for p in psutil.Process(pid).children(recursive=True):
        try:
            if p.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.Error:
            continue
    return out


def test_home_page_lists_each_dashboard_with_its_question_and_links_to_it(page, voila_url):
    page.goto(voila_url + "/")
    cards = page.locator("a.card")
    assert cards.count() == len(DASHBOARDS)
    for name, (title, question) in DASHBOARDS.items():
        card = page.locator(f'a.card[data-dashboard="{name}"]')
        assert card.locator(".title").inner_text() == title
        assert card.locator(".question").inner_text() == question
    assert page.locator("text=Lessons and workbooks").count() == 0  # not served by default
    with page.context.expect_page() as opened:
        page.locator(f'a.card[data-dashboard="{EXECUTIVE}"]').click()
    dashboard = opened.value
    dashboard.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith(voila_url) else r.abort()
    )
    dashboard.wait_for_selector("[data-kpi] .sx-card-value", timeout=180_000)
    assert page.external == []  # the home page asks nothing of the outside world


def test_lessons_are_not_served_unless_asked_for(voila_url):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{voila_url}/voila/render/01_retention_vs_acquisition.ipynb")
    assert err.value.code == 404


def test_five_visitors_at_once_all_get_the_dashboard(browser, voila_server):
    """The fixture pre-starts one kernel: the other four wait for theirs, told so."""
    url = voila_server.url
    context = browser.new_context()
    context.add_init_script(  # remember whether the starting message was ever shown
        "new MutationObserver(() => { if (document.querySelector('h2.sx-starting'))"
        " window.sawStarting = true; }).observe(document, {childList: true, subtree: true});"
    )
    tabs = []
    for _ in range(5):
        tab = context.new_page()
        tab.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
        tab.goto(f"{url}/voila/render/{EXECUTIVE}", wait_until="commit")
        tabs.append(tab)
    for tab in tabs:
        tab.wait_for_selector("[data-kpi] .sx-card-value", timeout=300_000)
        revenue = tab.locator('[data-kpi="total_revenue"] .sx-card-value').inner_text()
        assert revenue == "$255M"
        assert tab.locator("h2.sx-starting").count() == 0
    waited = [bool(tab.evaluate("window.sawStarting === true")) for tab in tabs]
    assert sum(waited) >= 3, waited  # one pre-started kernel, maybe a second refilled
    for tab in tabs:
        tab.close(run_before_unload=True)
    context.close()


def test_closing_a_tab_frees_its_kernel(browser, voila_server):
    url = voila_server.url
    context = browser.new_context()
    tabs = []
    for _ in range(2):
        tab = context.new_page()
        tab.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
        tab.goto(f"{url}/voila/render/{EXECUTIVE}")
        tabs.append(tab)
    for tab in tabs:
        tab.wait_for_selector("[data-kpi] .sx-card-value", timeout=180_000)
    in_use = {k.pid for k in kernels(voila_server.pid)}
    assert len(in_use) >= 2
    for tab in tabs:
        tab.close(run_before_unload=True)  # the page's shutdown beacon, as when a person closes it
    start = time.monotonic()
    freed_by_beacon = False
    while time.monotonic() < start + 75:
        left = {k.pid for k in kernels(voila_server.pid)}
        gone = len(in_use - left)
        freed_by_beacon |= gone >= 1 and time.monotonic() < start + 30
        if gone >= 2:
            break
        time.sleep(0.5)
    # A beacon frees its tab's kernel long before the idle culler (45 s, checked every
    # 10 s) could act; about one beacon in ten never arrives (serving.CULL_IDLE_SECONDS),
    # and the culler frees that kernel within a minute.
    assert freed_by_beacon, f"no kernel freed within 30 s: {sorted(in_use & left)}"
    assert len(in_use - left) >= 2, f"kernels still running: {sorted(in_use & left)}"
    context.close()


@pytest.mark.parametrize("notebook", [EXECUTIVE, "offer_mix_dashboard.ipynb"])
def test_no_sideways_scrolling_from_tablet_to_wide_screen(page, voila_url, notebook):
    page.set_viewport_size({"width": 768, "height": 1000})
    page.goto(f"{voila_url}/voila/render/{notebook}")
    page.wait_for_selector("[data-kpi] .sx-card-value", timeout=180_000)
    for width in (768, 1280, 1920):
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(300)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        for card in page.locator(".sx-card").all():  # every card whole on the screen
            box = card.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        card = ".sx-chart-card"  # the charts are zoomed to fit their card, never scrolled
        assert page.evaluate(
            f"(c => c.scrollWidth <= c.clientWidth)(document.querySelector('{card}'))"
        ), width
        toolbar = page.locator(".sx-toolbar .jupyter-button").last.bounding_box()
        assert toolbar is not None and toolbar["x"] + toolbar["width"] <= width
