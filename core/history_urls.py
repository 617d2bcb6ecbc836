"""``/admin/changes/``: recent staff changes across every model with a history.

Included by the root URLconf by dotted string (``include("core.history_urls")``), so
``config`` imports no app; the URL name stays ``admin_recent_changes`` (no namespace).
"""

from django.contrib import admin
from django.urls import path

from core.history_admin import recent_changes_view

urlpatterns = [
    path("", admin.site.admin_view(recent_changes_view), name="admin_recent_changes"),
]
