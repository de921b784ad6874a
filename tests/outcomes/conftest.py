import datetime

import pytest

from tests.agenda.factories import (
    EventFactory,
    OrganisationFactory,
    RoundtableFactory,
    SessionFactory,
    lima,
)

from .factories import ActionFactory, OutcomeFactory

ENERGY_DAY = datetime.date(2025, 3, 10)


@pytest.fixture
def fingerprint_every_request(settings):
    """Every request reads the public state again, as in tests/agenda/conftest.py."""
    settings.PUBLIC_PAGE_FINGERPRINT_MAX_AGE = 0


@pytest.fixture
def matrix(db):
    """
    Two roundtables' meetings with published outcomes, and a third meeting whose outcomes are not
    published yet: what the convergence matrix may and may not show.
    """
    cross_border = RoundtableFactory(
        key="cross-border-cooperation-and-infrastructure",
        name_es="Cooperación transfronteriza e infraestructura",
        name_en="Cross-border cooperation and infrastructure",
        order=3,
    )
    energy = RoundtableFactory(
        key="sustainable-energy",
        name_es="Energía sostenible",
        name_en="Sustainable energy",
        order=4,
    )
    sgcan = OrganisationFactory(acronym="SGCAN", name_en="General Secretariat of the CAN")
    sela = OrganisationFactory(
        acronym="SELA", name_en="Latin American and Caribbean Economic System"
    )
    caf = OrganisationFactory(acronym="CAF", name_en="Development Bank of Latin America")
    meeting = EventFactory(
        slug="cross-border-2024", title_en="Cross-border meeting", roundtable=cross_border
    )
    session = SessionFactory(
        event=meeting,
        title_en="INTERCOM",
        title_es="INTERCOM",
        starts_at=lima(10, 20),
        ends_at=lima(10, 40),
    )
    outcome = OutcomeFactory(event=meeting)
    interoperability = ActionFactory(
        outcome=outcome,
        description_en="Interoperable border crossings",
        description_es="Pasos de frontera interoperables",
        horizon="short_term",
        status="agreed",
        session=session,
        leads=[sgcan],
        participants=[caf],
    )
    roadmap = ActionFactory(
        outcome=outcome,
        description_en="A regional roadmap for logistics",
        description_es="Una hoja de ruta regional de logística",
        horizon="by_date",
        horizon_date="2025-06-30",
        status="proposed",
        leads=[sela],
    )
    energy_meeting = EventFactory(
        slug="energy-2025",
        title_en="Energy meeting",
        roundtable=energy,
        starts_at=lima(9, day=ENERGY_DAY),
        ends_at=lima(13, day=ENERGY_DAY),
    )
    grid = ActionFactory(
        outcome=OutcomeFactory(event=energy_meeting),
        description_en="Connected electricity grids",
        description_es="Redes eléctricas conectadas",
        horizon="long_term",
        status="in_progress",
        leads=[caf],
        participants=[sgcan],
    )
    draft_meeting = EventFactory(slug="draft-2025", roundtable=energy)
    hidden = ActionFactory(
        outcome=OutcomeFactory(event=draft_meeting, is_published=False),
        description_en="Not yet published",
        description_es="Aún no publicada",
        leads=[sgcan],
    )
    return {
        "cross_border": cross_border,
        "energy": energy,
        "sgcan": sgcan,
        "sela": sela,
        "caf": caf,
        "meeting": meeting,
        "session": session,
        "outcome": outcome,
        "interoperability": interoperability,
        "roadmap": roadmap,
        "grid": grid,
        "hidden": hidden,
    }
