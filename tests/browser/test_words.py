"""Issue 15.14 in a real browser at 360 px: the words and dates a person reads.

A new resident books at the demo office in Chinese, reads the booking, and switches to
English; a lawyer reads the agenda and the week in Chinese and in English. On every page
the rendered text (``document.body.innerText``) passes the checks of tests/test_words.py:
Chinese punctuation on Chinese pages, no 2026-12-20 in sentences, English dates as
"Tuesday 8 December 2026, 09:00". The pages fit the phone, axe finds nothing serious,
nothing is fetched from another host.
"""

import re

import pytest
from playwright.sync_api import Page

from booking.management.commands.demo import DEMO_PASSWORD
from tests.browser.test_booking import NUMBER, TYPED, click
from tests.browser.test_home import assert_fits
from tests.browser.test_sign_in import code_sent_to, serious_axe_violations
from tests.conftest import NOW
from tests.test_words import load_demo, problems

ENGLISH_DAY = re.compile(
    r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d{1,2} "
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)\b"
)
CHINESE_DAY = re.compile(r"\d{1,2}月\d{1,2}日 星期[一二三四五六日]")


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


@pytest.fixture
def demo(db):
    load_demo()


def read(page: Page, request_log, language: str) -> str:
    """The page's text, checked as a reader of ``language`` reads it."""
    assert page.get_attribute("html", "lang") == language, page.url
    assert_fits(page, 360)
    assert serious_axe_violations(page) == [], page.url
    assert request_log.to_other_hosts() == []
    text = page.evaluate("() => document.body.innerText")
    assert not problems(text, language), (page.url, problems(text, language))
    return text


def switch_to_english(page: Page) -> None:
    page.select_option("#language-select", "en")
    click(page, "form.language button[type=submit]")


def test_a_resident_books_and_reads_the_booking_in_both_languages(
    page, live_server, request_log, demo
):
    page.goto(f"{live_server.url}/")
    home = read(page, request_log, "zh-hans")
    assert "110。" in home  # not "110."

    click(page, "a.cta")
    if "/book/qingshi-demo/" not in page.url:  # more than one office: choose the demo's
        click(page, "a[href='/book/qingshi-demo/']")
    click(page, "a[href$='/family/']")
    slots = read(page, request_log, "zh-hans")
    assert CHINESE_DAY.search(slots), slots
    click(page, "ul.times a")
    page.fill("#id_phone", TYPED)
    click(page, "#phone-sign-in button")
    page.fill("#id_code", code_sent_to(NUMBER))
    click(page, "button[value=verify]")
    page.fill("#id_name", "陈新来")
    page.check("#id_privacy_accepted")
    click(page, "button[value=review]")
    review = read(page, request_log, "zh-hans")
    assert "青石镇司法所，湖南省" in review  # the office and its address, joined in Chinese
    assert re.search(r"2026年12月\d{1,2}日 星期[一二三四五六日] \d\d:\d\d", review), review
    click(page, "button[value=confirm]")
    booked = read(page, request_log, "zh-hans")
    assert CHINESE_DAY.search(booked), booked

    switch_to_english(page)
    booked = read(page, request_log, "en")
    assert ENGLISH_DAY.search(booked), booked
    click(page, "a[href='/my/']")
    mine = read(page, request_log, "en")
    assert ENGLISH_DAY.search(mine), mine


def test_a_lawyer_reads_the_agenda_and_the_week_in_both_languages(
    page, live_server, request_log, demo
):
    page.goto(f"{live_server.url}/accounts/login/?next=/lawyer/")
    page.click("details.staff summary")
    page.fill("#id_email", "lawyer1@demo.invalid")
    page.fill("#id_password", DEMO_PASSWORD)
    click(page, "#staff-sign-in button")
    agenda = read(page, request_log, "zh-hans")
    assert CHINESE_DAY.search(agenda), agenda
    click(page, "a[href^='/lawyer/week/']")
    read(page, request_log, "zh-hans")
    click(page, "main h2 a")  # a day of the week
    read(page, request_log, "zh-hans")
    click(page, "main article h2 a, main article h3 a")  # one of its appointments
    appointment = read(page, request_log, "zh-hans")
    assert re.search(
        r"2026年\d{1,2}月\d{1,2}日 星期[一二三四五六日] \d\d:\d\d–\d\d:\d\d", appointment
    )

    switch_to_english(page)
    appointment = read(page, request_log, "en")
    assert re.search(rf"{ENGLISH_DAY.pattern} 2026, \d\d:\d\d–\d\d:\d\d", appointment), appointment
    click(page, "a[href='/lawyer/']")
    agenda = read(page, request_log, "en")
    assert ENGLISH_DAY.search(agenda), agenda
    click(page, "a[href^='/lawyer/week/']")
    week = read(page, request_log, "en")
    assert ENGLISH_DAY.search(week), week
