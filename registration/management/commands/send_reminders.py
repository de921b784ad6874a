import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from agenda.models import Event
from registration.emails import send_reminder_once
from registration.models import Registration

# An event that starts "tomorrow" in its own zone starts within this much of now, whatever the
# zone and its daylight saving: a cheap bound before the exact check in Python.
TOMORROW_HORIZON = datetime.timedelta(hours=50)


def events_starting_tomorrow(now):
    """
    Published events whose start, read in the event's own time zone, falls on the calendar day
    after `now` read in that same zone.

    A reminder is "the day before" by nature, so here — and only here — the clock is compared with
    the meeting's date; registration itself never does.
    """
    candidates = Event.objects.published().filter(
        starts_at__gt=now, starts_at__lt=now + TOMORROW_HORIZON
    )
    return [
        event
        for event in candidates
        if event.local_starts_at.date()
        == timezone.localtime(now, event.zone).date() + datetime.timedelta(days=1)
    ]


class Command(BaseCommand):
    help = (
        "Sends the day-before reminder to every confirmed participant of the events that start "
        "tomorrow (in each event's own time zone), or of the event given with --event whatever "
        "its date. A participant never receives the same reminder twice, even when two runs "
        "overlap; reminders that could not be sent are retried by the next run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--event",
            dest="event_slug",
            metavar="SLUG",
            help="Send the reminders of this event now, whatever its date.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List who would receive a reminder; send nothing and record nothing.",
        )

    def handle(self, *args, event_slug=None, dry_run=False, **options):
        now = timezone.now()
        if event_slug:
            event = Event.objects.filter(slug=event_slug).first()
            if event is None:
                raise CommandError(f"No event has the slug {event_slug!r}.")
            events = [event]
        else:
            events = events_starting_tomorrow(now)
            if not events:
                self.stdout.write("No event starts tomorrow: no reminders to send.")
                return
        failed = sum(self.remind(event, now=now, dry_run=dry_run) for event in events)
        if failed:
            # A non-zero exit status, so that cron or the scheduler reports it.
            raise CommandError(
                f"{failed} reminders could not be sent (see the log); the next run retries them."
            )

    def remind(self, event, *, now, dry_run):
        """Remind the event's confirmed participants; returns how many mails failed."""
        confirmed = Registration.objects.for_event(event).confirmed()
        due = list(
            confirmed.filter(reminder_sent_at__isnull=True)
            .select_related("event", "category")
            .order_by("created_at", "pk")
        )
        already = confirmed.filter(reminder_sent_at__isnull=False).count()
        starts = event.local_starts_at
        heading = f"{event.slug} ({starts:%Y-%m-%d %H:%M} {event.time_zone})"
        if dry_run:
            # References, not names or addresses: this output may end up in a cron log.
            for registration in due:
                self.stdout.write(
                    f"  would remind {registration.reference} ({registration.attendance_mode})"
                )
            self.stdout.write(
                f"{heading}: {len(due)} reminders would be sent, {already} already sent "
                "(dry run: nothing sent)."
            )
            return 0
        claimed = [
            registration.pk for registration in due if send_reminder_once(registration, now=now)
        ]
        # With the immediate task backend each mail has been attempted by now; a failed one gave
        # its claim back (see emails.send_registration_email) and is counted here.
        failed = Registration.objects.filter(pk__in=claimed, reminder_sent_at__isnull=True).count()
        skipped = len(due) - len(claimed)
        summary = f"{heading}: {len(claimed) - failed} reminders sent"
        if failed:
            summary += f", {failed} failed (logged; the next run retries them)"
        summary += f", {already + skipped} already sent earlier."
        self.stdout.write(summary)
        return failed
