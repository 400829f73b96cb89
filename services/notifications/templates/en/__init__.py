"""Jinja2 templates of the notifications service (a package so that installs carry the .j2 files)."""
