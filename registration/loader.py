"""
Registration's part of the meeting file: the audience categories people register under, loaded by
agenda/loader.py after the event (registration/apps.py adds the section). The same rules as the
rest of the file: a run fills what is empty and never undoes an organiser's work.
"""

from typing import Any, NamedTuple

from agenda.loader import Section, Tally, apply_entry
from agenda.meeting_file import MeetingFileError, array_of_tables, model_columns
from agenda.translation import default_language_column

from .models import AudienceCategory

AUDIENCE_CATEGORY_FIELDS = (
    "key",
    "name",
    "description",
    "allows_in_person",
    "allows_virtual",
    "needs_approval",
)


class CategoryEntry(NamedTuple):
    where: str
    columns: dict[str, Any]


def load_audience_categories(entries, context):
    event = context.event
    parsed = []
    keys = set()
    entries = array_of_tables(entries, "audience_categories", label="key")
    for order, (where, entry) in enumerate(entries, start=1):
        columns = model_columns(
            AudienceCategory, entry, where, AUDIENCE_CATEGORY_FIELDS, required=("key", "name")
        )
        if columns["key"] in keys:
            raise MeetingFileError(
                f'{where}: the key "{columns["key"]}" is used twice in the file.'
            )
        keys.add(columns["key"])
        # The registration form offers the categories in the file's order; organisers reorder
        # them in admin.
        columns.update(event_id=event.pk, order=order)
        parsed.append(CategoryEntry(where, columns))

    existing = list(event.audience_categories.all())
    matches = _match_categories(existing, parsed)
    # An event without any category cannot take a registration, so a meeting loaded before its
    # file had categories gets them all; after that, a missing one was deleted by an organiser.
    create_missing = context.overwrite or not existing
    tally = Tally()
    for index, entry in enumerate(parsed):
        category = matches.get(index)
        if category is None and not create_missing:
            tally.not_restored += 1
            continue
        _category, outcome = apply_entry(
            AudienceCategory, category, entry.columns, entry.where, context.overwrite
        )
        tally.count(outcome)
    return tally


def _match_categories(existing, parsed):
    """
    {index in `parsed`: the event's category it describes}.

    A category is found by its key; one whose key an organiser changed, by its Spanish name when no
    other category left unmatched has it, so that --overwrite never makes a second one.
    """
    by_key = {category.key: category for category in existing}
    matches = {
        index: by_key[entry.columns["key"]]
        for index, entry in enumerate(parsed)
        if entry.columns["key"] in by_key
    }
    taken = {category.pk for category in matches.values()}
    name = default_language_column("name")
    for index, entry in enumerate(parsed):
        if index in matches:
            continue
        candidates = [
            category
            for category in existing
            if category.pk not in taken and getattr(category, name) == entry.columns[name]
        ]
        if len(candidates) == 1:
            matches[index] = candidates[0]
            taken.add(candidates[0].pk)
    return matches


SECTION = Section("audience_categories", load_audience_categories)
