"""What several apps use and none owns (chart helpers): plain Python, not a Django app.

It imports no app and no infrastructure (``[tool.importlinter]`` in pyproject.toml): apps
import it, never the reverse.
"""
