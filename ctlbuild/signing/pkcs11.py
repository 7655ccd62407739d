"""Signing with a key that stays on a PKCS#11 token (an HSM, a smart card, SoftHSM2).

>>> from ctlbuild.signing.pkcs11 import parse_uri
>>> uri = parse_uri("pkcs11:token=ctlbuild-test;object=rsa-signer;id=%01%02")
>>> uri.attributes["token"], uri.attributes["object"], uri.id
('ctlbuild-test', 'rsa-signer', b'\\x01\\x02')
>>> signer = open_pkcs11_signer(str(uri), "signer.pem", pin=lambda token: "1234")   # doctest: +SKIP
>>> stl = sign_ctl(ctl_der, signer, signing_time=when); signer.close()           # doctest: +SKIP

Keys are named by RFC 7512 URIs. The module (the token's PKCS#11 library) is
the URI's ``module-path`` (or ``module-name``), else ``$CTLBUILD_PKCS11_MODULE``,
else SoftHSM2 where it is usually installed. The user PIN comes from the URI's
``pin-source`` file, else from a callback (the CLI reads ``$CTLBUILD_PKCS11_PIN``
or prompts); ``pin-value`` is refused, because a PIN in a URI ends up in shell
history, process lists and list files. No message ever contains the PIN.

Only the hash of what is signed is sent to the token when it can: the token
signs; the private key is never read, copied or exported.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import sysconfig
from dataclasses import dataclass, field
from typing import Callable, Iterable
from urllib.parse import quote, unquote_to_bytes

import pkcs11
from pkcs11.util.ec import (
    encode_ec_public_key,
    encode_ecdsa_signature,
    encode_named_curve_parameters,
)
from pkcs11.util.rsa import encode_rsa_public_key
from pkcs11.util.x509 import decode_x509_certificate

from ..errors import SignerKeyError, SigningError
from ..formats.certificates import load_x509, same_public_key
from .keyfiles import PinSource, load_cert_file, read_private_file
from .signer import Signer, check_signature

MODULE_ENV = "CTLBUILD_PKCS11_MODULE"
PIN_ENV = "CTLBUILD_PKCS11_PIN"

#: RFC 7512 §2.3 path attributes ("id" is bytes, the others UTF-8 text).
PATH_ATTRIBUTES = ("token", "manufacturer", "serial", "model", "object", "type", "id",
                   "library-manufacturer", "library-description", "library-version",
                   "slot-manufacturer", "slot-description", "slot-id")
#: RFC 7512 §2.3 query attributes.
QUERY_ATTRIBUTES = ("pin-source", "pin-value", "module-name", "module-path")
OBJECT_TYPES = ("cert", "data", "private", "public", "secret-key")

_MULTIARCH = sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu"  # Debian's lib/<triplet>/
#: Where SoftHSM2 lives on common systems: the default module when nothing names one.
WELL_KNOWN_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",                # Debian, Ubuntu
    f"/usr/lib/{_MULTIARCH}/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",               # Fedora, RHEL
    "/usr/lib/pkcs11/libsofthsm2.so",                 # Arch, Alpine
    "/usr/local/lib/softhsm/libsofthsm2.so",          # built from source, FreeBSD
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",       # macOS (Homebrew)
)
#: Folders searched for a ``module-name`` (p11-kit's module folders first).
MODULE_DIRS = (
    f"/usr/lib/{_MULTIARCH}/pkcs11",
    "/usr/lib64/pkcs11", "/usr/lib/pkcs11", "/usr/local/lib/pkcs11",
    f"/usr/lib/{_MULTIARCH}/softhsm",
    "/usr/lib/softhsm", "/usr/local/lib/softhsm", "/opt/homebrew/lib/softhsm",
    f"/usr/lib/{_MULTIARCH}",
    "/usr/lib64", "/usr/lib", "/usr/local/lib", "/opt/homebrew/lib",
)

SUPPORTED_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# RFC 7512 §2.3 pk11-pchar / pk11-qchar: what may stay unencoded in a value.
_PATH_SAFE = "-._~:[]@!$'()*+,=&"
_QUERY_SAFE = "-._~:[]@!$'()*+,=/?|"


# -- URIs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pkcs11Uri:
    """A parsed RFC 7512 URI. ``attributes`` holds the text path attributes, ``id`` the
    CKA_ID bytes, ``query`` the query attributes; values are percent-decoded."""

    attributes: dict[str, str] = field(default_factory=dict)
    id: bytes | None = None
    query: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str | None:
        return self.attributes.get("object")

    def __str__(self) -> str:
        """The URI, re-encoded: safe to show (a URI with a PIN in it is never parsed)."""
        parts = [f"{name}={quote(value, safe=_PATH_SAFE)}" for name, value in self.attributes.items()]
        if self.id is not None:
            parts.append("id=" + "".join(f"%{b:02x}" for b in self.id))
        text = "pkcs11:" + ";".join(parts)
        if self.query:
            text += "?" + "&".join(f"{n}={quote(v, safe=_QUERY_SAFE)}" for n, v in self.query.items())
        return text


def parse_uri(text: str) -> Pkcs11Uri:
    """Parse a ``pkcs11:`` URI (RFC 7512). Unknown attributes are refused rather than
    ignored: ignoring one could select a different key than the one meant.

    No error message repeats the URI or a value from it (it could hold a PIN)."""
    if not isinstance(text, str) or text[:7].lower() != "pkcs11:":
        raise SignerKeyError("not a PKCS#11 URI (it must start with 'pkcs11:')")
    path_text, _, query_text = text[7:].partition("?")
    query_parts = [p for p in query_text.split("&") if p] if query_text else []
    # Checked before anything else, so no later message can quote part of a PIN: anywhere
    # in the URI, however mistyped (pin-value:1234 in the path), it is refused as such.
    if "pin-value" in text.lower() or "pin_value" in text.lower():
        raise SignerKeyError("PKCS#11 URI: pin-value is refused: a PIN does not belong in a URI or a flag "
                             f"(shell history, process lists); set {PIN_ENV}, use pin-source=file:..., "
                             "or run in a terminal to be asked")
    attributes: dict[str, str] = {}
    key_id: bytes | None = None
    for number, part in enumerate([p for p in path_text.split(";") if p], 1):
        name, value = _split(part, f"path part {number}")
        if name not in PATH_ATTRIBUTES:
            # Not echoed: an unknown name may be a pasted secret.
            raise SignerKeyError(f"PKCS#11 URI: path part {number} is not a known attribute "
                                 f"(known: {', '.join(PATH_ATTRIBUTES)})")
        if name in attributes or (name == "id" and key_id is not None):
            raise SignerKeyError(f"PKCS#11 URI: attribute {name!r} appears twice")
        raw = _decode(value, name)
        if name == "id":
            key_id = raw
        else:
            attributes[name] = _text(raw, name)
    query: dict[str, str] = {}
    for number, part in enumerate(query_parts, 1):
        name, value = _split(part, f"query part {number}")
        if name not in QUERY_ATTRIBUTES:
            raise SignerKeyError(f"PKCS#11 URI: query part {number} is not a known attribute "
                                 f"(known: {', '.join(q for q in QUERY_ATTRIBUTES if q != 'pin-value')})")
        if name in query:
            raise SignerKeyError(f"PKCS#11 URI: attribute {name!r} appears twice")
        query[name] = _text(_decode(value, name), name)
    if attributes.get("type") not in (None, *OBJECT_TYPES):
        raise SignerKeyError(f"PKCS#11 URI: type must be one of {', '.join(OBJECT_TYPES)}")
    if "slot-id" in attributes and not attributes["slot-id"].isdigit():
        raise SignerKeyError("PKCS#11 URI: slot-id must be a decimal number")
    if "library-version" in attributes and not re.fullmatch(r"\d+(\.\d+)?", attributes["library-version"]):
        raise SignerKeyError("PKCS#11 URI: library-version must be MAJOR or MAJOR.MINOR")
    return Pkcs11Uri(attributes, key_id, query)


def _split(part: str, where: str) -> tuple[str, str]:
    name, eq, value = part.partition("=")
    if not eq or not name:
        raise SignerKeyError(f"PKCS#11 URI: {where} is not NAME=VALUE")
    return name, value


def _decode(value: str, name: str) -> bytes:
    if _BAD_PERCENT.search(value):
        raise SignerKeyError(f"PKCS#11 URI: {name}: '%' must be followed by two hex digits")
    return unquote_to_bytes(value)


def _text(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SignerKeyError(f"PKCS#11 URI: {name} is not UTF-8 text once percent-decoded") from None


# -- the module and the token ----------------------------------------------------------------

def module_path(uri: Pkcs11Uri, environ=os.environ) -> str:
    """The PKCS#11 module to load: the URI's module-path / module-name, else
    $CTLBUILD_PKCS11_MODULE, else SoftHSM2 where it is usually installed."""
    path, name = uri.query.get("module-path"), uri.query.get("module-name")
    if path:
        if not os.path.isabs(path):
            raise SignerKeyError(f"module-path={path}: must be an absolute path (RFC 7512)")
        if os.path.isdir(path):
            if not name:
                raise SignerKeyError(f"module-path={path} is a folder: add module-name= to say which module")
            return _find_named(name, [path])
        if not os.path.isfile(path):
            raise SignerKeyError(f"PKCS#11 module {path} not found (module-path in the URI)")
        return path
    from_env = environ.get(MODULE_ENV)
    if from_env:
        if not os.path.isfile(from_env):
            raise SignerKeyError(f"PKCS#11 module {from_env} not found (from {MODULE_ENV})")
        return from_env
    if name:
        return _find_named(name, MODULE_DIRS)
    for candidate in WELL_KNOWN_MODULES:
        if os.path.isfile(candidate):
            return candidate
    raise SignerKeyError(f"no PKCS#11 module found: set {MODULE_ENV}=/path/to/module.so or add "
                         f"module-path=/path/to/module.so to the URI (SoftHSM2 was looked for in "
                         f"{', '.join(WELL_KNOWN_MODULES[:2])} and {len(WELL_KNOWN_MODULES) - 2} other places)")


def _find_named(name: str, folders: Iterable[str]) -> str:
    if "/" in name:
        raise SignerKeyError(f"module-name={name}: a name, not a path (use module-path for a path)")
    suffix = ".dylib" if sys.platform == "darwin" else ".so"
    names = [name] if name.endswith((".so", ".dylib")) or ".so." in name else [f"{name}{suffix}", f"lib{name}{suffix}"]
    for folder in folders:
        for candidate in names:
            path = os.path.join(folder, candidate)
            if os.path.isfile(path):
                return path
    raise SignerKeyError(f"PKCS#11 module-name={name} not found (looked for {' or '.join(names)} in "
                         f"{', '.join(folders)}); give module-path= or set {MODULE_ENV}")


def load_module(path: str):
    """The loaded PKCS#11 module (python-pkcs11 keeps one per path for the process)."""
    try:
        return pkcs11.lib(path)
    except Exception as exc:  # dlopen failures and C_Initialize errors: one line either way
        raise SignerKeyError(f"cannot load PKCS#11 module {path}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    return f"{type(exc).__name__}{': ' + text if text else ''}"


def _serial(token) -> str:
    serial = token.serial
    return (serial.decode("ascii", "replace") if isinstance(serial, bytes) else str(serial)).strip()


def _library_matches(lib, uri: Pkcs11Uri) -> str | None:
    """Why the module does not fit the URI's library-* attributes, or None."""
    want = uri.attributes
    if "library-manufacturer" in want and lib.manufacturer_id.strip() != want["library-manufacturer"]:
        return f"its manufacturer is {lib.manufacturer_id.strip()!r}"
    if "library-description" in want and lib.library_description.strip() != want["library-description"]:
        return f"its description is {lib.library_description.strip()!r}"
    if "library-version" in want:
        major, _, minor = want["library-version"].partition(".")
        have = lib.library_version
        if (int(major), int(minor or 0)) != tuple(have):
            return f"its version is {have[0]}.{have[1]}"
    return None


def find_token(lib, uri: Pkcs11Uri, module: str):
    """The one initialised token that the URI's token and slot attributes select."""
    mismatch = _library_matches(lib, uri)
    if mismatch:
        raise SignerKeyError(f"{uri}: module {module} does not match the URI ({mismatch})")
    want = uri.attributes
    found, present = [], []
    try:
        for slot in lib.get_slots(token_present=True):
            token = slot.get_token()
            if not token.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED:
                continue
            present.append(token.label)
            checks = (("slot-id", str(slot.slot_id)), ("slot-description", slot.slot_description.strip()),
                      ("slot-manufacturer", slot.manufacturer_id.strip()), ("token", token.label),
                      ("manufacturer", token.manufacturer_id.strip()), ("model", token.model.strip()),
                      ("serial", _serial(token)))
            if all(want[name] == have for name, have in checks if name in want):
                found.append(token)
    except pkcs11.PKCS11Error as exc:
        raise SignerKeyError(f"{uri}: cannot list the tokens of {module}: {_reason(exc)}") from None
    if not found:
        have = ", ".join(repr(label) for label in present) or "none"
        raise SignerKeyError(f"{uri}: no such token in {module} (tokens present: {have}); check token=, "
                             f"or name another module with {MODULE_ENV} or module-path=")
    if len(found) > 1:
        listed = ", ".join(f"{t.label!r} (serial {_serial(t)})" for t in found)
        raise SignerKeyError(f"{uri}: several tokens match ({listed}); add token= or serial= to choose one")
    return found[0]


def _describe(token) -> str:
    return f"token {token.label!r}"


def _pin(uri: Pkcs11Uri, token, pin: PinSource | None, allow_insecure_permissions: bool) -> str | None:
    source = uri.query.get("pin-source")
    if source:
        return _read_pin_source(source, allow_insecure_permissions)
    return pin(_describe(token)) if pin else None


def _read_pin_source(source: str, allow_insecure_permissions: bool) -> str:
    """RFC 7512 pin-source: a file (``file:/path`` or ``/path``); its first line is the PIN."""
    if source.startswith("|"):
        raise SignerKeyError("pin-source: running a command for the PIN is not supported; "
                             f"use pin-source=file:/path, {PIN_ENV}, or the prompt")
    path = source
    if source.startswith("file:"):
        path = re.sub(r"^file:(//(localhost)?)?", "", source)
    if not os.path.isabs(path):
        raise SignerKeyError(f"pin-source={source}: must be file:/absolute/path")
    data = read_private_file(path, "PIN file", allow_insecure_permissions)
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise SignerKeyError(f"{path}: PIN file is not UTF-8 text") from None
    if not lines or not lines[0]:
        raise SignerKeyError(f"{path}: PIN file is empty")
    return lines[0]


def open_session(uri: Pkcs11Uri, *, pin: PinSource | None = None, rw: bool = False,
                 allow_insecure_permissions: bool = False, environ=os.environ):
    """(session, token, module path): a session on the URI's token, logged in as the user.

    The token is found before the PIN is asked for, so a mistyped token name costs no PIN try."""
    module = module_path(uri, environ)
    lib = load_module(module)
    token = find_token(lib, uri, module)
    where = _describe(token)
    try:
        if not token.flags & pkcs11.TokenFlag.LOGIN_REQUIRED:
            return token.open(rw=rw), token, module
        secret = _pin(uri, token, pin, allow_insecure_permissions)
        if secret is None and token.flags & pkcs11.TokenFlag.PROTECTED_AUTHENTICATION_PATH:
            secret = pkcs11.PROTECTED_AUTH  # a PIN pad: the token asks for it itself
        if not secret:
            raise SignerKeyError(f"{where} needs its user PIN: set {PIN_ENV}, or run in a terminal to be asked")
        try:
            return token.open(rw=rw, user_pin=secret), token, module
        except pkcs11.UserAlreadyLoggedIn:
            # Login is per process: another key of this build on the same token did it already.
            return token.open(rw=rw), token, module
    except (pkcs11.PinIncorrect, pkcs11.PinLenRange, pkcs11.PinInvalid):
        raise SignerKeyError(f"{where}: wrong PIN (tokens lock after a few wrong tries)") from None
    except pkcs11.PinLocked:
        raise SignerKeyError(f"{where}: the user PIN is locked after too many wrong tries; "
                             "the security officer must reset it") from None
    except pkcs11.PinExpired:
        raise SignerKeyError(f"{where}: the user PIN has expired; change it first") from None
    except pkcs11.UserPinNotInitialized:
        raise SignerKeyError(f"{where}: the token has no user PIN yet (initialise it first)") from None
    except pkcs11.PKCS11Error as exc:
        raise SignerKeyError(f"{where}: cannot log in: {_reason(exc)}") from None


# -- the signer ------------------------------------------------------------------------------

class Pkcs11Signer(Signer):
    """A Signer whose private key is an object on a token; each signature is made there.

    It holds a logged-in session: ``close()`` it (or use ``with``) when done."""

    def __init__(self, session, key, certificate: bytes, chain: list[bytes], scheme: str,
                 where: str, mechanisms: frozenset = frozenset()):
        self._session, self._key, self._where = session, key, where
        self.certificate = certificate
        self.chain = list(chain)
        self._scheme = scheme
        self._mechanisms = mechanisms

    @property
    def scheme(self) -> str:
        return self._scheme

    @property
    def deterministic(self) -> bool:
        # Tokens draw ECDSA nonces at random (no RFC 6979), and PSS salts are random.
        return self._scheme == "pkcs1v15"

    def sign(self, data: bytes, digest: str) -> bytes:
        mech = pkcs11.Mechanism
        hashed = hashlib.new(digest, bytes(data)).digest()
        try:
            if self._scheme == "ecdsa":
                # The token returns r || s; CMS wants the DER ECDSA-Sig-Value.
                return encode_ecdsa_signature(self._key.sign(hashed, mechanism=mech.ECDSA))
            if self._scheme == "pss":
                params = (_HASH_MECHANISM[digest](mech), _MGF[digest](pkcs11.MGF), len(hashed))
                combined = _PSS_MECHANISM[digest](mech)
                if combined in self._mechanisms:
                    return self._key.sign(bytes(data), mechanism=combined, mechanism_param=params)
                return self._key.sign(hashed, mechanism=mech.RSA_PKCS_PSS, mechanism_param=params)
            combined = _PKCS1_MECHANISM[digest](mech)
            if combined in self._mechanisms:
                return self._key.sign(bytes(data), mechanism=combined)
            # Raw RSA_PKCS pads what it is given: give it the DigestInfo, as PKCS#1 signs.
            return self._key.sign(digest_info(digest, hashed), mechanism=mech.RSA_PKCS)
        except pkcs11.PKCS11Error as exc:
            raise SigningError(f"{self._where}: the token could not sign: {_reason(exc)}") from None

    def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                session.close()
            except Exception:  # noqa: BLE001 - closing a session the token dropped already
                pass

    def __enter__(self) -> "Pkcs11Signer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_HASH_MECHANISM = {"sha1": lambda m: m.SHA_1, "sha256": lambda m: m.SHA256,
                   "sha384": lambda m: m.SHA384, "sha512": lambda m: m.SHA512}
_MGF = {"sha1": lambda g: g.SHA1, "sha256": lambda g: g.SHA256, "sha384": lambda g: g.SHA384,
        "sha512": lambda g: g.SHA512}
_PKCS1_MECHANISM = {"sha1": lambda m: m.SHA1_RSA_PKCS, "sha256": lambda m: m.SHA256_RSA_PKCS,
                    "sha384": lambda m: m.SHA384_RSA_PKCS, "sha512": lambda m: m.SHA512_RSA_PKCS}
_PSS_MECHANISM = {"sha1": lambda m: m.SHA1_RSA_PKCS_PSS, "sha256": lambda m: m.SHA256_RSA_PKCS_PSS,
                  "sha384": lambda m: m.SHA384_RSA_PKCS_PSS, "sha512": lambda m: m.SHA512_RSA_PKCS_PSS}


def digest_info(digest: str, hashed: bytes) -> bytes:
    """PKCS#1 DigestInfo (with the NULL parameters RFC 8017 §9.2 requires) around a hash."""
    from asn1crypto import algos, core

    return algos.DigestInfo({"digest_algorithm": {"algorithm": digest, "parameters": core.Null()},
                             "digest": hashed}).dump()


def find_private_key(session, uri: Pkcs11Uri, where: str):
    """The one private key the URI's object= / id= select on the token."""
    kind = uri.attributes.get("type")
    if kind not in (None, "private"):
        raise SignerKeyError(f"{uri}: type={kind}: the URI must name a private key (type=private)")
    template = {pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY}
    if uri.label is not None:
        template[pkcs11.Attribute.LABEL] = uri.label
    if uri.id is not None:
        template[pkcs11.Attribute.ID] = uri.id
    try:
        keys = list(session.get_objects(template))
        if len(keys) == 1:
            return keys[0]
        if not keys:
            present = sorted(k.label for k in session.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY}))
            have = ", ".join(repr(label) for label in present[:10]) or "none"
            raise SignerKeyError(f"{uri}: no such private key on {where} (private keys: {have}); "
                                 "check object= and id=")
        ids = ", ".join(sorted(k.id.hex() or "(none)" for k in keys))  # tokens list in no set order
        raise SignerKeyError(f"{uri}: {len(keys)} private keys on {where} match (ids {ids}); "
                             "add object= or id= to choose one")
    except pkcs11.PKCS11Error as exc:
        raise SignerKeyError(f"{uri}: cannot search {where}: {_reason(exc)}") from None


def key_scheme(key, where: str, scheme: str | None) -> str:
    """The signature scheme for a token key: as FileSigner decides for a key file."""
    key_type = key.key_type
    if key_type == pkcs11.KeyType.RSA:
        kind, default = "RSA", "pkcs1v15"
    elif key_type == pkcs11.KeyType.EC:
        curve = _curve(key[pkcs11.Attribute.EC_PARAMS])
        if curve not in SUPPORTED_CURVES:
            raise SignerKeyError(f"{where}: EC curve {curve} is not supported (P-256, P-384, P-521)")
        kind, default = "EC", "ecdsa"
    else:
        raise SignerKeyError(f"{where}: {getattr(key_type, 'name', key_type)} keys are not supported "
                             "(RSA or ECDSA)")
    scheme = scheme or default
    if (kind == "EC") != (scheme == "ecdsa"):
        raise SigningError(f"signature scheme {scheme} does not fit an {kind} key")
    return scheme


def _curve(ec_params: bytes) -> str:
    from asn1crypto import keys

    params = keys.ECDomainParameters.load(ec_params)
    return params.chosen.native if params.name == "named" else "explicit parameters"


def token_public_key(session, key, where: str):
    """The key's public half as a ``cryptography`` key, read from the token (never the private half).

    RSA private key objects carry the modulus and exponent; an EC private key does
    not carry its point, so that comes from the public key object beside it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    attr = pkcs11.Attribute
    if key.key_type == pkcs11.KeyType.RSA:
        try:
            modulus, exponent = key[attr.MODULUS], key[attr.PUBLIC_EXPONENT]
            return rsa.RSAPublicNumbers(int.from_bytes(exponent, "big"), int.from_bytes(modulus, "big")).public_key()
        except pkcs11.PKCS11Error:
            pass
    public = _public_object(session, key)
    if public is None:
        return None
    if key.key_type == pkcs11.KeyType.RSA:
        return serialization.load_der_public_key(_spki_rsa(encode_rsa_public_key(public)))
    return serialization.load_der_public_key(encode_ec_public_key(public))


def _spki_rsa(pkcs1: bytes) -> bytes:
    from asn1crypto import keys

    return keys.PublicKeyInfo({"algorithm": {"algorithm": "rsa"},
                               "public_key": keys.RSAPublicKey.load(pkcs1)}).dump()


def _beside(key, object_class) -> dict:
    """A template for the objects stored with ``key``: same CKA_ID, else same label."""
    template = {pkcs11.Attribute.CLASS: object_class}
    if key.id:
        template[pkcs11.Attribute.ID] = key.id
    else:
        template[pkcs11.Attribute.LABEL] = key.label
    return template


def _public_object(session, key):
    found = list(session.get_objects(_beside(key, pkcs11.ObjectClass.PUBLIC_KEY)))
    return found[0] if len(found) == 1 else None


def _token_certificate(session, key, public, uri: Pkcs11Uri, where: str) -> bytes:
    """The certificate stored beside the key (same CKA_ID, else same label) whose key is the key's."""
    ders = [bytes(c[pkcs11.Attribute.VALUE]) for c in session.get_objects(_beside(key, pkcs11.ObjectClass.CERTIFICATE))]
    if public is not None:
        ders = [d for d in ders if same_public_key(load_x509(d).public_key(), public)]
    if not ders:
        raise SignerKeyError(f"{uri}: {where} holds no certificate for this key").because("cert")
    if len(ders) > 1:
        raise SignerKeyError(f"{uri}: {where} holds {len(ders)} certificates for this key").because("cert")
    return ders[0]


def _check_matches(signer: Pkcs11Signer, public, cert_der: bytes, where: str) -> None:
    cert_key = load_x509(cert_der).public_key()
    if public is not None:
        if not same_public_key(public, cert_key):
            raise SignerKeyError(f"{where}: the token's key does not match the signer certificate")
        return
    # No public half on the token to compare: a signature tells as surely.
    probe = b"ctlbuild: does this token key match the signer certificate?"
    signature = signer.sign(probe, "sha256")
    try:
        check_signature(cert_key, signature, probe, signer.scheme, "sha256")
    except SigningError:
        raise SignerKeyError(f"{where}: the token's key does not match the signer certificate") from None


def open_pkcs11_signer(uri_text: str, cert_path=None, chain_paths=(), *, scheme: str | None = None,
                       pin: PinSource | None = None, allow_insecure_permissions: bool = False,
                       environ=os.environ) -> Pkcs11Signer:
    """A Signer for the private key a ``pkcs11:`` URI names. The certificate comes from
    ``cert_path`` (with any chain after it in the file), else from the token beside the key."""
    uri = parse_uri(uri_text)
    # Read the files first: a missing certificate file costs no PIN try.
    cert_ders = load_cert_file(cert_path) if cert_path is not None else []
    extra = [d for p in chain_paths for d in load_cert_file(p)]
    session, token, _module = open_session(uri, pin=pin, allow_insecure_permissions=allow_insecure_permissions,
                                           environ=environ)
    where = _describe(token)
    try:
        key = find_private_key(session, uri, where)
        what = f"{where}: key {key.label!r}"
        chosen = key_scheme(key, what, scheme)
        try:
            mechanisms = frozenset(token.slot.get_mechanisms())
        except pkcs11.PKCS11Error:
            mechanisms = frozenset()
        public = token_public_key(session, key, what)
        if cert_ders:
            cert, chain = cert_ders[0], cert_ders[1:]
        else:
            cert, chain = _token_certificate(session, key, public, uri, where), []
        signer = Pkcs11Signer(session, key, cert, chain + extra, chosen, what, mechanisms)
        _check_matches(signer, public, cert, what)
        return signer
    except BaseException:
        session.close()
        raise


# -- development keys on a token -------------------------------------------------------------

def create_token_key(uri_text: str, algorithm: str, issue: Callable, *, pin: PinSource | None = None,
                     allow_insecure_permissions: bool = False, environ=os.environ):
    """Generate a signing key pair ON the token (sensitive, never extractable), have
    ``issue(public_key)`` make its certificate, and store that certificate beside it.

    Returns (certificate, URI naming the new key). Refuses when the token already
    holds an object with the URI's label or id; removes the new keys if issuing fails."""
    from cryptography.hazmat.primitives import serialization

    uri = parse_uri(uri_text)
    if not uri.label:
        raise SignerKeyError(f"{uri}: add object=LABEL to name the new key")
    if uri.attributes.get("type") not in (None, "private"):
        raise SignerKeyError(f"{uri}: type must be private (or absent) for a new key")
    if algorithm not in ("rsa", "ec"):
        raise SignerKeyError(f"unknown key algorithm {algorithm!r} (rsa or ec)")
    attr = pkcs11.Attribute
    session, token, _module = open_session(uri, pin=pin, rw=True, environ=environ,
                                           allow_insecure_permissions=allow_insecure_permissions)
    where = _describe(token)
    created = []
    try:
        taken = [o for o in session.get_objects({attr.LABEL: uri.label})]
        if uri.id is not None:
            taken += list(session.get_objects({attr.ID: uri.id}))
        if taken:
            raise SignerKeyError(f"{where} already holds an object labelled {uri.label!r}"
                                 f"{' or with that id' if uri.id is not None else ''}; "
                                 "choose another object= (or delete it first)")
        key_id = uri.id if uri.id is not None else os.urandom(8)
        private_template = {attr.TOKEN: True, attr.PRIVATE: True, attr.SENSITIVE: True,
                            attr.EXTRACTABLE: False, attr.SIGN: True, attr.DECRYPT: False,
                            attr.UNWRAP: False, attr.DERIVE: False}
        public_template = {attr.TOKEN: True, attr.VERIFY: True, attr.ENCRYPT: False, attr.WRAP: False}
        common = {"id": key_id, "label": uri.label, "store": True,
                  "capabilities": pkcs11.MechanismFlag.SIGN | pkcs11.MechanismFlag.VERIFY,
                  "private_template": private_template, "public_template": public_template}
        if algorithm == "rsa":
            public, private = session.generate_keypair(pkcs11.KeyType.RSA, 3072, **common)
        else:
            params = session.create_domain_parameters(
                pkcs11.KeyType.EC, {attr.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
            public, private = params.generate_keypair(**common)
        created += [private, public]
        public_key = token_public_key(session, private, where)
        certificate = issue(public_key)
        der = certificate.public_bytes(serialization.Encoding.DER)
        template = decode_x509_certificate(der)
        template.update({attr.TOKEN: True, attr.PRIVATE: False, attr.LABEL: uri.label, attr.ID: key_id})
        created.append(session.create_object(template))
    except BaseException as exc:
        for obj in created:
            try:
                obj.destroy()
            except Exception:  # noqa: BLE001 - cleaning up after the first failure, which is reported
                pass
        session.close()
        if isinstance(exc, pkcs11.PKCS11Error):
            raise SignerKeyError(f"{where}: cannot create the key: {_reason(exc)}") from None
        raise
    session.close()
    named = Pkcs11Uri({"token": token.label, "object": uri.label},
                      query={k: v for k, v in uri.query.items() if k in ("module-path", "module-name")})
    return certificate, str(named)
