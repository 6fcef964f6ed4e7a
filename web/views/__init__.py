"""One module per page; each exposes ``router``. The app includes them in this order."""

from __future__ import annotations

from web.views import agreement, auth, queue, users, works

ROUTERS = [auth.router, queue.router, works.router, agreement.router, users.router]
