from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = _("Registration")

    def ready(self):
        import pagecache
        from agenda import loader as meeting_loader
        from agenda import materials

        from . import loader
        from .models import Registration, RegistrationSettings

        meeting_loader.add_section(loader.SECTION)
        # The agenda serves its participants-only materials to the people registration says hold a
        # registration for the meeting; it asks at every download (agenda/materials.py).
        materials.participants_are(Registration.objects.holds_registration)

        # The event page says whether registration is open: a window opening or closing, or an
        # organiser moving it, changes that page.
        pagecache.register(RegistrationSettings, moments=["opens_at", "closes_at"])
        # Admin of the e-mails that never left; it sits beside the mail code, not in admin.py.
        from . import mail_admin  # noqa: F401
