from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from agenda.models import Event
from registration import services
from registration.models import Registration


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
            events = Event.objects.starting_the_day_after(now)
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
        starts = event.local_starts_at
        heading = f"{event.slug} ({starts:%Y-%m-%d %H:%M} {event.time_zone})"
        if dry_run:
            due = list(Registration.objects.for_event(event).awaiting_reminder())
            already = Registration.objects.for_event(event).confirmed().reminded().count()
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
        run = services.remind(event, now=now)
        summary = f"{heading}: {run.sent} reminders sent"
        if run.failed:
            summary += f", {run.failed} failed (logged; the next run retries them)"
        summary += f", {run.already_sent} already sent earlier."
        self.stdout.write(summary)
        return run.failed
