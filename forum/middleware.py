from django.utils.cache import add_never_cache_headers, patch_cache_control


class PrivatePagesNeverCachedMiddleware:
    """
    Account pages (allauth's views set no cache headers of their own) and anything answered to a
    signed-in person's session are never stored by a browser or proxy cache.
    """

    PRIVATE_PREFIXES = ("/accounts/",)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path_info
        # Paths are language-prefixed: /es/accounts/…, /en/accounts/…
        without_language = "/" + path.split("/", 2)[-1] if path.count("/") >= 2 else path
        if without_language.startswith(self.PRIVATE_PREFIXES):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response
