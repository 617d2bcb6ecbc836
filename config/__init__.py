# The Celery app is imported when Django starts so that @shared_task uses it.
from config.celery_app import app as celery_app

__all__ = ("celery_app",)
