"""
The participant's forms: registering, editing one's details, and confirming a deletion.

Forms only validate what a person typed; the rules about places and statuses stay in the models
and services. Sensitive data (dietary and accessibility needs can reveal health or religion, Law
29733) is never kept without its own consent, and never silently dropped either: the form asks the
person to tick the box or empty the fields.
"""

import re
import unicodedata

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout
from crispy_forms.utils import render_crispy_form
from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import AttendanceMode, Consent, Registration

# Loose on purpose: numbers are written in many ways across the region; we only check that what
# is there could be a phone number someone can dial.
PHONE_CHARACTERS = re.compile(r"^[0-9 +\-()]+$")
PHONE_MIN_DIGITS, PHONE_MAX_DIGITS = 6, 20
NEEDS_MAX_LENGTH = 1000

# What a registration's details are: the fields the participant fills in and may edit later.
DETAIL_FIELDS = [
    "honorific",
    "full_name",
    "position",
    "organisation",
    "country",
    "phone",
    "preferred_language",
]
NEEDS_FIELDS = ["dietary_needs", "accessibility_needs"]
# Typed on one line: the phone is left out, its own check allows digits and a few signs only.
SINGLE_LINE_FIELDS = ["honorific", "full_name", "position", "organisation"]


class LongSelect(forms.Select):
    """
    A select of a few hundred options (the countries), written out in Python. Through Django's
    widget templates each option is two template includes, which made this one list most of the
    time the registration form took to draw. The markup is the same.
    """

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            html = format_html_join(
                "",
                '\n<option value="{}"{}>{}</option>',
                (
                    (option["value"], flatatt(option["attrs"]), option["label"])
                    for option in options
                ),
            )
            groups.append(
                format_html('<optgroup label="{}">{}</optgroup>', group_name, html)
                if group_name
                else html
            )
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            name,
            flatatt(widget["attrs"]),
            # Every piece was escaped by format_html above.
            mark_safe("".join(groups)),
        )


def validate_phone(value):
    if not PHONE_CHARACTERS.match(value):
        raise forms.ValidationError(
            _("Write the phone number with digits; spaces, +, - and brackets are allowed."),
            code="phone_characters",
        )
    digits = sum(character.isdigit() for character in value)
    if not PHONE_MIN_DIGITS <= digits <= PHONE_MAX_DIGITS:
        raise forms.ValidationError(
            _("A phone number has between %(min)d and %(max)d digits; this one has %(count)d."),
            code="phone_length",
            params={"min": PHONE_MIN_DIGITS, "max": PHONE_MAX_DIGITS, "count": digits},
        )


def control_characters_refuser(*, allowed=""):
    """
    A validator refusing control characters (Unicode's "Cc": escape, vertical tab, DEL, …) other
    than those in `allowed`. Nobody types them; they come pasted from a terminal or a PDF, print
    as nothing or as garbage on badges and at the desk, and most cannot be written in an Excel
    file at all (XML 1.0 has no way to), so one stored name broke the organisers' export.
    """

    def refuse_control_characters(value):
        # Django's own validator already refuses the null character, with its own message.
        if any(
            unicodedata.category(character) == "Cc" and character not in allowed + "\x00"
            for character in value
        ):
            raise forms.ValidationError(
                _(
                    "This text contains invisible control characters (copied from another "
                    "program, perhaps). Delete them or type the text again."
                ),
                code="control_characters",
            )

    return refuse_control_characters


class CategoryChoiceField(forms.ModelChoiceField):
    """Each category says how its people may take part, and whether organisers approve them."""

    def label_from_instance(self, category):
        if category.allows_in_person and category.allows_virtual:
            modes = _("in person in Lima or online")
        elif category.allows_in_person:
            modes = _("in person in Lima only")
        elif category.allows_virtual:
            modes = _("online only")
        else:
            modes = _("no attendance mode offered")
        if category.needs_approval:
            return _("%(category)s (%(modes)s; the organisers approve each registration)") % {
                "category": category.name,
                "modes": modes,
            }
        return _("%(category)s (%(modes)s)") % {"category": category.name, "modes": modes}


class ParticipantDetailsForm(forms.ModelForm):
    """The details a participant gives and may later edit, with the sensitive-data consent."""

    sensitive_data_consent = forms.BooleanField(
        label=_(
            "I agree that my dietary and accessibility needs, which may reveal health or religion, "
            "are processed only to provide them."
        ),
        required=False,
    )
    photography_consent = forms.BooleanField(
        label=_("I agree to appear in photographs and recordings of the meeting."),
        help_text=_("Optional. You may withdraw this consent at any time."),
        required=False,
    )

    class Meta:
        model = Registration
        fields = [*DETAIL_FIELDS, *NEEDS_FIELDS]
        widgets = {
            "dietary_needs": forms.Textarea(attrs={"rows": 2}),
            "accessibility_needs": forms.Textarea(attrs={"rows": 2}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "honorific": forms.TextInput(attrs={"autocomplete": "honorific-prefix"}),
            "position": forms.TextInput(attrs={"autocomplete": "organization-title"}),
            "organisation": forms.TextInput(attrs={"autocomplete": "organization"}),
            "country": LongSelect(attrs={"autocomplete": "country"}),
        }
        error_messages = {
            "full_name": {"required": _("Write your full name.")},
            "position": {"required": _("Write your position.")},
            "organisation": {"required": _("Write the name of your organisation.")},
            "country": {
                "required": _("Choose your country."),
                "invalid_choice": _("Choose a country from the list."),
            },
            "preferred_language": {
                "required": _("Choose the language of our e-mails."),
                "invalid_choice": _("Choose one of the languages offered."),
            },
        }
        help_texts = {
            "honorific": _("Optional, for example “Ambassador” or “Dr.”."),
            "phone": _("Optional. With the country code, for example +51 1 710 6400."),
            "preferred_language": _("The language of our e-mails to you."),
            "dietary_needs": _("Optional. For the coffee breaks."),
            "accessibility_needs": _("Optional. Anything that helps you take part in the room."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].validators.append(validate_phone)
        self.fields["country"].choices = CountryChoices()
        for name in SINGLE_LINE_FIELDS:
            self.fields[name].validators.append(control_characters_refuser())
        for name in NEEDS_FIELDS:
            self.fields[name].validators.append(MaxLengthValidator(NEEDS_MAX_LENGTH))
            # A textarea takes line breaks; a tab only arrives pasted (the key moves the focus),
            # is harmless in both export formats, and refusing it would puzzle its author.
            self.fields[name].validators.append(control_characters_refuser(allowed="\t\n\r"))
            self.fields[name].widget.attrs["maxlength"] = str(NEEDS_MAX_LENGTH)
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        cleaned_data = super().clean()
        self._check_needs_consent(cleaned_data)
        return cleaned_data

    def attends_in_person(self, cleaned_data):
        """True or False; None while the attendance mode itself is not valid."""
        return self.instance.is_in_person

    def _check_needs_consent(self, cleaned_data):
        needs_given = any((cleaned_data.get(name) or "").strip() for name in NEEDS_FIELDS)
        in_person = self.attends_in_person(cleaned_data)
        if not needs_given or in_person is None:
            return
        if not in_person:
            for name in NEEDS_FIELDS:
                if (cleaned_data.get(name) or "").strip():
                    self.add_error(
                        name,
                        _(
                            "We ask this only of people attending in person. Empty this field, "
                            "or choose to attend in person."
                        ),
                    )
            return
        if not cleaned_data.get("sensitive_data_consent"):
            self.add_error(
                "sensitive_data_consent",
                _(
                    "You wrote dietary or accessibility needs: tick this box so that we may keep "
                    "them, or empty those fields."
                ),
            )

    def needs_fieldset(self):
        return Fieldset(
            _("If you attend in person"),
            HTML(
                format_html(
                    '<p class="form-text">{}</p>',
                    _(
                        "Dietary and accessibility needs may reveal health or religion, which the "
                        "law protects as sensitive data. They are optional: we keep them only with "
                        "your consent, and only to provide for them."
                    ),
                )
            ),
            *NEEDS_FIELDS,
            "sensitive_data_consent",
        )


class RegistrationForm(ParticipantDetailsForm):
    """Registering for an event: how and as whom one takes part, details, needs and consents."""

    attendance_mode = forms.ChoiceField(
        label=_("How will you take part?"),
        choices=AttendanceMode.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose whether you will attend in person or online."),
            "invalid_choice": _("Choose in person in Lima or virtual."),
        },
    )
    category = CategoryChoiceField(
        label=_("You take part as"),
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("Choose the category you take part as."),
            "invalid_choice": _("Choose one of the categories offered."),
        },
    )
    privacy_consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree that my data are processed as it says."),
        error_messages={"required": _("To register, please accept the privacy notice.")},
    )
    # A field people never see: bots that fill every input give themselves away.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    field_order = [
        "attendance_mode",
        "category",
        *DETAIL_FIELDS,
        *NEEDS_FIELDS,
        "sensitive_data_consent",
        "privacy_consent",
        "photography_consent",
        "website",
    ]

    # The blank form's markup as crispy-forms draws it, by language and categories on offer. It is
    # the same for everyone who opens the page, and drawing it through crispy's templates, field
    # by field, was most of the page's cost: in a registration rush every second person would pay
    # it again. Each process draws it once per language and offer of categories.
    _blank_markup = {}
    BLANK_MARKUP_KEPT = 32

    def __init__(self, *args, event, **kwargs):
        # Blank: nothing posted, nothing carried over from an earlier registration.
        self.is_blank = not (args or kwargs.get("data") or kwargs.get("initial"))
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["category"].queryset = event.audience_categories.filter(
            is_active=True
        ).order_by("order", "pk")
        if not self.is_bound and not self.initial.get("preferred_language"):
            language = get_language()
            if language in dict(settings.LANGUAGES):
                self.initial["preferred_language"] = language
        self.fields["privacy_consent"].help_text = format_html(
            '<a href="{}">{}</a>',
            reverse("registration:privacy-notice"),
            _("Read the privacy notice"),
        )
        self.helper.layout = Layout(
            Fieldset(_("How you take part"), "attendance_mode", "category"),
            Fieldset(_("About you"), *DETAIL_FIELDS),
            self.needs_fieldset(),
            Fieldset(_("Consent"), "privacy_consent", "photography_consent"),
            Div("website", css_class="form-honeypot", aria_hidden="true"),
        )

    def as_html(self):
        """The form's markup, exactly as `{% crispy form %}` draws it."""
        if not self.is_blank or self.is_bound:
            return render_crispy_form(self)
        # The categories are read once, in one query: for the key, and to draw the form if it is
        # not kept yet. Not through the field's choices: those read them with iterator(), a
        # server-side cursor on PostgreSQL (three round trips where one does).
        category = self.fields["category"]
        category.widget.choices = categories = [
            category.iterator(category).choice(option) for option in category.queryset
        ]
        # Everything else the markup depends on (fields, countries, templates, catalogues) is
        # fixed for the life of the process.
        key = (
            get_language(),
            self.initial.get("preferred_language"),
            tuple((str(value), str(label)) for value, label in categories),
        )
        markup = self._blank_markup.get(key)
        if markup is None:
            markup = render_crispy_form(self)
            if len(self._blank_markup) >= self.BLANK_MARKUP_KEPT:
                self._blank_markup.clear()
            self._blank_markup[key] = markup
        return markup

    def attends_in_person(self, cleaned_data):
        mode = cleaned_data.get("attendance_mode")
        return None if mode is None else mode == AttendanceMode.IN_PERSON

    @property
    def is_from_a_bot(self):
        return bool(self.data.get(self.add_prefix("website"), "").strip())

    def clean(self):
        if self.is_from_a_bot:
            # A plain refusal: it tells a bot nothing about which check it failed.
            raise forms.ValidationError(
                _("Your registration could not be processed."), code="rejected"
            )
        cleaned_data = super().clean()
        category, mode = cleaned_data.get("category"), cleaned_data.get("attendance_mode")
        if category and mode and not category.allows(mode):
            self.add_error("category", category_refusal(category))
        return cleaned_data

    def details(self):
        """The Registration fields services.register() takes."""
        names = ["attendance_mode", "category", *DETAIL_FIELDS, *NEEDS_FIELDS]
        return {name: self.cleaned_data[name] for name in names}


def category_refusal(category):
    """Why a category cannot take part in the chosen way, and what to do instead."""
    if category.allows_in_person and not category.allows_virtual:
        return _(
            "People taking part as “%(category)s” attend in person in Lima. Choose “%(mode)s”, "
            "or another category."
        ) % {"category": category.name, "mode": AttendanceMode.IN_PERSON.label}
    if category.allows_virtual and not category.allows_in_person:
        return _(
            "People taking part as “%(category)s” attend online. Choose “%(mode)s”, or another "
            "category."
        ) % {"category": category.name, "mode": AttendanceMode.VIRTUAL.label}
    return _("The category “%(category)s” is not open for registration.") % {
        "category": category.name
    }


class EditDetailsForm(ParticipantDetailsForm):
    """A registered participant's own details; mode, category and status change elsewhere."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        registration = self.instance
        in_force = registration.consents_in_force()
        self.consents_before = {
            purpose: bool(purpose in in_force and in_force[purpose].is_granted)
            for purpose in (Consent.Purpose.SENSITIVE_DATA, Consent.Purpose.PHOTOGRAPHY)
        }
        self.fields["sensitive_data_consent"].initial = self.consents_before[
            Consent.Purpose.SENSITIVE_DATA
        ]
        self.fields["photography_consent"].initial = self.consents_before[
            Consent.Purpose.PHOTOGRAPHY
        ]
        if not registration.is_in_person:
            for name in [*NEEDS_FIELDS, "sensitive_data_consent"]:
                del self.fields[name]
        fieldsets = [Fieldset(_("About you"), *DETAIL_FIELDS)]
        if registration.is_in_person:
            fieldsets.append(self.needs_fieldset())
        fieldsets.append(Fieldset(_("Consent"), "photography_consent"))
        self.helper.layout = Layout(*fieldsets)

    def consent_changes(self):
        """{purpose: granted} for each consent the participant changed with this form."""
        changes = {}
        wanted = {Consent.Purpose.PHOTOGRAPHY: self.cleaned_data["photography_consent"]}
        if "sensitive_data_consent" in self.cleaned_data:
            wanted[Consent.Purpose.SENSITIVE_DATA] = self.cleaned_data["sensitive_data_consent"]
        for purpose, granted in wanted.items():
            if granted != self.consents_before[purpose]:
                changes[purpose] = granted
        return changes

    def save(self, commit=True):
        """
        Save only the details: a promotion may change the status while the person edits, and
        saving every column would put the old status back.
        """
        registration = self.instance
        names = [name for name in [*DETAIL_FIELDS, *NEEDS_FIELDS] if name in self.cleaned_data]
        registration.save(update_fields=[*names, "updated_at"])
        return registration


def forget_kept_markup():
    """Forget the blank forms and country lists this process keeps (each test starts afresh)."""
    RegistrationForm._blank_markup.clear()
    CountryChoices._by_language.clear()


class CountryChoices(BaseChoiceIterator):
    """
    The countries in the active language (the region's first), after a prompt to choose.

    Sorting a few hundred names in the reader's language took as long as the rest of building the
    form, and they do not change while the process runs: each language's list is made once, and
    read only when the select is drawn or a choice checked.
    """

    _by_language = {}

    def __iter__(self):
        language = get_language()
        choices = self._by_language.get(language)
        if choices is None:
            countries = list(ParticipantDetailsForm.base_fields["country"].choices)[1:]
            choices = [("", _("Choose your country")), *countries]
            self._by_language[language] = choices
        yield from choices


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "I understand that my account, my registrations and their history will be deleted "
            "and cannot be recovered."
        ),
        error_messages={
            "required": _("Tick the box to confirm that you want to delete your account.")
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.disable_csrf = True
