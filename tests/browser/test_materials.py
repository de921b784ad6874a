"""
The materials organisers attach, as visitors meet them in Chromium: the lists on a session's page
and on the meeting's page meet WCAG 2.2 AA and fit a phone, a file downloads under its title's
name, and a participants-only file sends an anonymous visitor to sign in.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agenda.models import Material
from tests.agenda import material_files
from tests.agenda.factories import MaterialFactory
from tests.languages import LANGUAGES, translated, url

from .helpers import (
    VIEWPORTS,
    assert_accessible,
    assert_language_declared,
    save_screenshot,
    visit,
)


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
