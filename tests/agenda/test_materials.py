"""
Materials: organisers upload presentations and add recordings and links in admin; the meeting's and
the sessions' pages list them; files are downloaded through the site with a safe content type.
(Participants-only downloads: tests/registration/test_material_access.py.)
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.test.utils import CaptureQueriesContext
from django.utils import translation

import pagecache
from agenda.models import Material
from tests.languages import LANGUAGES, translated, url
from tests.registration.factories import UserFactory
from tests.registration.staff import sign_in

from . import material_files
from .factories import EventFactory, MaterialFactory, SessionFactory, lima
from .test_admin import session_form

pytestmark = pytest.mark.django_db

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@pytest.fixture
def organiser(client):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Organisers"))
    return sign_in(client, user)


@pytest.fixture
def session():
    event = EventFactory(slug="cooperacion", title_es="Reunión", title_en="Meeting")
    return SessionFactory(
        event=event,
        title_es="Corredores",
        title_en="Corridors",
        starts_at=lima(10),
        ends_at=lima(10, 30),
    )


def stored_files():
    root = Path(django_settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def material_form(for_session, upload=None, **changes):
    """The material admin's add form, as the browser posts it."""
    data = {
        "event": for_session.event.pk,
        "session": for_session.pk,
        "kind": Material.Kind.PRESENTATION,
        "visibility": Material.Visibility.PUBLIC,
        "order": "0",
        "title_es": "Conclusiones de la mesa",
        "title_en": "Conclusions of the roundtable",
        "url": "",
    }
    if upload is not None:
        data["file"] = upload
    data.update(changes)
    return data


def add_material(client, language, data):
    return client.post(url(language, "admin:agenda_material_add"), data)


# Uploading in admin --------------------------------------------------------------------------------


@pytest.mark.parametrize("extension", ["pdf", "pptx", "docx", "xlsx"])
def test_organiser_uploads_each_accepted_format(client, organiser, session, extension):
    content = material_files.VALID[extension]()
    # The browser's claimed type is ignored: only the content counts.
    upload = SimpleUploadedFile(f"Slides final v2.{extension}", content, "application/octet-stream")
    response = add_material(client, "en", material_form(session, upload))
    assert response.status_code == 302
    material = Material.objects.get()
    assert (material.event, material.session) == (session.event, session)
    assert material.file_format == extension
    assert material.file_size == len(content)
    assert material.file.name.startswith(f"materials/{session.event.pk}/")
    assert material.file.name.endswith(f"-slides-final-v2.{extension}")
    [stored] = stored_files()
    assert stored.read_bytes() == content


@pytest.mark.parametrize("impostor", list(material_files.IMPOSTORS))
def test_admin_refuses_a_file_that_only_pretends_to_be_a_presentation(
    client, organiser, session, impostor
):
    name, content = material_files.IMPOSTORS[impostor]
    upload = SimpleUploadedFile(name, content(), "application/pdf")
    response = add_material(client, "en", material_form(session, upload))
    assert response.status_code == 200
    assert (
        "This file is not a PDF, PowerPoint (.pptx), Word (.docx) or Excel (.xlsx) document."
        in response.text
    )
    assert not Material.objects.exists()
    assert stored_files() == []


def test_refusal_is_in_the_organisers_language(client, organiser, session):
    upload = SimpleUploadedFile("informe.pdf", material_files.windows_program())
    response = add_material(client, "es", material_form(session, upload))
    assert response.status_code == 200
    assert "Este archivo no es un documento PDF, PowerPoint (.pptx)" in response.text
    assert not Material.objects.exists()


def test_admin_refuses_a_file_over_the_size_limit(client, organiser, session, settings):
    settings.MATERIAL_MAX_FILE_SIZE = 1000
    content = material_files.pdf() + b"%" * 2000
    upload = SimpleUploadedFile("informe.pdf", content)
    response = add_material(client, "en", material_form(session, upload))
    assert response.status_code == 200
    assert "the largest accepted is 1000\xa0bytes." in response.text
    assert not Material.objects.exists()
    assert stored_files() == []
    upload = SimpleUploadedFile("informe.pdf", content)
    response = add_material(client, "es", material_form(session, upload))
    assert "el más grande aceptado es de 1000\xa0bytes." in response.text


def test_organiser_attaches_a_presentation_on_the_sessions_page(client, organiser, session):
    """The session's inline: no event to choose, it is the session's."""
    content = material_files.pptx()
    data = session_form(
        session,
        **{
            "materials-TOTAL_FORMS": "1",
            "materials-INITIAL_FORMS": "0",
            "materials-MIN_NUM_FORMS": "0",
            "materials-MAX_NUM_FORMS": "1000",
            "materials-0-kind": Material.Kind.PRESENTATION,
            "materials-0-visibility": Material.Visibility.PARTICIPANTS,
            "materials-0-order": "1",
            "materials-0-title_es": "Diapositivas",
            "materials-0-title_en": "Slides",
            "materials-0-url": "",
            "materials-0-file": SimpleUploadedFile("slides.pptx", content),
        },
    )
    response = client.post(url("en", "admin:agenda_session_change", object_id=session.pk), data)
    assert response.status_code == 302
    material = Material.objects.get()
    assert (material.event, material.session) == (session.event, session)
    assert (material.file_format, material.visibility) == ("pptx", "participants")


@pytest.mark.parametrize(
    "address", ["javascript:alert(document.cookie)", "ftp://files.example.org/video.mp4"]
)
def test_recordings_and_links_must_be_web_addresses(client, organiser, session, address):
    response = add_material(
        client, "en", material_form(session, kind=Material.Kind.RECORDING, url=address)
    )
    assert response.status_code == 200
    assert "Enter a valid URL." in response.text
    assert not Material.objects.exists()


def test_a_recording_is_an_address_and_a_presentation_a_file(client, organiser, session):
    response = add_material(client, "en", material_form(session, kind=Material.Kind.RECORDING))
    assert "Give the address of the recording or the link." in response.text
    response = add_material(client, "en", material_form(session))
    assert "Choose the file to upload." in response.text
    assert not Material.objects.exists()


def test_a_session_of_another_event_is_refused(client, organiser, session):
    other = SessionFactory()
    upload = SimpleUploadedFile("a.pdf", material_files.pdf())
    response = add_material(client, "en", material_form(session, upload, session=other.pk))
    assert "This session belongs to another event." in response.text
    assert not Material.objects.exists()


def test_organisers_may_manage_materials():
    organisers = Group.objects.get(name="Organisers")
    codenames = set(
        organisers.permissions.filter(content_type__model="material").values_list(
            "codename", flat=True
        )
    )
    assert codenames == {"add_material", "change_material", "delete_material", "view_material"}


def test_replaced_and_deleted_files_leave_storage(session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        material = MaterialFactory(session=session)
    [first] = stored_files()
    # As the admin does: the row read from the database, a new file chosen.
    material = Material.objects.get(pk=material.pk)
    with django_capture_on_commit_callbacks(execute=True):
        material.file = SimpleUploadedFile("new.xlsx", material_files.xlsx())
        material.full_clean()
        material.save()
    [second] = stored_files()
    assert second != first and second.suffix == ".xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        session.event.delete()
    assert stored_files() == []


# Pages -----------------------------------------------------------------------------------------


@pytest.fixture
def materials(session):
    return [
        MaterialFactory(session=session, title_es="Diapositivas", title_en="Slides", order=1),
        MaterialFactory(
            session=session,
            kind=Material.Kind.RECORDING,
            title_es="Grabación",
            title_en="Recording of the session",
            url="https://video.example.org/watch/public-recording",
            order=2,
        ),
        MaterialFactory(
            session=session,
            kind=Material.Kind.LINK,
            title_es="Carpeta privada",
            title_en="Private folder",
            url="https://drive.example.org/secret-folder-9931",
            visibility=Material.Visibility.PARTICIPANTS,
            order=3,
        ),
        MaterialFactory(
            event=session.event,
            title_es="Nota conceptual",
            title_en="Concept note",
            file=SimpleUploadedFile("nota.docx", material_files.docx()),
            visibility=Material.Visibility.PARTICIPANTS,
        ),
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_session_page_lists_its_materials(client, session, materials, language):
    slides, recording, private_folder, concept_note = materials
    response = client.get(
        url(language, "agenda:session-detail", event_slug=session.event.slug, pk=session.pk)
    )
    text = response.text
    for message in ["Presentations and recordings", "Registered participants only"]:
        # Translated, not left in English.
        assert language == "en" or translated(language, message) != message
    with translation.override(language):
        assert translated(language, "Presentations and recordings") in text
        titles = [slides.title, recording.title, private_folder.title]
        # In the organisers' order.
        positions = [text.index(f">{title}</a>") for title in titles]
        assert positions == sorted(positions)
        assert concept_note.title not in text
        size = f"{slides.file_size / 1024:.1f}".replace(".", "." if language == "en" else ",")
        # Django's own unit names: "Kio" in French.
        unit = filesizeformat(1024).split("\xa0")[1]
        assert f"{slides.get_kind_display()} (PDF, {size}\xa0{unit})" in text
        assert translated(language, "Registered participants only") in text
    download = url(language, "agenda:material", event_slug=session.event.slug, pk=slides.pk)
    assert f'href="{download}"' in text
    assert 'href="https://video.example.org/watch/public-recording"' in text
    # A participants-only link goes through the site, which checks who asks.
    assert "secret-folder-9931" not in text
    assert (
        url(language, "agenda:material", event_slug=session.event.slug, pk=private_folder.pk)
        in text
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_meeting_page_lists_every_material_by_session(client, session, materials, language):
    response = client.get(url(language, "agenda:event-detail", slug=session.event.slug))
    text = response.text
    with translation.override(language):
        whole_meeting = text.index(translated(language, "The whole meeting"))
        concept_note = text.index(materials[3].title)
        session_heading = text.index(f">{session.title}</a></h3>")
        slides = text.index(f">{materials[0].title}</a>")
    assert whole_meeting < concept_note < session_heading < slides
    assert "secret-folder-9931" not in text


def test_pages_without_materials_say_nothing_about_them(client, session):
    response = client.get(
        url("en", "agenda:session-detail", event_slug=session.event.slug, pk=session.pk)
    )
    assert "Presentations and recordings" not in response.text


def session_page_queries(client, session):
    page = url("en", "agenda:session-detail", event_slug=session.event.slug, pk=session.pk)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)
    assert response.status_code == 200
    return len(queries)


def test_session_page_queries_do_not_grow_with_materials(client, fingerprint_every_request):
    one, many = SessionFactory(), SessionFactory()
    MaterialFactory(session=one)
    for number in range(6):
        MaterialFactory(
            session=many,
            kind=[Material.Kind.PRESENTATION, Material.Kind.RECORDING][number % 2],
            visibility=[Material.Visibility.PUBLIC, Material.Visibility.PARTICIPANTS][number % 2],
        )
    assert session_page_queries(client, many) == session_page_queries(client, one)


def test_meeting_page_queries_do_not_grow_with_materials(client, fingerprint_every_request):
    def count(event):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("en", "agenda:event-detail", slug=event.slug)).status_code == 200
        return len(queries)

    one, many = EventFactory(), EventFactory()
    MaterialFactory(event=one)
    for number in range(3):
        session = SessionFactory(event=many, starts_at=lima(9 + number), ends_at=lima(10 + number))
        MaterialFactory(session=session)
        MaterialFactory(session=session, kind=Material.Kind.LINK)
    assert count(many) == count(one)


def test_a_new_material_shows_at_once_on_cached_pages(client, session):
    pages = [
        url("en", "agenda:session-detail", event_slug=session.event.slug, pk=session.pk),
        url("en", "agenda:event-detail", slug=session.event.slug),
    ]
    for page in pages:
        assert "Slides" not in client.get(page).text
    key_before = pagecache.current_fingerprint()
    material = MaterialFactory(session=session, title_en="Slides")
    assert pagecache.current_fingerprint() != key_before
    for page in pages:
        assert ">Slides</a>" in client.get(page).text
    material.title_en = "Final slides"
    material.save()
    for page in pages:
        assert ">Final slides</a>" in client.get(page).text
    material.delete()
    for page in pages:
        assert "Final slides" not in client.get(page).text


# Downloads -------------------------------------------------------------------------------------


@pytest.mark.parametrize("extension", ["pdf", "pptx", "docx", "xlsx"])
def test_download_has_a_safe_content_type_and_is_an_attachment(client, session, extension):
    content = material_files.VALID[extension]()
    material = MaterialFactory(
        session=session,
        title_es="Conclusiones: corredores (versión final)",
        title_en="Conclusions",
        # An upload claiming to be a web page must not be served as one.
        file=SimpleUploadedFile(f"x.{extension}", content, "text/html"),
    )
    response = client.get(
        url("es", "agenda:material", event_slug=session.event.slug, pk=material.pk)
    )
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES[extension]
    assert response["Content-Disposition"] == (
        f'attachment; filename="conclusiones-corredores-version-final.{extension}"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response.streaming and b"".join(response.streaming_content) == content


def test_downloads_are_never_kept_in_the_page_cache(client, session):
    material = MaterialFactory(session=session)
    download = url("en", "agenda:material", event_slug=session.event.slug, pk=material.pk)
    assert client.get(download).status_code == 200
    assert download not in pagecache._public_paths
    # Made participants-only, the very next request is checked again, not answered from a copy.
    Material.objects.filter(pk=material.pk).update(visibility=Material.Visibility.PARTICIPANTS)
    assert client.get(download).status_code == 302


def test_unpublished_events_and_other_events_materials_are_not_found(client, session):
    material = MaterialFactory(session=session)
    other = EventFactory()
    assert (
        client.get(url("en", "agenda:material", event_slug=other.slug, pk=material.pk)).status_code
        == 404
    )
    session.event.is_published = False
    session.event.save()
    assert (
        client.get(
            url("en", "agenda:material", event_slug=session.event.slug, pk=material.pk)
        ).status_code
        == 404
    )


def test_a_file_missing_from_storage_is_not_found(client, session):
    material = MaterialFactory(session=session)
    material.file.storage.delete(material.file.name)
    download = url("en", "agenda:material", event_slug=session.event.slug, pk=material.pk)
    assert client.get(download).status_code == 404


# Storage configuration -------------------------------------------------------------------------


def storages_under(environment):
    """forum.settings' STORAGES["default"], read in a fresh process with `environment` set."""
    code = "from forum import settings; print(repr(settings.STORAGES['default']))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        check=False,
    )
    return result


def test_uploads_go_to_the_file_system_by_default():
    result = storages_under({"FILE_STORAGE": "local", "MEDIA_ROOT": "/srv/forum/media"})
    assert result.returncode == 0, result.stderr
    assert "FileSystemStorage" in result.stdout


def test_s3_compatible_storage_is_switched_on_by_the_environment():
    result = storages_under(
        {
            "FILE_STORAGE": "s3",
            "S3_BUCKET_NAME": "forum-materials",
            "S3_ENDPOINT_URL": "https://account.r2.cloudflarestorage.com",
            "S3_REGION_NAME": "auto",
            "S3_ACCESS_KEY_ID": "key-id",
            "S3_SECRET_ACCESS_KEY": "secret",
        }
    )
    assert result.returncode == 0, result.stderr
    storage = eval(result.stdout)  # noqa: S307 - our own settings' repr of a dict of strings
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert (
        storage["OPTIONS"]
        | {
            "bucket_name": "forum-materials",
            "endpoint_url": "https://account.r2.cloudflarestorage.com",
            "region_name": "auto",
            "access_key": "key-id",
            "secret_key": "secret",
            "default_acl": "private",
            "querystring_auth": True,
        }
        == storage["OPTIONS"]
    )


def test_an_unknown_storage_is_refused_at_start():
    result = storages_under({"FILE_STORAGE": "dropbox"})
    assert result.returncode != 0
    assert "FILE_STORAGE must be 'local' or 's3'" in result.stderr


def test_event_page_in_admin_offers_its_own_sessions_for_materials(client, organiser, session):
    slides = MaterialFactory(session=session, title_en="Slides")
    other = SessionFactory(title_en="Somebody else's session")
    response = client.get(url("en", "admin:agenda_event_change", object_id=session.event.pk))
    assert response.status_code == 200
    # The current file opens through the download view: storage has no address of its own.
    download = url("en", "agenda:material", event_slug=session.event.slug, pk=slides.pk)
    assert f'<a href="{download}">slides.pdf</a>' in response.text
    assert "Materials (presentations, recordings, links)" in response.text
    assert 'enctype="multipart/form-data"' in response.text
    assert f'<option value="{session.pk}" selected>' in response.text
    assert f'<option value="{other.pk}"' not in response.text


def test_materials_admin_list_shows_format_and_size(client, organiser, session):
    material = MaterialFactory(session=session, title_en="Slides")
    response = client.get(url("en", "admin:agenda_material_changelist"))
    assert response.status_code == 200
    size = f"{material.file_size / 1024:.1f}"
    assert f"PDF, {size}\xa0KB" in response.text
