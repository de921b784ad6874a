def visitor_time_zone(request):
    """Placeholder replaced by the pages work: every template gets the visitor's chosen zone."""
    return {}
