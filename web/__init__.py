"""The review team's web app: accounts, the screening queue, record pages (server-rendered, no build step).

Adding a page (e.g. the dashboard):

1. ``web/views/dashboard.py`` with ``router = APIRouter()`` and a view::

       @router.get("/dashboard", name="dashboard")
       def dashboard(request: Request, db: Session = Depends(get_db), user: User = Depends(current_user)):
           return render(request, "dashboard.html", user=user, title="Dashboard", ...)

   (``web.context``: ``get_db`` read-only session, ``writing(request)`` for a write transaction,
   ``current_user`` / ``admin_user``, ``render``; raise ``web.errors`` types for 400/403/404.)
2. Add its router to ``web.views.ROUTERS``.
3. ``web/templates/dashboard.html`` extends ``base.html`` (block ``content``); static files in ``web/static/``
   (the CSP allows only same-origin scripts and styles: no inline ``<script>`` or ``style=``).
4. The navigation (``web.context.NAV``) already has slots named ``dashboard``, ``prisma``, ``search_log``
   and ``exports``: an entry appears once a route of that name exists.

Every GET route needs ``current_user`` (a test walks all routes); every POST is CSRF-checked app-wide
(forms carry ``<input type="hidden" name="csrf_token" value="{{ csrf_token }}">``; read fields with
``await web.security.form_fields(request)``).
"""
