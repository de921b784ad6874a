from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from forum.admin_access import admin_login

# No set_language view (django.conf.urls.i18n): it keeps the choice in a cookie, and the language
# is the address's prefix alone (forum/middleware.py).
urlpatterns = i18n_patterns(
    # Before the admin's own URLs: its login page hands over to the site's sign-in, with
    # two-factor authentication (forum/admin_access.py).
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("registration.urls")),
    path("", include("outcomes.urls")),
    path("", include("agenda.urls")),
)

handler500 = "forum.views.server_error"
