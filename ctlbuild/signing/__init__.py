"""Signing keys: the Signer interface, key files (PEM, DER, PKCS#12), PKCS#11 tokens and
the development PKI. The envelope a signature goes into is ``ctlbuild.formats.stl``'s.
"""
