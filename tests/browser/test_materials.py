"""
The materials organisers attach, as they and visitors meet them in Chromium: an organiser uploads a
presentation on a session's admin page (a renamed program refused first) and a visitor downloads it
at once; the lists on a session's page and on the meeting's page meet WCAG 2.2 AA and fit a phone;
a participants-only file sends an anonymous visitor to sign in.
"""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from agenda.models import Material
from forum.groups import ORGANISERS
from tests.agenda import material_files
from tests.agenda.factories import MaterialFactory
from tests.languages import LANGUAGES, translated, url

from .helpers import (
    VIEWPORTS,
    assert_accessible,
    assert_language_declared,
    save_screenshot,
    sign_in_with_code,
    visit,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def session_with_materials(meeting):
    session = meeting.sessions.order_by("starts_at")[1]
    MaterialFactory(
        session=session,
        title_es="Presentación: corredores logísticos andinos",
        title_en="Presentation: Andean logistics corridors",
        file=SimpleUploadedFile("corredores.pptx", material_files.pptx()),
        order=1,
    )
    MaterialFactory(
        session=session,
        kind=Material.Kind.RECORDING,
        title_es="Grabación de la sesión",
        title_en="Recording of the session",
        order=2,
    )
    MaterialFactory(
        session=session,
        title_es="Datos de pasos de frontera",
        title_en="Border crossing data",
        file=SimpleUploadedFile("pasos.xlsx", material_files.xlsx()),
        visibility=Material.Visibility.PARTICIPANTS,
        order=3,
    )
    MaterialFactory(event=meeting, title_es="Nota conceptual", title_en="Concept note")
    return session


def session_page(language, session):
    return url(language, "agenda:session-detail", event_slug=session.event.slug, pk=session.pk)


@pytest.mark.parametrize("language", LANGUAGES)
def test_session_and_meeting_pages_with_materials_meet_wcag_aa(
    open_page, session_with_materials, language
):
    page = open_page()
    for path in [
        session_page(language, session_with_materials),
        url(language, "agenda:event-detail", slug=session_with_materials.event.slug),
    ]:
        visit(page, path)
        assert_language_declared(page, language)
        heading = translated(language, "Presentations and recordings")
        assert page.get_by_role("heading", level=2, name=heading).is_visible()
        assert_accessible(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_materials_fit_a_phone_and_a_desktop(open_page, session_with_materials, viewport):
    page = open_page(viewport)
    visit(page, session_page("es", session_with_materials))
    save_screenshot(page, f"session-materials-es-{viewport}")
    width = VIEWPORTS[viewport]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)


def test_a_presentation_downloads_under_its_title(open_page, session_with_materials):
    page = open_page()
    visit(page, session_page("en", session_with_materials))
    with page.expect_download() as download:
        page.get_by_role("link", name="Presentation: Andean logistics corridors").click()
    assert download.value.suggested_filename == "presentation-andean-logistics-corridors.pptx"
    with open(download.value.path(), "rb") as saved:
        assert saved.read() == material_files.pptx()


def test_a_participants_only_file_asks_an_anonymous_visitor_to_sign_in(
    open_page, session_with_materials
):
    page = open_page()
    visit(page, session_page("en", session_with_materials))
    page.get_by_role("link", name="Border crossing data").click()
    page.wait_for_url("**/en/accounts/login/**")
    assert page.get_by_role("heading", level=1).is_visible()


@pytest.fixture
def organiser(staff_member):
    """A staff member of the Organisers group whose authenticator app is already set up."""
    user = staff_member("organiser@comunidadandina.org", ORGANISERS)
    TOTP.activate(user, SECRET)
    return user


def test_organiser_attaches_a_presentation_and_visitors_see_it_at_once(
    open_page, meeting, organiser, tmp_path
):
    language = "es"
    session = meeting.sessions.order_by("starts_at")[1]
    public_path = session_page(language, session)
    # A visitor reads the session's page first: it is cached without materials.
    visitor = open_page()
    visit(visitor, public_path)
    heading = translated(language, "Presentations and recordings")
    expect(visitor.get_by_role("heading", name=heading)).to_have_count(0)

    change_path = url(language, "admin:agenda_session_change", object_id=session.pk)
    page = open_page()
    sign_in_with_code(page, language, organiser.email, change_path, SECRET)
    page.locator("#materials-group .add-row a").click()
    page.locator("#id_materials-0-title_es").fill("Corredores logísticos")
    page.locator("#id_materials-0-title_en").fill("Logistics corridors")

    # A program renamed as a PDF is refused, in the organiser's language, and nothing is saved.
    impostor = tmp_path / "corredores.pdf"
    impostor.write_bytes(material_files.windows_program())
    page.locator("#id_materials-0-file").set_input_files(impostor)
    page.get_by_role("button", name=translated(language, "Save"), exact=True).click()
    expect(page.locator("#materials-group .errorlist")).to_contain_text(
        "Este archivo no es un documento PDF"
    )
    assert not Material.objects.exists()

    presentation = tmp_path / "corredores-final.pdf"
    presentation.write_bytes(material_files.pdf())
    page.locator("#id_materials-0-file").set_input_files(presentation)
    page.get_by_role("button", name=translated(language, "Save"), exact=True).click()
    page.wait_for_url(f"**{url(language, 'admin:agenda_session_changelist')}")
    material = Material.objects.get()
    assert (material.session, material.file_format) == (session, "pdf")

    visit(visitor, public_path)
    expect(visitor.get_by_role("heading", name=heading)).to_be_visible()
    with visitor.expect_download() as download:
        visitor.get_by_role("link", name="Corredores logísticos").click()
    assert download.value.suggested_filename == "corredores-logisticos.pdf"
