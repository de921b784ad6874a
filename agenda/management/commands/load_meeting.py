from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations

from agenda.loader import DEFAULT_MEETING_FILE, MeetingFileError, load_meeting_file


class Command(BaseCommand):
    help = (
        "Loads a meeting (event, organisations, speakers, sessions) from its data file. "
        "Creates what is missing and fills empty fields; never changes what organisers edited "
        "in admin unless given --overwrite. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            type=Path,
            default=DEFAULT_MEETING_FILE,
            help=f"The meeting's TOML data file (default: {DEFAULT_MEETING_FILE}).",
        )
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help=(
                "Set every field the file gives from the file, replacing organisers' edits, and "
                "restore sessions deleted in admin."
            ),
        )

    # Like Django's own commands, speaks English whatever the site's default language, so that the
    # file's error messages and the models' validation messages read as one.
    @no_translations
    def handle(self, *args, file, overwrite, **options):
        try:
            summary = load_meeting_file(file, overwrite=overwrite)
        except MeetingFileError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Loaded {file}{' (overwriting edits)' if overwrite else ''}:")
        for section, tally in summary.items():
            self.stdout.write(f"  {section}: {tally}")
        if any(tally.not_restored for tally in summary.values()):
            self.stdout.write(
                self.style.WARNING(
                    "Sessions or audience categories deleted in admin (or whose time, title "
                    "or key changed there) were left out; --overwrite creates them again "
                    "from the file."
                )
            )
