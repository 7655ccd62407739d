"""The containers a CTL travels in: the PKCS#7 envelope (.stl), serialized stores (.sst),
cabinets (.cab) and X.509 certificates, and the one sniffer that tells them apart.
"""
