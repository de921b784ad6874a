"""
A speaker as the agenda and a session's page introduce them: name, position, organisation, role.

Drawn in Python rather than by an include per speaker: the agenda shows dozens of them, and an
include costs a context, a template lookup and a dozen nodes each time.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from agenda.models import SessionSpeaker

register = template.Library()


@register.simple_tag
def speaker_line(link):
    """`{% speaker_line link %}` for a SessionSpeaker whose speaker and organisation are loaded."""
    speaker = link.speaker
    parts = [format_html('<span class="speaker-name">{}</span>', speaker.display_name)]
    if speaker.position:
        parts.append(format_html("{}", speaker.position))
    organisation = speaker.organisation
    if organisation:
        if organisation.acronym:
            parts.append(
                format_html('<abbr title="{}">{}</abbr>', organisation.name, organisation.acronym)
            )
        else:
            parts.append(format_html("{}", organisation.name))
    line = mark_safe(", ".join(parts))
    if link.role == SessionSpeaker.Role.MODERATOR:
        line += format_html(' <span class="speaker-role">({})</span>', gettext("moderator"))
    if not speaker.is_confirmed:
        line += format_html(' <span class="badge tbc-badge">{}</span>', gettext("To be confirmed"))
    return line
