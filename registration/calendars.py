"""
A participant's own calendar: the meeting's sessions, plus — for confirmed virtual participants
only — the platform, their personal join link (which checks the registration when clicked) and the
platform's access details.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from agenda.calendars import build_calendar


def join_path(registration):
    return reverse("registration:join", kwargs={"token": registration.personal_token})


def personal_calendar(registration, *, base_url=None, subscription=False):
    event = registration.event
    base_url = base_url or settings.SITE_URL
    extra = ""
    if registration.may_join_online:
        extra = gettext("Join online on %(platform)s with your personal link: %(url)s") % {
            "platform": event.virtual_platform_name or gettext("the virtual platform"),
            "url": f"{base_url}{join_path(registration)}",
        }
        if event.virtual_access_details:
            extra += "\n" + gettext("Access details: %(details)s") % {
                "details": event.virtual_access_details
            }
    return build_calendar(
        event,
        event.sessions.with_speakers(),
        base_url=base_url,
        extra_description=extra,
        subscription=subscription,
    )


def personal_calendar_bytes(registration, *, base_url=None, subscription=False):
    """The calendar file in the participant's own language (e-mails have no request to follow)."""
    with translation.override(registration.preferred_language):
        return personal_calendar(
            registration, base_url=base_url, subscription=subscription
        ).to_ical()
