"""
What every process would otherwise do on its first requests, done once in gunicorn's master before
it forks the workers (gunicorn.conf.py preloads the application): the workers share the result, so
a new or recycled worker answers its first visitors as fast as the others instead of spending half
a second importing views, reading catalogues, compiling templates and time zone files.

Nothing here opens a database connection: one made before the fork would be shared by every worker.
"""

import logging
import time
import zoneinfo
from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation

from agenda.timezones import available_zone_names

logger = logging.getLogger(__name__)

# zoneinfo keeps only the last few zones it read unless someone holds on to them.
_zones_read = []


def _project_templates():
    for directory in settings.TEMPLATES[0]["DIRS"]:
        for path in sorted(Path(directory).rglob("*.html")):
            yield path.relative_to(directory).as_posix()


def warm_up():
    started = time.perf_counter()
    # Every URL module, and with them every view; each language's catalogues and URL names.
    for code, _name in settings.LANGUAGES:
        # Activating a language reads its catalogues.
        with translation.override(code):
            reverse("agenda:home")
    # The cached template loader keeps what it compiled.
    for name in _project_templates():
        try:
            get_template(name)
        except (TemplateDoesNotExist, TemplateSyntaxError):
            logger.exception("Template %s could not be compiled ahead", name)
    # The time zone selector reads every zone the machine knows.
    _zones_read[:] = [zoneinfo.ZoneInfo(name) for name in available_zone_names()]
    logger.info("Warmed up in %.0f ms", (time.perf_counter() - started) * 1000)
