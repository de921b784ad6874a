import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from agenda.models import Event
from registration import services
from registration.models import Registration


class Command(BaseCommand):
    help = (
        "Anonymises the registrations of the events that ended more than the retention period "
        "ago (settings.PERSONAL_DATA_RETENTION_DAYS, 180 days unless PERSONAL_DATA_RETENTION_DAYS "
        "says otherwise): names, contact details, sensitive needs and the link to the account are "
        "erased; the rows stay, so the event's figures (by status, mode, category and country) "
        "do not change. Safe to run every day: what is already anonymised is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            metavar="N",
            help="Anonymise the events that ended more than N days ago "
            "(default: PERSONAL_DATA_RETENTION_DAYS).",
        )
        parser.add_argument(
            "--event",
            dest="event_slug",
            metavar="SLUG",
            help="Only this event (still only once it ended more than N days ago).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say what would be anonymised; change nothing.",
        )

    def handle(self, *args, days=None, event_slug=None, dry_run=False, **options):
        days = settings.PERSONAL_DATA_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be zero or more.")
        events = Event.objects.order_by("ends_at", "pk")
        if event_slug:
            events = events.filter(slug=event_slug)
            if not events.exists():
                raise CommandError(f"No event has the slug {event_slug!r}.")
        now = timezone.now()
        retention = datetime.timedelta(days=days)
        cutoff = now - retention
        due = Registration.objects.due_for_anonymisation(now, days)
        self.stdout.write(
            f"Retention: {days} days after the end of an event "
            f"(events that ended before {cutoff:%Y-%m-%d %H:%M} UTC)."
        )
        total = sum(
            self.purge(event, due, now=now, retention=retention, dry_run=dry_run)
            for event in events
        )
        if dry_run:
            self.stdout.write(
                f"Dry run: {total} registrations would be anonymised; nothing changed."
            )
        else:
            self.stdout.write(f"{total} registrations anonymised.")

    def purge(self, event, due, *, now, retention, dry_run):
        """Anonymise one event's due registrations; returns how many. Names are never printed."""
        heading = f"{event.slug} (end {event.local_ends_at:%Y-%m-%d %H:%M} {event.time_zone})"
        registrations = Registration.objects.for_event(event)
        if event.ends_at >= now - retention:
            kept_until = event.local_ends_at + retention
            self.stdout.write(
                f"{heading}: {registrations.count()} registrations, kept until "
                f"{kept_until:%Y-%m-%d %H:%M}."
            )
            return 0
        already = registrations.anonymised().count()
        if dry_run:
            count = due.for_event(event).count()
            self.stdout.write(
                f"{heading}: {count} registrations would be anonymised, "
                f"{already} already anonymised."
            )
            return count
        to_anonymise = services.anonymise_due(event, now=now, days=retention.days)
        figures = ", ".join(
            f"{row['count']} {row['status']}"
            for row in registrations.values("status").annotate(count=Count("pk")).order_by("status")
        )
        self.stdout.write(
            f"{heading}: {len(to_anonymise)} registrations anonymised, {already} already "
            f"anonymised; the figures stay: {figures}."
        )
        return len(to_anonymise)
