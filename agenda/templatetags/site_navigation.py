"""
What every page's frame needs: the same page in the other language, and the event to navigate in.

The language switch is a plain link, not Django's set_language form: a form that posts would put a
CSRF token, and so per-visitor state, on every public page.
"""

from dataclasses import dataclass
from urllib.parse import quote

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.translation import get_language, get_language_info, override, to_locale

from agenda.models import Event
from agenda.timezones import QUERY_PARAMETER

register = template.Library()


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    url: str
    is_current: bool
    absolute_url: str = ""

    @property
    def hreflang(self):
        """The tag search engines expect: "pt-BR" for Django's "pt-br"."""
        return to_locale(self.code).replace("_", "-")


def _on_site(path):
    # The site's own address, never the request's Host header: the page is cached for everyone.
    return settings.SITE_URL + path


def _local_name(code):
    """
    The language's own name, capitalised as a menu entry starts: "Português" rather than
    "Português Brasileiro" while the site offers one variant of the language only.
    """
    generic = code.split("-")[0]
    variants = [other for other, _name in settings.LANGUAGES if other.split("-")[0] == generic]
    name = get_language_info(generic if len(variants) == 1 else code)["name_local"]
    return name[:1].upper() + name[1:]


def _same_page_in(request, language):
    # Only the parameter that changes the page travels: other parameters (utm tags, made-up ones)
    # would otherwise be drawn into a page the cache shares with everyone.
    zone = request.GET.get(QUERY_PARAMETER)
    query = f"?{QUERY_PARAMETER}={quote(zone, safe='/')}" if zone else ""
    # The match Django made for this request, so the links cost a reverse() each, not a resolve().
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            # A page that does not exist in any language: offer the home page instead.
            with override(language):
                return reverse("agenda:home")
    filters = _valid_filters(request)
    if filters:
        query = f"{query}&{filters}" if query else f"?{filters}"
    with override(language):
        try:
            return reverse(match.view_name, args=match.args, kwargs=match.kwargs) + query
        except NoReverseMatch:
            return request.path_info + query


def _valid_filters(request):
    """
    A filtered page's filters (agenda/filters.py), written the one way its cached copy is keyed
    by: the same list in another language keeps them. None when the page has no filters or they do
    not all validate (such a page is never stored, and its links then drop them).
    """
    form = getattr(request, "filter_form", None)
    if form is None or not form.is_valid():
        return None
    return form.query_string()


@register.simple_tag(takes_context=True)
def language_links(context):
    """One link per language to the page being read, its ?tz= kept."""
    request = context.get("request")
    current = get_language()
    links = []
    for code, _name in settings.LANGUAGES:
        if request is not None:
            url = _same_page_in(request, code)
            absolute_url = _on_site(url)
        else:
            with override(code):
                url = absolute_url = reverse("agenda:home")
        links.append(LanguageLink(code, _local_name(code), url, code == current, absolute_url))
    return links


@register.simple_tag(takes_context=True)
def default_language_url(context):
    """
    The page's address without its language prefix, for hreflang="x-default": opening it sends a
    visitor to their browser's language (forum/middleware.py), Spanish when none matches.
    """
    request = context.get("request")
    if request is None:
        return ""
    path = _same_page_in(request, settings.LANGUAGE_CODE)
    prefix = f"/{settings.LANGUAGE_CODE}/"
    if path.startswith(prefix):
        path = "/" + path[len(prefix) :]
    return _on_site(path)


@register.simple_tag
def navigation_event(event=None):
    """The event the menu points to: the page's own, else the featured one (404, accounts)."""
    return event or Event.objects.featured()
