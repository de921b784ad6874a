"""
The WSGI application gunicorn serves (`gunicorn forum.wsgi`, settings in gunicorn.conf.py).

gunicorn.conf.py preloads this module in the master process, so what is warmed up here is shared by
every worker it forks, and by every worker it starts in place of a recycled one.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forum.settings")

django_application = get_wsgi_application()

from forum.warmup import warm_up  # noqa: E402 (needs the settings and apps loaded above)
from pagecache import PublicPageFront  # noqa: E402

# Stored public pages are answered in front of Django's handler.
application = PublicPageFront(django_application)

warm_up()
