from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgendaConfig(AppConfig):
    name = "agenda"
    verbose_name = _("Agenda")

    def ready(self):
        import pagecache

        from .models import (
            Event,
            Material,
            Organisation,
            Roundtable,
            Session,
            SessionSpeaker,
            Speaker,
        )

        # What the public pages show: events and sessions. Their save() and receivers move an
        # event's or a session's `updated_at` whenever a speaker, an organisation or a session's
        # speakers change, so those are watched for this process to read the state again at once.
        # A meeting's end is a moment: once it passes, its pages say it took place.
        pagecache.register(
            Event, moments=["ends_at"], watch=[Organisation, Event.organisers.through]
        )
        pagecache.register(Roundtable)
        pagecache.register(Session, watch=[Speaker, SessionSpeaker])
        # The meeting's and the sessions' pages list the materials: adding, editing or removing one
        # moves the key of those pages.
        pagecache.register(Material)
