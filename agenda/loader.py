"""
Loads a meeting (the forum's roundtables, its event, organisations, speakers and sessions, and what
other apps add to the file: registration's audience categories) from a TOML data file.

The file holds the concept note's content; once loaded, Django admin is where organisers change it.
So a run never undoes their work:

- a row that is missing is created: organisations and speakers always, an event's sessions
  together with their event;
- a row that exists only has its empty fields filled (a relation counts as a field: the event's
  organisers, a session's speakers), so a second run changes nothing;
- a session missing under an event that exists was deleted (or moved and renamed) by an
  organiser and is not brought back; so is an audience category, once the event has any.

With ``overwrite=True`` the file wins: every field it gives is set from it and deleted sessions are
restored. Fields the file leaves out (the private join link, the registration window and
capacities, whether a category is offered) are never touched.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction

from .meeting_file import (
    MeetingFileError,
    array_of_tables,
    check_ends_after_start,
    check_keys,
    model_columns,
    quoted,
    read_meeting_file,
    reference,
    string_list,
    string_value,
)
from .models import Event, Organisation, Roundtable, Session, SessionSpeaker, Speaker
from .translation import default_language_column

DEFAULT_MEETING_FILE = Path(__file__).resolve().parent / "data" / "cross-border-2024.toml"

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass
class Tally:
    """What a run did to the rows of one section of the file."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_restored: int = 0

    def count(self, outcome):
        setattr(self, outcome, getattr(self, outcome) + 1)

    def __str__(self):
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.not_restored:
            text += f", {self.not_restored} no longer in the database and left out"
        return text


@dataclass
class LoadContext:
    """What the sections loaded so far, for the sections after them to refer to."""

    overwrite: bool
    organisations: dict[str, Organisation] = field(default_factory=dict)
    roundtables: dict[str, Roundtable] = field(default_factory=dict)
    speakers: dict[str, Speaker] = field(default_factory=dict)
    event: Event | None = None
    event_created: bool = False


def load_meeting_file(path=DEFAULT_MEETING_FILE, *, overwrite=False):
    """Reads and loads a meeting file; see load_meeting()."""
    data = read_meeting_file(path)
    try:
        return load_meeting(data, overwrite=overwrite)
    except MeetingFileError as error:
        raise MeetingFileError(f"{path}: {error}") from None


def load_meeting(data, *, overwrite=False):
    """
    Loads the content of a meeting file in one transaction: all of it, or nothing.

    Returns {section name: Tally} in the order the sections were loaded.
    """
    unknown = set(data) - {section.name for section in SECTIONS}
    if unknown:
        raise MeetingFileError(
            f"unknown section {quoted(sorted(unknown))}; "
            f"a meeting file has {quoted(section.name for section in SECTIONS)}."
        )
    context = LoadContext(overwrite=overwrite)
    summary = {}
    with transaction.atomic():
        for section in SECTIONS:
            if section.name in data:
                summary[section.name] = section.load(data[section.name], context)
            elif section.required:
                raise MeetingFileError(f"the [{section.name}] section is missing.")
    return summary


# Organisations ------------------------------------------------------------------------------

ORGANISATION_FIELDS = ("key", "acronym", "name", "country", "website")


def load_organisations(entries, context):
    tally = Tally()
    for where, entry in array_of_tables(entries, "organisations", label="acronym"):
        columns = model_columns(
            Organisation, entry, where, ORGANISATION_FIELDS, required=("acronym", "name")
        )
        acronym = columns["acronym"]
        if acronym in context.organisations:
            raise MeetingFileError(f'{where}: the acronym "{acronym}" is used twice in the file.')
        existing = _find_by_key(Organisation, columns, where, acronym=acronym)
        organisation, outcome = apply_entry(
            Organisation, existing, columns, where, context.overwrite
        )
        context.organisations[acronym] = organisation
        tally.count(outcome)
    return tally


# Roundtables --------------------------------------------------------------------------------

ROUNDTABLE_FIELDS = ("key", "name", "description")


def load_roundtables(entries, context):
    """
    The forum's working roundtables, found again by their key; each meeting file may carry all of
    them, so whichever meeting is loaded first brings them and the others change nothing. Their
    order on the site is their order in the file.
    """
    tally = Tally()
    for position, (where, entry) in enumerate(
        array_of_tables(entries, "roundtables", label="key"), start=1
    ):
        columns = model_columns(
            Roundtable, entry, where, ROUNDTABLE_FIELDS, required=("key", "name")
        )
        key = columns["key"]
        if key in context.roundtables:
            raise MeetingFileError(f'{where}: the key "{key}" is used twice in the file.')
        columns["order"] = position
        existing = Roundtable.objects.filter(key=key).first()
        roundtable, outcome = apply_entry(Roundtable, existing, columns, where, context.overwrite)
        context.roundtables[key] = roundtable
        tally.count(outcome)
    return tally


# Event --------------------------------------------------------------------------------------

EVENT_FIELDS = (
    "slug",
    "title",
    "summary",
    "general_objective",
    "specific_objectives",
    "target_audience",
    "format_description",
    "starts_at",
    "ends_at",
    "time_zone",
    "venue_name",
    "venue_address",
    "virtual_platform_name",
    "virtual_join_url",
    "virtual_access_details",
    "is_published",
)


def load_event(table, context):
    where = "[event]"
    if not isinstance(table, dict):
        raise MeetingFileError(f"{where} must be a table.")
    columns = model_columns(
        Event,
        table,
        where,
        EVENT_FIELDS,
        required=("slug", "title", "starts_at", "ends_at"),
        extra=("organisers", "roundtable"),
    )
    check_ends_after_start(columns, where)
    if "roundtable" in table:
        key = string_value(table["roundtable"], f"{where}, roundtable")
        columns["roundtable_id"] = reference(
            context.roundtables, key, f"{where}, roundtable", "roundtables"
        ).pk
    organisers = [
        reference(context.organisations, acronym, f"{where}, organisers", "organisations")
        for acronym in string_list(table.get("organisers", []), f"{where}, organisers")
    ]
    existing = Event.objects.filter(slug=columns["slug"]).first()
    event, outcome = apply_entry(Event, existing, columns, where, context.overwrite)
    wanted = {organisation.pk for organisation in organisers}
    current = set(event.organisers.values_list("pk", flat=True))
    if wanted != current and (context.overwrite or not current):
        event.organisers.set(wanted)
        outcome = outcome if outcome == CREATED else UPDATED
    context.event, context.event_created = event, outcome == CREATED
    tally = Tally()
    tally.count(outcome)
    return tally


# Speakers -----------------------------------------------------------------------------------

SPEAKER_FIELDS = (
    "key",
    "honorific",
    "name",
    "position",
    "bio",
    "confirmation_status",
    "confirmation_note",
)


def load_speakers(entries, context):
    tally = Tally()
    for where, entry in array_of_tables(entries, "speakers", label="name"):
        columns = model_columns(
            Speaker, entry, where, SPEAKER_FIELDS, required=("name",), extra=("organisation",)
        )
        if "organisation" in entry:
            acronym = string_value(entry["organisation"], f"{where}, organisation")
            columns["organisation_id"] = reference(
                context.organisations, acronym, where, "organisations"
            ).pk
        name = columns["name"]
        if name in context.speakers:
            raise MeetingFileError(f'{where}: the speaker "{name}" is listed twice in the file.')
        existing = _find_by_key(Speaker, columns, where, name=name)
        speaker, outcome = apply_entry(Speaker, existing, columns, where, context.overwrite)
        context.speakers[name] = speaker
        tally.count(outcome)
    return tally


# Sessions -----------------------------------------------------------------------------------

SESSION_FIELDS = (
    "kind",
    "title",
    "topics",
    "participants_note",
    "speakers_to_be_confirmed",
    "starts_at",
    "ends_at",
    "location",
)


class SessionEntry(NamedTuple):
    where: str
    columns: dict[str, Any]
    speaker_links: list[tuple[int, str, int]]


def load_sessions(entries, context):
    event = context.event
    parsed = []
    keys = set()
    for where, entry in array_of_tables(entries, "sessions", label="key"):
        columns = model_columns(
            Session,
            entry,
            where,
            SESSION_FIELDS,
            required=("kind", "title", "starts_at", "ends_at"),
            extra=("key", "speakers"),
        )
        check_ends_after_start(columns, where)
        key = string_value(entry.get("key", ""), f"{where}, key")
        if not key:
            raise MeetingFileError(f"{where}: key is missing; every session needs one.")
        if key in keys:
            raise MeetingFileError(f'{where}: the key "{key}" is used twice in the file.')
        keys.add(key)
        columns["event_id"] = event.pk
        links = _speaker_links(entry.get("speakers", []), where, context)
        parsed.append(SessionEntry(where, columns, links))

    matches = {} if context.event_created else _match_sessions(event, parsed)
    tally = Tally()
    touched = []
    for index, entry in enumerate(parsed):
        existing = matches.get(index)
        if existing is None and not (context.event_created or context.overwrite):
            tally.not_restored += 1
            continue
        session, outcome = apply_entry(
            Session,
            existing,
            entry.columns,
            entry.where,
            context.overwrite,
            validate=_validate_fields,
        )
        if _apply_speaker_links(session, entry.speaker_links, context.overwrite):
            outcome = outcome if outcome == CREATED else UPDATED
        if outcome != UNCHANGED:
            touched.append((entry.where, session))
        tally.count(outcome)

    # Overlaps and the event's hours are checked once every session is in place: restoring the
    # file's times one session at a time can overlap, for a moment, a neighbour not yet restored.
    for where, session in touched:
        _full_clean(session, where)
    return tally


def _speaker_links(value, where, context):
    """[(speaker pk, role, order)] for a session's `speakers` array, in the file's order."""
    where = f"{where}, speakers"
    if not isinstance(value, list):
        raise MeetingFileError(f"{where} must be an array of {{ name = …, role = … }} tables.")
    links = []
    seen = set()
    for order, item in enumerate(value, start=1):
        item_where = f"{where} #{order}"
        if not isinstance(item, dict):
            raise MeetingFileError(f"{item_where} must be a table {{ name = …, role = … }}.")
        check_keys(item, item_where, allowed=("name", "role"), required=("name",))
        name = string_value(item["name"], f"{item_where}, name")
        role = string_value(item.get("role", SessionSpeaker.Role.SPEAKER), f"{item_where}, role")
        if role not in SessionSpeaker.Role.values:
            raise MeetingFileError(
                f'{item_where}: unknown role "{role}"; use {quoted(SessionSpeaker.Role.values)}.'
            )
        speaker = reference(context.speakers, name, item_where, "speakers")
        if speaker.pk in seen:
            raise MeetingFileError(f'{item_where}: "{name}" is listed twice in this session.')
        seen.add(speaker.pk)
        links.append((speaker.pk, role, order))
    return links


def _match_sessions(event, parsed):
    """
    {index in `parsed`: the event's session it describes}.

    A session is found by its start; one an organiser moved is found by its kind and Spanish title,
    when no other session left unmatched has both.
    """
    existing = list(event.sessions.all())
    by_start = {session.starts_at: session for session in existing}
    # Found by its title in the default language (Spanish), the one every load gives.
    title = default_language_column("title")
    matches, taken = {}, set()
    for index, entry in enumerate(parsed):
        session = by_start.get(entry.columns["starts_at"])
        if session is not None and session.pk not in taken:
            matches[index] = session
            taken.add(session.pk)
    for index, entry in enumerate(parsed):
        if index in matches:
            continue
        candidates = [
            session
            for session in existing
            if session.pk not in taken
            and session.kind == entry.columns["kind"]
            and getattr(session, title) == entry.columns.get(title)
        ]
        if len(candidates) == 1:
            matches[index] = candidates[0]
            taken.add(candidates[0].pk)
    return matches


def _apply_speaker_links(session, links, overwrite):
    """Gives the session the file's speakers if it has none, or with `overwrite`; True if it did."""
    current = list(
        session.session_speakers.order_by("order", "pk").values_list("speaker_id", "role", "order")
    )
    if current == links or (current and not overwrite):
        return False
    session.session_speakers.all().delete()
    for speaker_id, role, order in links:
        SessionSpeaker.objects.create(
            session=session, speaker_id=speaker_id, role=role, order=order
        )
    return True


# The order sections load in: each may refer to the ones before it. Another kind of content is one
# more function taking (value, context) and one more line here; another app's content (the
# audience categories people register under) is a section that app adds with `add_section`.


class Section(NamedTuple):
    name: str
    load: Any
    required: bool = False


SECTIONS = [
    Section("organisations", load_organisations),
    Section("roundtables", load_roundtables),
    Section("event", load_event, required=True),
    Section("speakers", load_speakers),
    Section("sessions", load_sessions),
]


def add_section(section):
    """
    Load another app's part of the meeting file after the agenda's (called from its
    AppConfig.ready()): `section.load(value, context)` finds the event in `context.event`.
    """
    if all(existing.name != section.name for existing in SECTIONS):
        SECTIONS.append(section)


# Writing rows -------------------------------------------------------------------------------


def _find_one(queryset, where, key):
    """The one row the file's natural key points at, or None."""
    found = list(queryset[:2])
    if len(found) > 1:
        raise MeetingFileError(
            f"{where}: the database has several {queryset.model._meta.verbose_name_plural} with "
            f"this {key}; rename all but one in admin so the file can tell which it means."
        )
    return found[0] if found else None


def _find_by_key(model, columns, where, **natural_key):
    """
    The row an entry describes: by the file's stable `key` when it has one, so a row an organiser
    renamed in admin is still found; else (rows loaded before keys existed, or an entry without
    one) by its natural key among the rows no key claims yet — the next save gives it the key.
    """
    key = columns.get("key")
    if key:
        found = model.objects.filter(key=key).first()
        if found is not None:
            return found
    ((field, value),) = natural_key.items()
    return _find_one(model.objects.filter(key__isnull=True, **natural_key), where, field)


def apply_entry(model, existing, columns, where, overwrite, validate=None):
    """
    Creates the row, or updates the columns that should change (see the module's docstring).

    Saves only when something changed, through the model's own save(), so that a second run writes
    nothing and a session's calendar SEQUENCE grows only when its time or place really moves.
    """
    validate = validate or _full_clean
    if existing is None:
        row = model(**columns)
        validate(row, where)
        row.save()
        return row, CREATED
    changes = _changes(existing, columns, overwrite)
    if not changes:
        return existing, UNCHANGED
    for column, value in changes.items():
        setattr(existing, column, value)
    validate(existing, where)
    existing.save()
    return existing, UPDATED


def _changes(row, columns, overwrite):
    changes = {}
    for column, value in columns.items():
        model_field = row._meta.get_field(column)
        current = model_field.get_prep_value(getattr(row, column))
        wanted = model_field.get_prep_value(value)
        current_is_empty = current in ("", None)
        if current == wanted or (current_is_empty and wanted in ("", None)):
            continue
        if overwrite or current_is_empty:
            changes[column] = value
    return changes


def _full_clean(row, where):
    try:
        row.full_clean()
    except ValidationError as error:
        raise MeetingFileError(_validation_message(where, error)) from None


def _validate_fields(row, where):
    """Everything full_clean() checks but the rules that depend on the other sessions."""
    try:
        row.clean_fields()
        row.validate_unique()
        row.validate_constraints()
    except ValidationError as error:
        raise MeetingFileError(_validation_message(where, error)) from None


def _validation_message(where, error):
    if hasattr(error, "error_dict"):
        parts = [
            " ".join(messages) if name == "__all__" else f"{name}: {' '.join(messages)}"
            for name, messages in error.message_dict.items()
        ]
    else:
        parts = error.messages
    return f"{where}: " + " ".join(parts)
