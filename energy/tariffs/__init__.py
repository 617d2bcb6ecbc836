"""Tariffs: plans, their monthly price versions and emission factors (models, admin), and what
a premise's use costs under them (``billing``)."""
