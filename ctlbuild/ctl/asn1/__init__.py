"""asn1crypto declarations for Microsoft's CTL and Authenticode pieces.

Importing this package registers them into ``asn1crypto.cms`` so that a
SignedData whose eContentType is szOID_CTL parses and builds.
"""

from . import ctl, spc  # noqa: F401  (registration happens on import)
