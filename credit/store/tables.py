"""Imports every table module so that ``metadata`` knows all tables."""
