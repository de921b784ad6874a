"""
The public pages of the outcomes: a meeting's outcomes and the convergence matrix of every
roundtable, with its spreadsheet downloads. The same for every visitor, so kept in the page cache
(per filter, agenda/filters.py) until an outcome, an action or what they show changes.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from agenda.filters import FilteredPageVariant, FilteredPublicPageMixin
from agenda.views import EventPageMixin
from pagecache import mark_public_page

from .exports import matrix_dataset
from .forms import MatrixFilterForm
from .models import Outcome

SPREADSHEET_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class EventOutcomesView(EventPageMixin, TemplateView):
    """A meeting's published outcomes: its summary and its actions."""

    template_name = "outcomes/event_outcomes.html"
    nav_section = "outcomes"

    def get_context_data(self, **kwargs):
        outcome = get_object_or_404(Outcome, event=self.get_event(), is_published=True)
        actions = outcome.actions.for_display()
        return super().get_context_data(outcome=outcome, actions=actions, **kwargs)


class MatrixView(FilteredPublicPageMixin, TemplateView):
    template_name = "outcomes/matrix.html"
    filter_form_class = MatrixFilterForm

    def get_context_data(self, **kwargs):
        form = self.filter_form
        return super().get_context_data(
            form=form,
            actions=form.actions(),
            query_string=form.query_string(),
            nav_section="matrix",
            **kwargs,
        )


@require_safe
def matrix_download(request, file_format):
    """The filtered matrix as a CSV or Excel file, in the visitor's language."""
    if file_format not in SPREADSHEET_FORMATS:
        raise Http404
    mark_public_page(request, variant=FilteredPageVariant(MatrixFilterForm))
    form = MatrixFilterForm(request.GET)
    form.is_valid()
    dataset = matrix_dataset(form.actions())
    # The byte order mark tells Excel the CSV is UTF-8: without it, accents come out garbled.
    content = "\ufeff" + dataset.csv if file_format == "csv" else dataset.xlsx
    response = HttpResponse(content, content_type=SPREADSHEET_FORMATS[file_format])
    response["Content-Disposition"] = content_disposition_header(
        True, f"convergence-matrix.{file_format}"
    )
    return response
