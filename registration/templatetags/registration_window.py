"""What a public page may say about registration: the same for every visitor."""

from django import template

from registration.models import RegistrationSettings

register = template.Library()


@register.simple_tag
def registration_window(event):
    """Where `event`'s registration window stands now (RegistrationSettings.Window)."""
    return RegistrationSettings.objects.for_event(event).window()
