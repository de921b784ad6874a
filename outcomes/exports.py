"""
The convergence matrix as a spreadsheet (CSV or Excel), through django-import-export: the same
actions the page shows with the same filters, in the visitor's language, every cell made safe to
open (agenda.spreadsheets.safe_cell: no formula runs, no control character breaks the file).
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import resources
from import_export.fields import Field

from agenda.spreadsheets import safe_cell

from .models import Action


def _names(organisations):
    return "; ".join(str(organisation) for organisation in organisations.all())


class ActionResource(resources.ModelResource):
    roundtable = Field(column_name=_("Roundtable"))
    meeting = Field(column_name=_("Meeting"))
    meeting_date = Field(column_name=_("Meeting date"))
    description = Field(attribute="description", column_name=_("Action"))
    lead_organisations = Field(column_name=_("Lead organisations"))
    participating_organisations = Field(column_name=_("Participating organisations"))
    horizon = Field(column_name=_("Horizon"))
    status = Field(column_name=_("Status"))
    session = Field(column_name=_("Session"))

    class Meta:
        model = Action
        fields = (
            "roundtable",
            "meeting",
            "meeting_date",
            "description",
            "lead_organisations",
            "participating_organisations",
            "horizon",
            "status",
            "session",
        )
        export_order = fields

    @classmethod
    def get_display_name(cls):
        return gettext("Convergence matrix")

    def export_field(self, field, instance, **kwargs):
        return safe_cell(super().export_field(field, instance, **kwargs))

    def dehydrate_roundtable(self, action):
        roundtable = action.outcome.event.roundtable
        return str(roundtable) if roundtable else ""

    def dehydrate_meeting(self, action):
        return str(action.outcome.event)

    def dehydrate_meeting_date(self, action):
        return action.outcome.event.local_starts_at.date().isoformat()

    def dehydrate_lead_organisations(self, action):
        return _names(action.lead_organisations)

    def dehydrate_participating_organisations(self, action):
        return _names(action.participating_organisations)

    def dehydrate_horizon(self, action):
        if action.horizon == Action.Horizon.BY_DATE and action.horizon_date:
            return action.horizon_date.isoformat()
        return str(action.get_horizon_display())

    def dehydrate_status(self, action):
        return str(action.get_status_display())

    def dehydrate_session(self, action):
        return str(action.session) if action.session else ""


def matrix_dataset(actions):
    """A tablib Dataset of the actions (from MatrixFilterForm.actions()), ready for .csv/.xlsx."""
    # A list: import-export would page through a prefetching queryset, a count and a query a page.
    return ActionResource().export(queryset=list(actions))
