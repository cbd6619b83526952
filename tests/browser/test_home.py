"""The home page in a real browser, on the phone it is designed for.

Layout checks measure the rendered page: no horizontal scroll and no clipped text at
360 CSS pixels and at 200% zoom. Keyboard, the language switch without JavaScript,
axe-core, third-party requests and page weight follow.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.factories import OfficeFactory

# 200% zoom halves the CSS viewport: a 360 px screen shows 180 CSS pixels, and layout
# (media queries, wrapping, flex) responds to that width alone. device_scale_factor=2
# keeps the 360 device pixels of the screen, so screenshots look like the phone; on its
# own it would change nothing in the layout, so it cannot stand in for zoom.
PHONE_AT_200 = {"viewport": {"width": 180, "height": 370}, "device_scale_factor": 2}
PAGE_WEIGHT_LIMIT = 50_000  # bytes of HTML, CSS and JavaScript, headers included
WEIGHED_TYPES = {"document", "stylesheet", "script"}

LAYOUT = """() => ({
    innerWidth: window.innerWidth,
    clientWidth: document.documentElement.clientWidth,
    scrollWidth: document.documentElement.scrollWidth,
})"""

# Text whose box pokes out of the viewport, or out of an ancestor that clips or scrolls
# its overflow. Text moved wholly off to the left is hidden on purpose (the skip link
# until it has focus); options of a closed select have no boxes.
CLIPPED_TEXT = """() => {
    const viewportWidth = document.documentElement.clientWidth;
    const clipped = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent.trim();
        if (!text || node.parentElement.closest("script, style, template, select")) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const boxes = [...range.getClientRects()].filter((r) => r.width && r.height);
        const cut = boxes.some((r) => {
            if (r.right <= 0) return false;
            if (r.left < -0.5 || r.right > viewportWidth + 0.5) return true;
            for (let el = node.parentElement; el !== document.body; el = el.parentElement) {
                const style = getComputedStyle(el);
                const box = el.getBoundingClientRect();
                if (style.overflowX !== "visible"
                    && (r.left < box.left - 0.5 || r.right > box.right + 0.5)) return true;
                if (style.overflowY !== "visible"
                    && (r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)) return true;
            }
            return false;
        });
        if (cut) clipped.push(text.slice(0, 60));
    }
    return clipped;
}"""

FOCUS = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return {
        html: el.outerHTML.slice(0, 80),
        outline: style.outlineStyle !== "none" ? parseFloat(style.outlineWidth) : 0,
        outlineColor: style.outlineColor,
        pageColor: getComputedStyle(document.body).backgroundColor,
        boxShadow: style.boxShadow,
        inView: box.left >= 0 && box.top >= 0
            && box.right <= window.innerWidth && box.bottom <= window.innerHeight,
    };
}"""

# Keyboard order of the header: skip link, the site name (a link home), the language
# select and its button, the sign-in link.
TAB_ORDER = [
    "a.skip[href='#main']",
    "header a[href='/']",
    "select#language-select",
    "form.language button[type=submit]",
    "header a.account[href='/accounts/login/']",
]


@pytest.fixture
def home_content(office, topic) -> None:
    """Two offices, one with a long name, address and opening hours, and an area of law."""
    OfficeFactory(
        name="湖南省某某县某某镇司法所（人民调解委员会、公共法律服务工作站）",
        address="湖南省某某县某某镇人民路与建设路交汇处东北角便民服务中心二楼 201 室",
        opening_hours="周一至周五 8:30–12:00，14:30–17:30\n法定节假日休息",
    )


pytestmark = pytest.mark.usefixtures("home_content")


def open_home(page: Page, live_server) -> Page:
    response = page.goto(f"{live_server.url}/")
    assert response is not None and response.ok, response
    return page


def assert_fits(page: Page, width: int) -> None:
    layout = page.evaluate(LAYOUT)
    assert layout["innerWidth"] == width, f"the page was zoomed out to fit: {layout}"
    assert layout["scrollWidth"] <= layout["clientWidth"], f"horizontal scroll: {layout}"
    assert page.evaluate(CLIPPED_TEXT) == []


def test_home_fits_a_360px_phone_in_chinese(page, live_server):
    open_home(page, live_server)

    assert page.get_attribute("html", "lang") == "zh-hans"
    assert_fits(page, 360)


def test_home_fits_at_200_percent_zoom(new_page, live_server):
    page = open_home(new_page(**PHONE_AT_200), live_server)

    assert_fits(page, 180)


def test_keyboard_reaches_the_header_links_and_controls_with_visible_focus(page, live_server):
    open_home(page, live_server)

    for selector in TAB_ORDER:
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        assert page.locator(selector).evaluate("el => el === document.activeElement"), focus
        assert focus["outline"] >= 2 or focus["boxShadow"] != "none", focus
        assert focus["inView"], focus


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two CSS colours given as rgb()/rgba()."""

    def luminance(color: str) -> float:
        channels = [float(value) / 255 for value in re.findall(r"[\d.]+", color)[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted([luminance(first), luminance(second)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_focus_outline_contrasts_with_the_page(page, live_server):
    open_home(page, live_server)

    for _ in TAB_ORDER:
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        assert contrast(focus["outlineColor"], focus["pageColor"]) >= 3, focus


def test_skip_link_moves_focus_to_the_main_content(page, live_server):
    open_home(page, live_server)

    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    assert page.evaluate("document.activeElement.id") == "main"


def test_language_switches_to_english_without_javascript(new_page, live_server):
    page = open_home(new_page(java_script_enabled=False), live_server)
    assert page.get_attribute("html", "lang") == "zh-hans"

    page.select_option("#language-select", "en")
    with page.expect_navigation():
        page.click("form.language button[type=submit]")

    assert page.url == f"{live_server.url}/"
    assert page.get_attribute("html", "lang") == "en"
    assert page.input_value("#language-select") == "en"
    assert page.inner_text("h1") == "Free legal consultations at your justice office"


def test_axe_finds_no_serious_or_critical_violations(page, live_server):
    open_home(page, live_server)

    results = Axe().run(page)

    serious = [
        violation["id"]
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]
    assert serious == [], results.generate_report()


def test_home_requests_nothing_from_another_host(page, live_server, request_log):
    open_home(page, live_server)

    assert request_log.to_other_hosts() == []
    assert request_log.hosts() == {request_log.own_host}
    assert any(url.endswith(".css") for url in request_log.urls)


def test_home_weighs_under_50_kb(page, live_server):
    requests = []
    page.on("request", lambda request: requests.append(request))
    open_home(page, live_server)

    # sizes() waits for each response to finish. The test server sends files
    # uncompressed, so this is an upper bound of what WhiteNoise serves in production.
    weighed = {
        request.url: request.sizes()["responseHeadersSize"] + request.sizes()["responseBodySize"]
        for request in requests
        if request.resource_type in WEIGHED_TYPES
    }
    assert len(weighed) >= 2, weighed  # the page and its stylesheet at least
    assert sum(weighed.values()) < PAGE_WEIGHT_LIMIT, weighed


def test_the_browser_tests_notice_a_page_that_breaks_the_policy(page, live_server, request_log):
    """The guard every browser test relies on (tests/browser/conftest.py) does fire."""
    OfficeFactory()
    page.goto(live_server.url)
    assert request_log.policy_violations == []
    page.evaluate("document.body.setAttribute('style', 'color: red')")  # an inline style
    page.wait_for_timeout(200)
    assert request_log.policy_violations != []
    request_log.policy_violations.clear()  # this test broke the page on purpose
