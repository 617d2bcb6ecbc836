"""What several apps use and none owns: the staff change history with restore (``history``,
``history_admin`` and their templates), chart helpers (``charts``), moving models between apps
(``moves``). A Django app without models (for its templates and catalogue).

It imports no app and no infrastructure (``[tool.importlinter]`` in pyproject.toml): apps
import it, never the reverse.
"""
