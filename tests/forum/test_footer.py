"""
The privacy notice is the information Peru's data-protection law (Ley 29733) owes every visitor:
every page of the site links it from its footer, not only the sign-up form.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.template import loader
from django.template.loader_tags import ExtendsNode

from tests.agenda.factories import EventFactory
from tests.languages import url

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Failure pages are drawn without the database or URL lookups, which may be what failed.
DRAWN_WITHOUT_THE_SITE = {"500.html", "503.html"}


def footer_link(language):
    return f'<a href="{url(language, "registration:privacy-notice")}">'


@pytest.mark.parametrize(
    ("language", "name", "kwargs"),
    [
        ("es", "agenda:home", {}),
        ("en", "agenda:event-agenda", {"event_slug": "meeting"}),
        ("es", "agenda:speaker-list", {"event_slug": "meeting"}),
        ("en", "account_login", {}),
        ("es", "account_reset_password", {}),
        ("en", "registration:privacy-notice", {}),
    ],
)
def test_every_page_links_the_privacy_notice_in_its_footer(client, language, name, kwargs):
    EventFactory(slug="meeting")

    html = client.get(url(language, name, **kwargs)).content.decode()

    footer = html.split('<footer class="site-footer">', 1)[1]
    assert footer_link(language) in footer


def test_a_page_not_found_links_the_privacy_notice_too(client):
    html = client.get("/en/no-such-page/").content.decode()

    assert footer_link("en") in html.split('<footer class="site-footer">', 1)[1]


def extends_base(template):
    for node in template.nodelist.get_nodes_by_type(ExtendsNode):
        parent = node.parent_name.var
        if parent == "base.html":
            return True
        return extends_base(loader.get_template(parent).template)
    return False


def test_every_page_template_extends_base_and_so_has_its_footer():
    pages = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        # Partials, mail bodies and allauth's building blocks are parts of pages, and the admin
        # has its own layout.
        if not path.name.startswith("_")
        and not {"admin", "email", "elements"} & set(path.relative_to(TEMPLATES).parts)
        and path.name not in {"base.html", *DRAWN_WITHOUT_THE_SITE}
    ]

    assert len(pages) > 20
    assert [page for page in pages if not extends_base(loader.get_template(page).template)] == []
