"""Which key signs a list, shared by ``build`` and ``mirror build``: ``--key``/``--cert``/``--chain``,
else the list's ``[signer]``, else the development keys in ``--keys DIR``; each key opened once."""

from __future__ import annotations

from ..errors import SignerKeyError
from ..signing.devkeys import DevKeyPaths
from ..signing.open import open_signer
from .common import passphrase, pkcs11_pin


class Signers:
    """One signer per key for the whole build: a token is logged in to, and a PIN or
    passphrase asked for, once; token sessions are closed at the end."""

    def __init__(self, allow_insecure_permissions: bool):
        self._allow_insecure = allow_insecure_permissions
        self._open = {}

    def get(self, spec, scheme):
        if (spec, scheme) not in self._open:
            self._open[spec, scheme] = open_signer(*spec, scheme=scheme, passphrase=passphrase, pin=pkcs11_pin,
                                                   allow_insecure_permissions=self._allow_insecure)
        return self._open[spec, scheme]

    def close(self):
        for signer in self._open.values():
            signer.close()


def signer_spec(item, key, cert, chain, keys_dir):
    if key:
        return key, cert, tuple(chain)
    if item.signer:
        s = item.signer
        return s.key, s.cert, s.chain + tuple(chain)
    dev = DevKeyPaths.in_dir(keys_dir)
    if not dev.signer_key.exists():
        raise SignerKeyError(f"{item.path}: no signer: the list has no [signer], no --key was given, and "
                             f"{dev.signer_key} does not exist (run 'ctlbuild keys init' for development keys)")
    return str(dev.signer_key), dev.signer_cert, tuple(chain)
