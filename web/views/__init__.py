"""One module per page; each exposes ``router``. The app includes them in this order."""

from __future__ import annotations

from livereview.web.views import (
    agreement,
    appraisal,
    auth,
    dashboard,
    duplicates,
    exports,
    extraction,
    fulltext,
    lists,
    people,
    prisma,
    queue,
    releases,
    searchlog,
    users,
    works,
)

ROUTERS = [auth.router, queue.router, works.router, agreement.router, users.router, dashboard.router, prisma.router,
           searchlog.router, exports.router, appraisal.router, duplicates.router, extraction.router, fulltext.router,
           lists.router, people.router, releases.router]
