"""Declarative lists (TOML): reading them into the model with every mistake located,
writing them back, importing CTLs, stores and certificates as lists, and reading any
input a command is given (``sources``).
"""
