"""The office head's figures in a real browser, on the phone: fits, axe, charts drawn.

The phone shows a summary of the chosen week or month first and folds the tables and
charts in closed ``<details>`` (issue 15.12).
"""

import pytest

from tests.booking.test_figures import LAST_MONDAY, LAST_WEEK, THIS_WEEK, make
from tests.browser.test_booking import click
from tests.browser.test_home import PHONE_AT_200, assert_fits
from tests.browser.test_lawyer import PASSWORD, check
from tests.conftest import NOW
from tests.factories import TopicFactory, UserFactory


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


@pytest.fixture
def head(office, lawyer, topic):
    """An office admin, and last week's and this week's consultations of the office."""
    topics = {"family": topic, "labour": TopicFactory(code="labour")}
    lawyer.topics.add(topics["labour"])
    for row in LAST_WEEK + THIS_WEEK:
        make(office, lawyer, topics, row)
    head = UserFactory(
        role="office_admin",
        office=office,
        email="head@example.invalid",
        phone=None,
        phone_verified=False,
    )
    head.set_password(PASSWORD)
    head.save()
    return head


def sign_in(page, live_server, head) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next=/desk/figures/")
    page.click("details.staff summary")
    page.fill("#id_email", head.email)
    page.fill("#id_password", PASSWORD)
    click(page, "#staff-sign-in button")
    assert page.url.endswith("/desk/figures/")


def page_height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def test_the_office_head_reads_the_figures_on_the_phone(page, live_server, request_log, head):
    sign_in(page, live_server, head)
    check(page, request_log)
    # A summary of this week first, within the first screen; the rest folded, closed.
    summary = page.locator("#period")
    assert summary.locator("dl.figures-key dd").count() == 5
    box = summary.bounding_box()
    assert box["y"] + box["height"] <= 740 * 1.25  # 725 of 740 px measured
    details = page.locator("main details")
    assert details.count() == 3
    assert page.locator("main details[open]").count() == 0
    assert page_height(page) < 1500, page_height(page)  # 4,883 px unfolded before
    page.emulate_media(media="print")  # printed, the folded tables are on the paper
    assert page.locator("main details table").first.is_visible()
    page.emulate_media(media="screen")
    # This week's two upcoming consultations are both "<5": each chart says so in words.
    for index in range(details.count()):
        details.nth(index).locator("summary").click()
    assert page.locator("main details[open]").count() == 3
    hidden = page.locator("p.chart-none")
    assert hidden.count() == 4  # area, mode, channel, outcome; the trend has last week's 9
    assert all("5" in text for text in hidden.all_inner_texts())  # "… below 5 …" in words
    assert page.locator("#chart-topic-title").count() == 0
    check(page, request_log)

    click(page, f"a[href$='period={LAST_MONDAY.isoformat()}#period']")
    assert page.locator("main details[open]").count() == 0
    page.locator("main details >> nth=1").locator("summary").click()
    check(page, request_log)
    assert page.locator("svg.chart[role=img]:visible").count() == 4  # the open details
    topic_bars = page.locator("#chart-topic-title ~ rect")
    assert topic_bars.count() == 1  # family: 7; labour "<5" gets no bar
    assert topic_bars.first.bounding_box()["width"] > 100
    click(page, "a[href='?by=month']")
    check(page, request_log)


def test_the_figures_fit_at_200_percent_zoom(new_page, live_server, head):
    page = new_page(**PHONE_AT_200)
    sign_in(page, live_server, head)
    assert_fits(page, 180)
    page.goto(f"{live_server.url}/desk/figures/?by=month")
    assert_fits(page, 180)
