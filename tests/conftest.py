import contextlib

import pytest
from django.core.cache import caches

from agenda.drawing import forget_drawn_pieces
from forum.groups import ORGANISERS
from pagecache import forget_fingerprint
from registration.forms import forget_kept_markup
from tests.registration.staff import sign_in, staff_member


@pytest.fixture(autouse=True)
def _use_locmem_mail_and_fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Mail is sent at once after commit; tests/registration/test_mail_delivery.py runs the real queue.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _site_address_is_the_test_clients(settings):
    # Links in pages, calendars and mails are built on SITE_URL, never on the request's Host; the
    # test client's requests name "testserver", so tests give the site that address too. Tests
    # about a forged Host header set another SITE_URL of their own.
    settings.SITE_URL = "http://testserver"


@pytest.fixture(autouse=True)
def _agenda_state_read_at_most_once_a_minute(settings):
    # On a slow or busy machine drawing a page can take longer than the production second, and a
    # test counting queries would see the state read again. Tests about that age move the clock
    # past this setting, whatever it is; tests/agenda/conftest.py can make it 0.
    settings.PUBLIC_PAGE_FINGERPRINT_MAX_AGE = 60


@pytest.fixture(autouse=True)
def _start_with_an_empty_cache():
    # Rate-limit counts and used TOTP codes live in the cache, keyed by user id, and ids come
    # back after each test's rollback: one test's counts must not weigh on the next.
    for cache in caches.all():
        cache.clear()
    # The agenda's state this process read last belongs to the previous test's database, and so
    # do the calendar entries it drew.
    forget_fingerprint()
    forget_drawn_pieces()
    yield
    for cache in caches.all(initialized_only=True):
        # A test's own throwaway cache server may already be gone.
        with contextlib.suppress(Exception):
            cache.clear()


@pytest.fixture
def organiser(client):
    """A member of the organisers' group, signed in with two-factor authentication as admin asks."""
    return sign_in(client, staff_member(ORGANISERS))


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings, tmp_path):
    # Uploaded materials land in a folder of the test's own, never in var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _forms_drawn_afresh():
    # A process keeps the blank registration form's markup; ids and names come back after each
    # test's rollback, and settings may differ from one test to the next.
    forget_kept_markup()
