from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agenda.filters import FilterForm, RoundtableChoiceField
from agenda.models import Organisation

from .models import Action

SELECT = forms.Select(attrs={"class": "form-select"})


class MatrixFilterForm(FilterForm):
    """The convergence matrix's filters, read from the query string (?roundtable=…&status=…)."""

    roundtable = RoundtableChoiceField()
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label=_("Organisation"),
        empty_label=_("All organisations"),
        error_messages={"invalid_choice": _("There is no such organisation in the matrix.")},
        widget=SELECT,
    )
    horizon = forms.ChoiceField(
        choices=[("", _("Any horizon")), *Action.Horizon.choices],
        required=False,
        label=_("Horizon"),
        widget=SELECT,
    )
    status = forms.ChoiceField(
        choices=[("", _("Any status")), *Action.Status.choices],
        required=False,
        label=_("Status"),
        widget=SELECT,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only organisations that lead or take part in a published action: any other choice would
        # always show an empty matrix.
        published = Action.objects.published()
        self.fields["organisation"].queryset = Organisation.objects.filter(
            Q(actions_led__in=published) | Q(actions_joined__in=published)
        ).distinct()

    def actions(self):
        """The published actions these filters select, in the matrix's order."""
        filters = getattr(self, "cleaned_data", {})
        return (
            Action.objects.published()
            .filtered(
                roundtable=filters.get("roundtable"),
                organisation=filters.get("organisation"),
                horizon=filters.get("horizon", ""),
                status=filters.get("status", ""),
            )
            .for_display()
            .in_matrix_order()
        )
