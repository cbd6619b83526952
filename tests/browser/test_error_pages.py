"""The site's error pages on the phone, walked as a resident meets them: a form sent with
a stale token, a stale link, a page that fails on the server; Chinese, then English
through the language switch of the failed page itself. Each fits 360 px, passes axe and
has a way back that works."""

import pytest
from playwright.sync_api import Page

from booking import selectors
from tests.browser.test_booking import NUMBER, TYPED, check, click
from tests.browser.test_home import assert_fits
from tests.browser.test_sign_in import code_sent_to, serious_axe_violations
from tests.conftest import NOW
from tests.factories import UserFactory

WAYS_BACK = "main ul.ways-back"


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


def ways_back(page: Page) -> list[str]:
    return [link.get_attribute("href") for link in page.locator(f"{WAYS_BACK} a").all()]


def test_a_resident_meets_each_error_page_and_finds_the_way_back(
    page, live_server, request_log, office, monkeypatch
):
    UserFactory(phone=NUMBER, display_name="欧阳娜娜")
    page.goto(f"{live_server.url}/accounts/login/?next=/my/")
    page.fill("#id_phone", TYPED)

    # The page was open while the site's cookie changed (signed in or out in another tab).
    page.context.add_cookies([{"name": "csrftoken", "value": "a" * 32, "url": live_server.url}])
    click(page, "#phone-sign-in button")
    assert page.locator("h1").inner_text() in {"The form was not sent", "表单没有提交成功"}
    check(page, request_log)
    back_to_form = f"{live_server.url}/accounts/login/?next=/my/"
    assert ways_back(page) == [back_to_form, "/", "/my/"]
    click(page, f"{WAYS_BACK} a[href='{back_to_form}']")
    page.fill("#id_phone", TYPED)
    click(page, "#phone-sign-in button")
    page.fill("#id_code", code_sent_to(NUMBER))
    click(page, "button[value=verify]")
    assert page.url == f"{live_server.url}/my/"

    # A link to an appointment that is not (or no longer) there.
    response = page.goto(f"{live_server.url}/my/ZX81AB27/")
    assert response.status == 404
    assert page.locator("h1").inner_text() in {"This page does not exist", "这个页面不存在"}
    check(page, request_log)
    assert ways_back(page)[:2] == ["/", "/my/"]
    assert page.locator(f"main a[href='tel:{office.phone.replace(' ', '')}']").count() == 1
    click(page, f"{WAYS_BACK} a[href='/my/']")
    assert page.url == f"{live_server.url}/my/"

    # The server fails on "my appointments".
    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(selectors, "list_resident_appointments", fail)
    response = page.reload()
    assert response.status == 500
    assert page.locator("h1").inner_text() in {
        "Something went wrong on our side",
        "我们这边出了问题",
    }
    check(page, request_log)
    assert page.locator("main a[href='tel:12348']").count() == 1

    # The language switch of the failed page tries it again, in English.
    page.select_option("#language-select", "en")
    click(page, "form.language button")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("h1").inner_text() == "Something went wrong on our side"
    assert_fits(page, 360)
    assert serious_axe_violations(page) == []
    assert ways_back(page) == ["/", "/my/"]
    click(page, f"{WAYS_BACK} a[href='/']")
    assert page.url == f"{live_server.url}/" and "Free legal consultations" in page.title()

    response = page.goto(f"{live_server.url}/appointments/ZX81AB27/")  # an old address
    assert response.status == 404
    assert page.locator("h1").inner_text() == "This page does not exist"
    assert "The link may be old or mistyped" in page.inner_text("main")
    assert_fits(page, 360)
    assert serious_axe_violations(page) == []
    assert request_log.to_other_hosts() == []
