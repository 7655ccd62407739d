"""What people and pipelines read: ``show``'s view of a file, diffs of releases and their
views, advisory-style changelogs, the Jinja2 templating and the translations.
"""
