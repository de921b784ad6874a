from .timezones import VisitorTimeZone


def visitor_time_zone(request):
    """
    Every template gets the visitor's zone (`visitor_time_zone.name`, None for “the event's own”)
    and what an unknown ?tz= asked for (`visitor_time_zone.rejected`).
    """
    return {"visitor_time_zone": VisitorTimeZone.of(request)}
