"""
After the meeting, in Chromium: a participant who joined online during the meeting finds their
certificate of participation on "My registration", downloads it, and opens the verification
address its QR code holds. Both pages meet WCAG 2.2 AA, in both languages.
"""

import io

import pytest
import time_machine
import zxingcpp
from django.utils import translation
from pypdf import PdfReader

from tests.agenda.factories import lima
from tests.languages import LANGUAGES, translated, url

from .helpers import assert_accessible, assert_language_declared, settle, sign_in


def certificate_section(page):
    return page.locator("section.certificate")


@pytest.mark.parametrize("language", LANGUAGES)
def test_participant_who_joined_online_downloads_the_certificate_and_verifies_it(
    open_page, online_participant, language, tmp_path
):
    registration = online_participant
    registration.preferred_language = language
    registration.save()
    my_registration = url(
        language, "registration:my-registration", event_slug=registration.event.slug
    )
    page = open_page()
    sign_in(page, language, registration.email, my_registration)

    # During the meeting: the page says when the certificate comes; the participant joins.
    with time_machine.travel(lima(9, 10), tick=True):
        page.reload()
        settle(page)
        with translation.override(language):
            expect_text = str(registration.certificate_refusal(now=lima(9, 10)))
        assert certificate_section(page).inner_text().strip().endswith(expect_text)
        page.get_by_role("link", name=translated(language, "Join the meeting")).click()
        page.wait_for_url("**/en/")
    registration.refresh_from_db()
    assert registration.online_join_count == 1

    # After the meeting: the certificate is there.
    page.goto(my_registration)
    settle(page)
    assert_language_declared(page, language)
    assert_accessible(page)
    link = page.get_by_role("link", name=translated(language, "Download my certificate (PDF)"))
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    [pdf_page] = PdfReader(io.BytesIO(path.read_bytes())).pages
    assert online_participant.full_name in pdf_page.extract_text()
    addresses = [
        result.text
        for image in pdf_page.images
        for result in zxingcpp.read_barcodes(image.image.convert("L"))
    ]
    [verification] = addresses

    page.goto(verification)
    settle(page)
    assert_language_declared(page, language)
    assert_accessible(page)
    assert translated(language, "This certificate of participation is valid.") in page.inner_text(
        "main"
    )
    assert online_participant.full_name in page.inner_text("main")
    assert registration.email not in page.content()
