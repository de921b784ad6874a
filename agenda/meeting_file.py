"""
Reading a meeting data file (TOML): its tables and values, checked, with messages that say where.

The rules for writing them to the database are in agenda/loader.py.
"""

import datetime
import tomllib

from django.conf import settings
from django.db import models
from modeltranslation.translator import translator
from modeltranslation.utils import build_localized_fieldname


class MeetingFileError(Exception):
    """The data file cannot be loaded; the message says where in the file and why."""


def read_meeting_file(path):
    """The file's content as a dict, or a MeetingFileError saying why it cannot be read."""
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise MeetingFileError(f"{path}: no such file.") from None
    except OSError as error:
        raise MeetingFileError(f"{path}: cannot be read ({error.strerror}).") from None
    except UnicodeDecodeError:
        raise MeetingFileError(f"{path}: is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as error:
        raise MeetingFileError(f"{path}: is not valid TOML: {error}.") from None


def array_of_tables(value, section, label):
    """(where, table) for each [[section]] of the file; `where` names it in error messages."""
    if not isinstance(value, list):
        raise MeetingFileError(f"{section} must be written as [[{section}]] tables.")
    for number, entry in enumerate(value, start=1):
        where = f"[[{section}]] #{number}"
        if not isinstance(entry, dict):
            raise MeetingFileError(f"{where} must be a table.")
        if isinstance(entry.get(label), str):
            where += f' ({label} "{entry[label]}")'
        yield where, entry


def check_keys(table, where, allowed, required):
    unknown = [key for key in table if key not in allowed]
    if unknown:
        raise MeetingFileError(
            f"{where}: unknown key {quoted(unknown)}; the keys allowed here are {quoted(allowed)}."
        )
    missing = [key for key in required if key not in table]
    if missing:
        raise MeetingFileError(f"{where}: {quoted(missing)} missing.")


def model_columns(model, table, where, fields, *, required=(), extra=()):
    """
    {column: value} for the model fields a table of the file gives.

    A translated field is a table with one text per language of settings.LANGUAGES (`title.es`,
    `title.pt-br`…) and fills one column per language. A language missing from the table, or one
    the site does not have, stops the load with a message naming it: a language added to the site
    needs its texts in the file before the next load. Fields the table leaves out are left out of
    the result, so a run never touches them.
    """
    check_keys(table, where, allowed=(*fields, *extra), required=required)
    translated = set(translator.get_options_for_model(model).fields)
    languages = [code for code, _name in settings.LANGUAGES]
    columns = {}
    for name in fields:
        if name not in table:
            continue
        value, value_where = table[name], f"{where}, {name}"
        model_field = model._meta.get_field(name)
        if name in translated:
            if not isinstance(value, dict):
                raise MeetingFileError(
                    f"{value_where} must give one text per language: "
                    + ", ".join(f'{name}.{code} = "…"' for code in languages)
                    + "."
                )
            missing = [code for code in languages if code not in value]
            if missing:
                raise MeetingFileError(
                    f"{value_where} has no text in {quoted(missing)}; add "
                    + ", ".join(f'{name}.{code} = "…"' for code in missing)
                    + " (every language of the site is needed)."
                )
            unknown = [code for code in value if code not in languages]
            if unknown:
                raise MeetingFileError(
                    f"{value_where}: {quoted(unknown)} is not a language of the site; "
                    f"the languages are {quoted(languages)}."
                )
            values = {
                build_localized_fieldname(name, code): text_value(
                    model_field, value[code], f"{value_where}.{code}"
                )
                for code in languages
            }
        else:
            values = {name: field_value(model_field, value, value_where)}
        if name in required and "" in values.values():
            raise MeetingFileError(f"{value_where} must not be empty.")
        columns.update(values)
    return columns


def check_ends_after_start(columns, where):
    # Said here in the file's terms; the database constraint would only give its own name.
    starts_at, ends_at = columns.get("starts_at"), columns.get("ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        raise MeetingFileError(
            f"{where}: ends_at ({ends_at.isoformat()}) must be after "
            f"starts_at ({starts_at.isoformat()})."
        )


def field_value(model_field, value, where):
    if isinstance(model_field, models.DateTimeField):
        if not isinstance(value, datetime.datetime) or value.utcoffset() is None:
            raise MeetingFileError(
                f"{where} must be a date-time with its UTC offset, such as "
                "2024-08-15T09:00:00-05:00."
            )
        return value
    if isinstance(model_field, models.BooleanField):
        if not isinstance(value, bool):
            raise MeetingFileError(f"{where} must be true or false.")
        return value
    return text_value(model_field, value, where)


def text_value(model_field, value, where):
    """A string; a list of strings, one per line, where the field holds one item per line."""
    if isinstance(model_field, models.TextField) and isinstance(value, list):
        return "\n".join(string_list(value, where))
    return string_value(value, where)


def string_value(value, where):
    if not isinstance(value, str):
        raise MeetingFileError(f"{where} must be a string.")
    return value.strip()


def string_list(value, where):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MeetingFileError(f"{where} must be an array of strings.")
    return [item.strip() for item in value]


def reference(loaded, name, where, section):
    try:
        return loaded[name]
    except KeyError:
        raise MeetingFileError(
            f'{where}: "{name}" is not in the file\'s [[{section}]]; add it there first.'
        ) from None


def quoted(items):
    return ", ".join(f'"{item}"' for item in items)
