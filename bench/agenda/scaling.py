"""
How the cost of drawing the agenda and the meeting's .ics grows with the agenda: the same pages for
an event of 10 sessions and one of 40 (two speakers each, with topics), drawn in this process with
the page cache off, timed round by round in turns so that the machine's other load weighs on both.

    .venv/bin/python bench/agenda/scaling.py [--rounds 15] [--requests 20]

It builds a throwaway SQLite database (or uses DATABASE_URL: it is migrated and written to) and
prints, for each page, the median time per request, the ratio 40/10 (goal: at most 1.5) and the
number of queries of each (goal: the same). Each page is timed three times (agenda/drawing.py):
- first draw: after a deploy, or an edit of the event itself: everything read, every session's
  entry drawn;
- state read again: after an edit of other sessions, the event and its sessions read again, the
  entries of those not edited reused;
- drawn again: in a time zone not drawn yet, or with the page cache off: the agenda unchanged, so
  the event, its sessions and their entries are all kept by the process.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=20, help="requests per page and round")
    return parser.parse_args()


def setup_django(workdir):
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'scaling.sqlite3'}")
    os.environ.update(
        DEBUG="false",
        SECRET_KEY="scaling-benchmark",
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
        PAGE_CACHE_URL="dummycache://",
        LOG_LEVEL="ERROR",
        DJANGO_SETTINGS_MODULE="forum.settings",
    )
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build_event(sessions):
    from tests.agenda.factories import (
        EventFactory,
        SessionFactory,
        SessionSpeakerFactory,
        lima,
    )

    event = EventFactory()
    for number in range(sessions):
        session = SessionFactory(
            event=event,
            # Five minutes each from 09:00, as many as the morning holds.
            starts_at=lima(9 + number * 5 // 60, number * 5 % 60),
            ends_at=lima(9 + (number * 5 + 5) // 60, (number * 5 + 5) % 60),
            topics_es="Un tema de la sesión.\nOtro tema.",
            topics_en="A topic of the session.\nAnother topic.",
        )
        for _ in range(2):
            SessionSpeakerFactory(session=session)
    return event


def main():
    arguments = parse_arguments()
    workdir = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    setup_django(workdir)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import translation

    from agenda.drawing import forget_drawn_pieces, public_events

    client = Client()
    events = {size: build_event(size) for size in (10, 40)}
    with translation.override("es"):
        pages = {
            "agenda": {
                size: reverse("agenda:event-agenda", kwargs={"event_slug": event.slug})
                for size, event in events.items()
            },
            "meeting .ics": {
                size: reverse("agenda:event-calendar", kwargs={"event_slug": event.slug})
                for size, event in events.items()
            },
        }
    cases = [
        (f"{page}, {case}", pages[page], before_each)
        for page in ("agenda", "meeting .ics")
        for case, before_each in (
            ("first draw", forget_drawn_pieces),
            ("state read again", public_events.forget),
            ("drawn again", None),
        )
    ]
    print(f"Load before: {os.getloadavg()[0]:.2f}")
    for name, paths, before_each in cases:
        queries, sizes = {}, {}
        for size, path in paths.items():
            for _ in range(5):
                client.get(path)
            if before_each:
                before_each()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            queries[size], sizes[size] = len(captured), len(response.content)
        timings = {size: [] for size in paths}
        for _ in range(arguments.rounds):
            for size, path in paths.items():
                started = time.perf_counter()
                for _ in range(arguments.requests):
                    if before_each:
                        before_each()
                    client.get(path)
                timings[size].append((time.perf_counter() - started) / arguments.requests)
        medians = {size: statistics.median(values) * 1000 for size, values in timings.items()}
        print(
            f"{name}: 10 sessions {medians[10]:.2f} ms ({sizes[10]} bytes, {queries[10]} queries),"
            f" 40 sessions {medians[40]:.2f} ms ({sizes[40]} bytes, {queries[40]} queries):"
            f" 40/10 = {medians[40] / medians[10]:.2f}"
        )
    print(f"Load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
