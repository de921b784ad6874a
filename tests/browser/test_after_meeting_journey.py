"""
The meeting's afterlife in Chromium, end to end through the pages and the admin people use: an
organiser attaches a presentation to a session and publishes the outcomes with an action; visitors
find both on the public pages and in the convergence matrix at once; a participant who joined
online downloads the certificate of participation and opens the verification address its QR
code holds.
"""

import pytest
import time_machine
import zxingcpp
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import expect
from pypdf import PdfReader

from agenda.models import Material
from forum.groups import ORGANISERS
from outcomes.models import Action, Outcome
from tests.agenda import material_files
from tests.agenda.factories import lima
from tests.languages import translated, url

from .helpers import assert_accessible, settle, sign_in, sign_in_with_code, visit

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
LANGUAGE = "es"
ACTION = "Mapear los pasos de frontera con ventanilla única digital"


@pytest.fixture
def organiser(staff_member):
    user = staff_member("coordinacion@comunidadandina.org", ORGANISERS)
    TOTP.activate(user, SECRET)
    return user


def publish_a_presentation(page, session, tmp_path):
    visit(page, url(LANGUAGE, "admin:agenda_session_change", object_id=session.pk))
    page.locator("#materials-group .add-row a").click()
    page.locator("#id_materials-0-title_es").fill("Corredores logísticos andinos")
    page.locator("#id_materials-0-title_en").fill("Andean logistics corridors")
    presentation = tmp_path / "corredores.pdf"
    presentation.write_bytes(material_files.pdf())
    page.locator("#id_materials-0-file").set_input_files(presentation)
    page.get_by_role("button", name=translated(LANGUAGE, "Save"), exact=True).click()
    page.wait_for_url(f"**{url(LANGUAGE, 'admin:agenda_session_changelist')}")


def publish_the_outcomes(page, meeting):
    add_outcome = url(LANGUAGE, "admin:outcomes_outcome_add")
    visit(page, f"{add_outcome}?event={meeting.pk}")
    page.locator("#id_summary_es").fill(
        "<h2>Acuerdos</h2><ul><li>Una hoja de ruta común</li></ul><script>alert(1)</script>"
    )
    page.locator("#id_actions-0-description_es").fill(ACTION)
    page.locator("#id_actions-0-status").select_option(Action.Status.AGREED)
    page.locator("#id_is_published").check()
    page.get_by_role("button", name=translated(LANGUAGE, "Save"), exact=True).click()
    page.wait_for_url(f"**{url(LANGUAGE, 'admin:outcomes_outcome_changelist')}")


def test_organiser_publishes_materials_and_outcomes_and_a_participant_gets_the_certificate(
    open_page, meeting, organiser, online_participant, tmp_path
):
    session = meeting.sessions.order_by("starts_at")[1]
    visitor = open_page()
    # Cached before the organiser's work: what follows must move the cache's key.
    visit(visitor, url(LANGUAGE, "agenda:session-detail", event_slug=meeting.slug, pk=session.pk))
    visit(visitor, url(LANGUAGE, "outcomes:matrix"))
    expect(visitor.get_by_text(ACTION)).to_have_count(0)

    # The organiser, in the admin.
    admin = open_page()
    sign_in_with_code(admin, LANGUAGE, organiser.email, url(LANGUAGE, "admin:index"), SECRET)
    publish_a_presentation(admin, session, tmp_path)
    publish_the_outcomes(admin, meeting)
    assert Material.objects.get().session == session
    outcome = Outcome.objects.get(event=meeting)
    assert outcome.is_published and "<script" not in outcome.summary

    # Visitors see both at once.
    visit(visitor, url(LANGUAGE, "agenda:session-detail", event_slug=meeting.slug, pk=session.pk))
    with visitor.expect_download() as download:
        visitor.get_by_role("link", name="Corredores logísticos andinos").click()
    assert download.value.suggested_filename.endswith(".pdf")
    visit(visitor, url(LANGUAGE, "agenda:event-detail", slug=meeting.slug))
    visitor.get_by_role("link", name=translated(LANGUAGE, "Read the meeting’s outcomes")).click()
    settle(visitor)
    expect(visitor.get_by_role("heading", name="Acuerdos")).to_be_visible()
    expect(visitor.get_by_text(ACTION)).to_be_visible()
    assert_accessible(visitor)
    visit(visitor, url(LANGUAGE, "outcomes:matrix"))
    expect(visitor.get_by_text(ACTION)).to_be_visible()

    # The participant joined online during the meeting, then finds the certificate after it.
    registration = online_participant
    registration.preferred_language = LANGUAGE
    registration.save()
    my_registration = url(
        LANGUAGE, "registration:my-registration", event_slug=registration.event.slug
    )
    page = open_page()
    sign_in(page, LANGUAGE, registration.email, my_registration)
    with time_machine.travel(lima(9, 20), tick=True):
        page.reload()
        settle(page)
        page.get_by_role("link", name=translated(LANGUAGE, "Join the meeting")).click()
        page.wait_for_url("**/en/")
    registration.refresh_from_db()
    assert registration.attended

    visit(page, my_registration)
    link = page.get_by_role("link", name=translated(LANGUAGE, "Download my certificate (PDF)"))
    with page.expect_download() as download:
        link.click()
    [pdf_page] = PdfReader(download.value.path()).pages
    assert registration.full_name in pdf_page.extract_text()
    [verification] = [
        result.text
        for image in pdf_page.images
        for result in zxingcpp.read_barcodes(image.image.convert("L"))
    ]

    visitor.goto(verification)
    settle(visitor)
    assert_accessible(visitor)
    main = visitor.inner_text("main")
    assert translated(LANGUAGE, "This certificate of participation is valid.") in main
    assert registration.full_name in main and registration.email not in visitor.content()
