"""
Public pages filtered by GET parameters (the events by roundtable, the convergence matrix): plain
forms that work without JavaScript, and how the page cache tells their filtered copies apart.

The page cache keys a page by its address without the query string (pagecache), so a filtered page
names its filters itself: one stored copy per valid combination, written one way only, and none
for a combination that does not validate (drawn each time with its message, never stored), so
made-up values cannot fill the cache.
"""

from urllib.parse import urlencode

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from pagecache import mark_public_page

from .models import Roundtable


class FilterForm(forms.Form):
    """A GET form whose valid choices can be written back as one canonical query string."""

    def canonical_items(self):
        """[(name, value)] of the filters given and valid, in the form's order."""
        items = []
        cleaned = getattr(self, "cleaned_data", {})
        for name, field in self.fields.items():
            value = cleaned.get(name)
            if value in (None, ""):
                continue
            if isinstance(value, models.Model):
                value = getattr(value, getattr(field, "to_field_name", None) or "pk")
            items.append((name, str(value)))
        return items

    def query_string(self):
        return urlencode(self.canonical_items())

    @property
    def is_filtering(self):
        return bool(self.canonical_items())


class FilteredPageVariant:
    """How a filtered public page varies for the page cache: by its valid filters only."""

    def __init__(self, form_class):
        self.form_class = form_class

    def key(self, request):
        form = self.form_class(request.GET)
        return form.query_string() if form.is_valid() else None

    @staticmethod
    def remember(request, response):
        return response


class FilteredPublicPageMixin:
    """A public page filtered by `filter_form_class` from the query string, cached per filter."""

    filter_form_class = None

    def dispatch(self, request, *args, **kwargs):
        mark_public_page(request, variant=FilteredPageVariant(self.filter_form_class))
        self.filter_form = self.filter_form_class(request.GET)
        # Bad values are reported on the page; the valid ones still filter.
        self.filter_form.is_valid()
        # The language links keep the valid filters (templatetags/site_navigation.py).
        request.filter_form = self.filter_form
        return super().dispatch(request, *args, **kwargs)

    def filters(self):
        return getattr(self.filter_form, "cleaned_data", {})


class RoundtableChoiceField(forms.ModelChoiceField):
    """A roundtable named by its key in the address: ?roundtable=food-security."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Roundtable.objects.all(),
            to_field_name="key",
            required=False,
            label=_("Roundtable"),
            empty_label=_("All roundtables"),
            error_messages={"invalid_choice": _("There is no such roundtable; showing all.")},
            widget=forms.Select(attrs={"class": "form-select"}),
            **kwargs,
        )

    def to_python(self, value):
        # PostgreSQL refuses a NUL in a text parameter with a database error, not "no such row".
        if isinstance(value, str) and "\x00" in value:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class EventFilterForm(FilterForm):
    roundtable = RoundtableChoiceField()
