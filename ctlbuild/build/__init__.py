"""The build pipeline (list → signed outputs) and the atomic, locked publication of
outputs into a folder with its manifest.
"""
