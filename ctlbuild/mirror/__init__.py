"""The Windows side of running your own trust lists: the auto-update mirror folder
(``mirror build``, ``mirror check``) and the deploy kit for a machine's stores (``deploy``).

layout.py    the file names Windows fetches, and what each name in a mirror is
manifest.py  the mirror's own record (what was written, removed roots' grace periods)
inputs.py    signed CTLs and lists as mirror inputs; certificates matched to entries
builder.py   plan a mirror from its inputs and the folder, publish it as one set
check.py     every check of a mirror folder, each a typed finding
deploy.py    the kit: .sst, import and rollback scripts, .reg files (templates/deploy-*.j2)
"""
