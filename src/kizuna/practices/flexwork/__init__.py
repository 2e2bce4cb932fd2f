"""Flexible-work policies, eligibility, imported usage and attendance, utilisation."""
