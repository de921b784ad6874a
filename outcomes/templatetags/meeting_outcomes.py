"""For the agenda's pages to point to a meeting's outcomes, once organisers published them."""

from django import template

from ..models import Outcome

register = template.Library()


@register.simple_tag
def published_outcome(event):
    """The event's outcomes if published, else None (one query)."""
    return Outcome.objects.filter(event=event, is_published=True).first()
