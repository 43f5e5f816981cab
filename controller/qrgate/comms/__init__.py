"""Reporting to facility dashboards."""
