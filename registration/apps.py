from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = _("Registration")

    def ready(self):
        # Admin of the e-mails that never left; it sits beside the mail code, not in admin.py.
        from . import mail_admin  # noqa: F401
