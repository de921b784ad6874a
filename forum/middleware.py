from types import SimpleNamespace

from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control


class LanguageInAddressMiddleware(LocaleMiddleware):
    """
    The language is the address's prefix (/es/, /en/, /pt-br/, /fr/) and nothing else: never a
    cookie or the session, so a link always opens in the language it names and a shared page means
    the same for everyone. An address without a prefix (the root, an old link) is redirected to the
    browser's language among settings.LANGUAGES (Accept-Language), Spanish when none matches; the
    redirect carries `Vary: Accept-Language` and is never stored by the public-page cache, which
    only keeps pages whose views mark them public.
    """

    def process_request(self, request):
        language = translation.get_language_from_path(request.path_info)
        if language is None:
            # Django's own negotiation, shown the browser's header but no cookie.
            headers_only = SimpleNamespace(COOKIES={}, META=request.META)
            language = translation.get_language_from_request(headers_only)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


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
