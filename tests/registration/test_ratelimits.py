"""
Rate limits on the participant's forms that send e-mail or move a place: past the limit a POST is
answered with the 429 page in the visitor's language and changes nothing; reading pages is never
limited; one person's count is not another's; and the counts live in the configured cache, so
processes that share it share them.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import translation

from registration import ratelimits, services
from registration.models import AttendanceMode, Registration

from .factories import details, open_event, verified_user
from .page_reading import read

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _two_posts_an_hour(settings):
    settings.ACCOUNT_RATE_LIMITS = {
        action: "2/h/user"
        for action in [
            ratelimits.REGISTER,
            ratelimits.SWITCH_MODE,
            ratelimits.CANCEL,
            ratelimits.RENEW_LINK,
            ratelimits.DELETE_ACCOUNT,
        ]
    }


def url(name, language="en", **kwargs):
    with translation.override(language):
        return reverse(f"registration:{name}", kwargs=kwargs)


@pytest.fixture
def event():
    return open_event(in_person_places=1, virtual_places=None)


def registered(event, category, user):
    return services.register(event=event, user=user, details=details(category))


def form_data(category, **overrides):
    data = {
        "attendance_mode": AttendanceMode.IN_PERSON,
        "category": category.pk,
        "full_name": "María Pérez",
        "position": "Directora",
        "organisation": "Ministerio de Comercio Exterior",
        "country": "PE",
        "preferred_language": "es",
        "privacy_consent": "on",
        "website": "",
    }
    data.update(overrides)
    return data


def assert_too_many(response, language="en"):
    assert response.status_code == 429
    heading = {"en": "Too many attempts", "es": "Demasiados intentos"}[language]
    assert read(response).h1() == [heading]
    assert f'<html lang="{language}">' in response.text
    assert "no-store" in response["Cache-Control"]


def test_registering_past_the_limit_is_refused_and_stores_nothing(
    client, participant, event, category
):
    register_url = url("register", event_slug=event.slug)
    for _ in range(2):
        response = client.post(register_url, form_data(category, full_name=""))
        assert response.status_code == 200  # the form, with its error
    response = client.post(register_url, form_data(category))
    assert_too_many(response)
    assert not Registration.objects.exists()
    assert mail.outbox == []


def test_the_429_page_speaks_the_visitors_language(client, participant, event, category):
    register_url = url("register", "es", event_slug=event.slug)
    for _ in range(2):
        client.post(register_url, form_data(category, full_name=""))
    assert_too_many(client.post(register_url, form_data(category)), language="es")


def test_switching_mode_past_the_limit_sends_no_more_mail(
    client, participant, event, category, django_capture_on_commit_callbacks
):
    registration = registered(event, category, participant)
    switch_url = url("switch-mode", event_slug=event.slug)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(switch_url, {"mode": AttendanceMode.VIRTUAL})
        client.post(switch_url, {"mode": AttendanceMode.IN_PERSON})
    assert len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(switch_url, {"mode": AttendanceMode.VIRTUAL})
    assert_too_many(response)
    registration.refresh_from_db()
    assert registration.attendance_mode == AttendanceMode.IN_PERSON
    assert len(mail.outbox) == 2


def test_cancelling_past_the_limit_is_refused(client, participant, event, category):
    registration = registered(event, category, participant)
    cancel_url = url("cancel", event_slug=event.slug)
    client.post(cancel_url)
    client.post(cancel_url)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert_too_many(client.post(cancel_url))


def test_renewing_the_personal_link_past_the_limit_keeps_the_current_link(
    client, participant, event, category
):
    registration = registered(event, category, participant)
    renew_url = url("renew-token", event_slug=event.slug)
    client.post(renew_url)
    client.post(renew_url)
    registration.refresh_from_db()
    token = registration.personal_token
    assert_too_many(client.post(renew_url))
    registration.refresh_from_db()
    assert registration.personal_token == token


def test_deleting_the_account_past_the_limit_deletes_nothing(client, participant):
    delete_url = url("delete-account")
    for _ in range(2):
        assert client.post(delete_url, {}).status_code == 200  # the box was not ticked
    assert_too_many(client.post(delete_url, {"confirm": "on"}))
    assert get_user_model().objects.filter(pk=participant.pk).exists()


def test_reading_the_pages_is_never_limited(client, participant, event, category):
    registered(event, category, participant)
    for _ in range(5):
        assert client.get(url("switch-mode", event_slug=event.slug)).status_code == 200
        assert client.get(url("cancel", event_slug=event.slug)).status_code == 200
        assert client.get(url("delete-account")).status_code == 200


def test_one_persons_count_does_not_stop_another(client, event, category):
    ana, luis = verified_user(), verified_user()
    for user in (ana, luis):
        registered(event, category, user)
    client.force_login(ana)
    for _ in range(3):
        client.post(url("renew-token", event_slug=event.slug))
    client.force_login(luis)
    response = client.post(url("renew-token", event_slug=event.slug))
    assert response.status_code == 302


def test_without_rate_limits_configured_nothing_is_refused(client, participant, settings):
    settings.ACCOUNT_RATE_LIMITS = False
    for _ in range(5):
        assert client.post(url("delete-account"), {}).status_code == 200


def test_processes_sharing_a_cache_share_the_count(
    client, participant, event, category, settings, tmp_path
):
    """
    Another process (another gunicorn worker, another host) uses up the person's renewals through
    the same cache; this process then refuses the next one. A file-based cache stands in for Redis:
    both are reached through CACHE_URL and shared by every process that points at them.
    """
    settings.ACCOUNT_RATE_LIMITS = {ratelimits.RENEW_LINK: "10/h/user"}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }
    registered(event, category, participant)
    other_worker = f"""
import django
django.setup()
from types import SimpleNamespace
from allauth.core.ratelimit import consume
from django.test import RequestFactory
request = RequestFactory().post("/")
request.user = SimpleNamespace(pk={participant.pk}, is_authenticated=True)
print(sum(consume(request, action="{ratelimits.RENEW_LINK}", user=request.user) for _ in range(10)))
"""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "forum.settings",
        "CACHE_URL": f"filecache://{tmp_path}",
        "RATE_LIMITS_ENABLED": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", other_worker],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "10"
    assert_too_many(client.post(url("renew-token", event_slug=event.slug)))
