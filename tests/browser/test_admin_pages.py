"""Every admin page an office admin can reach, in Chinese and in English, on the phone:
the site's words (no "Django", no column named after a method, no stored codes), axe
finds nothing serious, nothing comes from another host.

The office admin is the demo's (booking/management/commands/demo.py): staff, with an
office and the "office admin" group's permissions. The walk starts at the admin's index
and follows its links: every list, the first row of each, every form to add.
"""

import datetime as dt
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import Page

from accounts.models import Role
from booking.access_log import record_access
from booking.management.commands.demo import ADMIN_PERMISSIONS
from booking.models import DutyDay, DutyException, Mode
from booking.services import book_appointment
from tests.browser.test_booking import click
from tests.browser.test_home import LAYOUT
from tests.conftest import NOW, local
from tests.factories import TimeOffFactory, TopicFactory, UserFactory

PASSWORD = "a long password for tests"
BASE = "http://localhost"
# Words that Chinese pages may show in Latin letters: names of things, not sentences.
LATIN_ALLOWED = {"IP", "SMS", "URL", "TOTP", "English"}
# Where the admin names things: headings, labels, column headings, filters, help, choices.
NAMING = (
    "#site-name, h1, h2, h3, thead th, label, legend, #changelist-filter summary, "
    "#changelist-filter h3, .help, p.datetime, select option, .messagelist li, "
    "#user-tools, .breadcrumbs, #content-main caption"
)
# A word, not part of a path or file name (sms/templates/sms/<语言>/<模板>.txt).
LATIN_WORD = re.compile(r"(?<![/.\w])[A-Za-z]{3,}(?![/.\w])")
# What the office admin saw in English on the Chinese pages before (issue 15.13).
KNOWN_FAULTS = ["DISPLAY REFERENCE", "Display reference", "Django", "Choose ", "name,", "needs ("]


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


@pytest.fixture
def office_admin(office):
    group = Group.objects.create(name="office admin")
    for label, actions in ADMIN_PERMISSIONS.items():
        app_label, model = label.split(".")
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label,
                codename__in=[f"{action}_{model}" for action in actions],
            )
        )
    user = UserFactory(
        role=Role.OFFICE_ADMIN,
        office=office,
        phone=None,
        phone_verified=False,
        email="head@example.invalid",
        display_name="唐卫东",
        is_staff=True,
    )
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(group)
    return user


@pytest.fixture
def office_records(office, lawyer, topic, desk_user):
    """A row in each list: a booking (and its text), time off, the roster, the access log."""
    appointment = book_appointment(
        resident=UserFactory(display_name="王桂兰"),
        office=office,
        topic=topic,
        lawyer=lawyer,
        starts_at=local(NOW.date() + dt.timedelta(days=1), 10),
        mode=Mode.IN_PERSON,
        needs_interpreter=True,
        now=NOW,
    )
    TimeOffFactory(lawyer=lawyer, starts_at=NOW + dt.timedelta(days=8))
    DutyDay.objects.create(office=office, lawyer=lawyer, weekday=0)
    DutyException.objects.create(
        office=office, lawyer=lawyer, date=NOW.date() + dt.timedelta(days=3), on_duty=False
    )
    record_access(
        viewer=desk_user,
        appointments=[appointment],
        place="day_sheet",
        details=("name", "phone", "village", "needs"),
        ip="127.0.0.1",
    )
    return appointment


def serious_axe_violations(page: Page) -> list[str]:
    """As tests/browser/test_sign_in.py's, without axe reading stylesheets itself: for an
    @import (the admin's forms.css has one) it writes a <style> element, which the site's
    policy refuses, so the refusal would be axe's, not the page's."""
    options = {"resultTypes": ["violations"], "preload": False}
    violations = Axe().run(page, options=options).response["violations"]
    return [v["id"] for v in violations if v["impact"] in {"serious", "critical"}]


def sign_in(page: Page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next=/admin/")
    page.click("details.staff summary")
    page.fill("#id_email", user.email)
    page.fill("#id_password", PASSWORD)
    click(page, "#staff-sign-in button")
    assert page.url.endswith("/admin/")


def admin_pages(page: Page, live_server, *others: str) -> list[str]:
    """The index, every list and add form it links to, each list's first row, and
    ``others``."""
    page.goto(f"{live_server.url}/admin/")
    linked = page.eval_on_selector_all(
        "#content-main a", "links => links.map(link => link.getAttribute('href'))"
    )
    pages = ["/admin/", *dict.fromkeys(linked)]
    for url in [url for url in pages if not url.endswith("/add/") and url.count("/") == 4]:
        page.goto(f"{live_server.url}{url}")
        first = page.locator("#result_list tbody tr >> nth=0 >> a").first
        if first.count():
            pages.append(first.get_attribute("href"))
    return [*pages, *others]


def latin_words(page: Page) -> set[str]:
    texts = page.eval_on_selector_all(
        NAMING, "els => els.map(el => el.innerText + ' ' + (el.getAttribute('aria-label') || ''))"
    )
    return {word for text in texts for word in LATIN_WORD.findall(text)} - LATIN_ALLOWED


def check(page: Page, request_log, language: str) -> None:
    assert page.get_attribute("html", "lang") == language
    # The page does not scroll sideways (Django's wide tables scroll in their own box).
    layout = page.evaluate(LAYOUT)
    assert layout["innerWidth"] == 360, layout
    assert layout["scrollWidth"] <= layout["clientWidth"], (page.url, layout)
    assert serious_axe_violations(page) == [], page.url
    assert request_log.to_other_hosts() == []
    assert request_log.policy_violations == [], page.url


def test_an_office_admin_reads_every_admin_page_in_both_languages(
    new_page, live_server, request_log, office_admin, office_records, lawyer
):
    visited = {}
    for language in ["zh-hans", "en"]:
        page = new_page(timezone_id="Asia/Shanghai")
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        sign_in(page, live_server, office_admin)
        pages = admin_pages(
            page,
            live_server,
            f"/admin/accounts/user/{lawyer.user_id}/password/",  # a new password for staff
            f"/admin/booking/lawyer/{lawyer.pk}/history/",
            "/admin/accounts/user/?q=nobody",  # a search that finds no one
        )
        for url in pages:
            page.goto(f"{live_server.url}{url}")
            check(page, request_log, language)
            body = page.inner_text("body")
            visited[language, url] = body
            if language == "zh-hans":
                assert [fault for fault in KNOWN_FAULTS if fault in body] == [], url
                assert latin_words(page) == set(), url
        assert len(pages) >= 20, pages  # index, 10 lists, their rows, 6 forms to add

    access_log = "/admin/booking/accesslog/"
    chinese, english = visited["zh-hans", access_log], visited["en", access_log]
    assert "姓名、电话、村（社区）、特殊需要（翻译、方言、无障碍）" in chinese
    assert "窗口工作人员" in chinese
    assert "name, phone, village, needs (interpreter, dialect, access)" in english
    appointments = visited["en", "/admin/booking/appointment/"]
    assert "REFERENCE CODE" in appointments  # the admin's headings are in capitals
    assert office_records.display_reference in appointments
    assert "Free legal consultations: administration" in visited["en", "/admin/"]


def test_a_lawyers_offices_and_areas_of_law_are_boxes_to_tick_without_javascript(
    new_page, live_server, request_log, office_admin, lawyer, topic
):
    other = TopicFactory()
    page = new_page(java_script_enabled=False)
    sign_in(page, live_server, office_admin)
    page.goto(f"{live_server.url}/admin/booking/lawyer/{lawyer.pk}/change/")
    assert page.locator("input[type=checkbox][name=topics]").count() >= 1
    assert page.locator("select[multiple]").count() == 0
    page.uncheck(f"input[name=topics][value='{topic.pk}']")
    page.check(f"input[name=topics][value='{other.pk}']")
    click(page, "input[name=_save]")
    assert page.url.endswith("/admin/booking/lawyer/")
    lawyer.refresh_from_db()
    assert list(lawyer.topics.all()) == [other]
    assert lawyer.offices.get() == office_admin.office


def test_what_the_admin_says_after_saving_and_deleting_reads_in_chinese(
    page, live_server, request_log, office_admin, lawyer
):
    sign_in(page, live_server, office_admin)
    page.goto(f"{live_server.url}/admin/booking/dutyexception/add/")
    page.select_option("#id_office", str(office_admin.office_id))
    page.select_option("#id_lawyer", str(lawyer.pk))
    page.fill("#id_date", (NOW.date() + dt.timedelta(days=5)).isoformat())
    click(page, "input[name=_save]")
    assert DutyException.objects.filter(lawyer=lawyer).exists()
    saved = page.inner_text(".messagelist")
    page.check("#result_list tbody input[name=_selected_action]")
    page.select_option("select[name=action]", "delete_selected")
    click(page, "#changelist-form button[name=index]")
    check(page, request_log, "zh-hans")
    confirm = page.inner_text("#content > p")  # the question (the list is Django's own)
    assert latin_words(page) == set()
    click(page, "#content input[type=submit]")
    assert not DutyException.objects.exists()
    deleted = page.inner_text(".messagelist")
    check(page, request_log, "zh-hans")
    for text in [saved, confirm, deleted]:
        assert LATIN_WORD.findall(text) == [], text
        assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", text), text  # no spaced names
        assert not re.search(r"[\u4e00-\u9fff][:,.]", text), text  # Chinese punctuation
