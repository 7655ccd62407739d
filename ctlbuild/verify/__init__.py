"""Verification of signed CTLs: every signature, each check a finding."""
