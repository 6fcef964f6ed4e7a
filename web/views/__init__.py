"""One module per page; each exposes ``router``. The app includes them in this order."""

from __future__ import annotations

from livereview.web.views import agreement, auth, dashboard, exports, lists, prisma, queue, searchlog, users, works

ROUTERS = [auth.router, queue.router, works.router, agreement.router, users.router,
           dashboard.router, prisma.router, searchlog.router, exports.router, lists.router]
