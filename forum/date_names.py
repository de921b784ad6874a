"""
Month and weekday names as they are written inside a date.

Brazilian Portuguese writes them in lower case (“15 de agosto de 2024”, “quinta-feira”: Acordo
Ortográfico de 1990), but Django's pt_BR catalogue capitalises them. The project's catalogues are
read before Django's, so the translations of these names in locale/*/ win; naming them here is what
keeps them there when makemessages runs. Nothing imports this module.
"""

from django.utils.translation import gettext_noop

MONTHS = [
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
]

WEEKDAYS = [
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
    gettext_noop("Sunday"),
]
