from django.urls import path, register_converter
from django.views.generic import TemplateView

from . import certificates, checkin, views
from .privacy import AUTHORITATIVE_LANGUAGE, PRIVACY_NOTICE_VERSION


class CodeConverter:
    """
    A token, code, reference or purpose as the site writes them: letters, digits, "-" and "_".
    Anything else (a NUL byte, which PostgreSQL refuses in text) is no address of ours: 404.
    """

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(CodeConverter, "code")

app_name = "registration"

my = "events/<slug:event_slug>/my-registration/"

urlpatterns = [
    path("events/<slug:event_slug>/register/", views.RegisterView.as_view(), name="register"),
    path(my, views.MyRegistrationView.as_view(), name="my-registration"),
    path(f"{my}edit/", views.EditDetailsView.as_view(), name="edit"),
    path(f"{my}switch/", views.SwitchModeView.as_view(), name="switch-mode"),
    path(f"{my}cancel/", views.CancelView.as_view(), name="cancel"),
    path(f"{my}calendar.ics", views.personal_calendar_download, name="personal-calendar"),
    path(f"{my}renew-link/", views.RenewTokenView.as_view(), name="renew-token"),
    path(
        f"{my}consents/<code:purpose>/withdraw/",
        views.WithdrawConsentView.as_view(),
        name="withdraw-consent",
    ),
    path(f"{my}certificate.pdf", certificates.download, name="certificate"),
    path("certificates/<code:code>/", certificates.verification, name="certificate-verification"),
    path("my-data/export.json", views.export_my_data, name="export-data"),
    path("my-data/delete/", views.DeleteAccountView.as_view(), name="delete-account"),
    path("calendar/<code:token>.ics", views.personal_feed, name="personal-feed"),
    path("join/<code:token>/", views.join_online, name="join"),
    path(
        "privacy/",
        TemplateView.as_view(
            template_name="registration/privacy_notice.html",
            extra_context={
                "notice_version": PRIVACY_NOTICE_VERSION,
                "authoritative_language": AUTHORITATIVE_LANGUAGE,
            },
        ),
        name="privacy-notice",
    ),
    # The check-in desk in Lima (check-in staff and organisers only).
    path("check-in/<slug:event_slug>/", checkin.CheckInView.as_view(), name="check-in"),
    path(
        "check-in/<slug:event_slug>/<code:reference>/arrived/",
        checkin.mark_arrived,
        name="check-in-arrived",
    ),
    path(
        "check-in/<slug:event_slug>/<code:reference>/undo/",
        checkin.undo_arrival,
        name="check-in-undo",
    ),
]
