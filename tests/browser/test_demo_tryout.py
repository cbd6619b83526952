"""Issue 15.15 in a real browser at 360 px: the demo can be tried as the README prints it.

Right after `manage.py demo` (what `make run` loads), the resident the README names for
booking signs in with the number as printed, takes the first free time of an area, and
lands on the booked consultation; "my appointments" lists it.
"""

import pytest

from tests.browser.test_booking import click
from tests.browser.test_home import assert_fits
from tests.browser.test_sign_in import code_sent_to
from tests.conftest import NOW
from tests.test_demo_tryout import readme_resident
from tests.test_words import load_demo


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=True)


def test_the_resident_the_readme_names_books_in_the_browser(page, live_server, request_log, db):
    load_demo()
    typed = readme_resident()  # "137 0000 0107", as the README prints it

    page.goto(f"{live_server.url}/")
    click(page, "a.cta")
    if "/book/qingshi-demo/" not in page.url:  # more than one office: choose the demo's
        click(page, "a[href='/book/qingshi-demo/']")
    click(page, "a[href$='/family/']")
    chosen = page.inner_text("ul.times a >> nth=0")
    click(page, "ul.times a")
    page.fill("#id_phone", typed)
    click(page, "#phone-sign-in button")
    page.fill("#id_code", code_sent_to("+86" + typed.replace(" ", "")))
    click(page, "button[value=verify]")
    # A resident known to the demo: the name is there; the notice may still want a tick.
    assert page.input_value("#id_name")
    if page.locator("#id_privacy_accepted").count() and not page.is_checked("#id_privacy_accepted"):
        page.check("#id_privacy_accepted")
    click(page, "button[value=review]")
    click(page, "button[value=confirm]")

    assert page.locator("h1").inner_text(), page.url
    assert "/my/" in page.url, page.url  # the booked consultation's own page
    assert chosen.split()[0] in page.inner_text("main")  # the time taken, e.g. 10:30
    assert "预约成功" in page.inner_text("main")
    assert_fits(page, 360)
    click(page, "a[href='/my/']")
    assert page.locator("main li, main article").count() >= 1
    assert request_log.to_other_hosts() == []
