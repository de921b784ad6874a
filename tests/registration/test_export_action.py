"""
The "Export selected" admin action through registration.exports.ExportActionMixin: it works as
import-export's does, and Django 6.1 has nothing to warn about (import-export 4.4's own mixin
overrides get_actions() with the deprecated signature and calls a deprecated method of its own).
"""

import csv
import io
import warnings

import pytest
from django.contrib import admin
from django.contrib.admin import ActionLocation
from django.test import RequestFactory
from django.utils import translation
from import_export.formats import base_formats
from import_export.forms import ExportForm

from registration.exports import ExportActionMixin, RegistrationResource
from registration.models import Registration

from .factories import RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db


class ExportingAdmin(ExportActionMixin, admin.ModelAdmin):
    resource_classes = [RegistrationResource]
    export_formats = [base_formats.CSV]
    export_form_class = ExportForm


@pytest.fixture
def model_admin():
    return ExportingAdmin(Registration, admin.AdminSite(name="probe"))


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def request_by_superuser(method="get", data=None):
    request = getattr(RequestFactory(), method)("/", data or {})
    request.user = UserFactory(is_staff=True, is_superuser=True)
    return request


def test_the_export_action_is_offered_on_the_list_only(model_admin):
    request = request_by_superuser()

    on_the_list = model_admin.get_actions(request)
    on_the_form = model_admin.get_actions(request, action_location=ActionLocation.CHANGE_FORM)

    assert "export_admin_action" in on_the_list
    assert "export_admin_action" not in on_the_form
    with translation.override("en"):
        choices = model_admin.get_action_choices(request)
    assert ("export_admin_action", "Export selected registrations") in choices


def test_the_export_holds_the_selected_rows_only(model_admin):
    chosen, _other = RegistrationFactory(), RegistrationFactory()
    request = request_by_superuser(
        "post", {"format": "0", "resource": "0", "export_items": [chosen.pk]}
    )

    response = model_admin.export_action(request)

    _header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8")))
    assert [row[0] for row in rows] == [chosen.reference]
