"""The panel: server-rendered pages (Jinja2) over the same domain functions as the API.

``public`` holds only the sign-in page; every route of ``router`` runs the viewer and CSRF
checks. Tables sort and filter through query parameters, so every view has a URL to share.
"""

from rightturn.web.pages import (  # noqa: F401  (each module adds its routes to the routers)
    activities,
    analytics,
    coach,
    deal_lists,
    deals,
    effort,
    glossary,
    home,
    inspection,
    mine,
    people,
    process,
    process_compare,
    review,
    settings,
    signin,
    today,
)
from rightturn.web.pages.base import error_page, public, router, templates

__all__ = ["error_page", "public", "router", "templates"]
