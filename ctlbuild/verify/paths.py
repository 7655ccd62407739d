"""Certificate paths: RFC 5280 by pyhanko-certvalidator, Windows' additions on top.

pyhanko-certvalidator builds every path from the signer to an anchor and backtracks over
all candidates, enforcing validity at a moment, basicConstraints and pathLen, keyUsage,
nameConstraints and unknown critical extensions, with our key and algorithm policy
plugged in. On top of each path it accepts, Windows' rules: the signer's EKU must be
one the list's usage calls for, and every CA that carries an EKU extension must allow it.
The first path that satisfies everything wins; when none does, the cause is named.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import x509 as ax509
from pyhanko_certvalidator.authority import CertTrustAnchor
from pyhanko_certvalidator.context import ValidationContext
from pyhanko_certvalidator.errors import (
    DisallowedAlgorithmError,
    PathBuildingError,
    ValidationError,
)
from pyhanko_certvalidator.policy_decl import AlgorithmUsageConstraint, AlgorithmUsagePolicy
from pyhanko_certvalidator.validate import async_validate_path

from ..oids import eku_name
from .algorithms import hash_flag, hash_refusal, key_refusal, weak_key
from .pool import CertPool, PoolCert, name_of

#: Paths tried per signer before giving up: each is a distinct chain of verified issuers.
MAX_PATHS = 16


@dataclass
class Chain:
    """The outcome for one signer at one moment. ``path`` runs from the signer to the anchor."""
    path: list[ax509.Certificate] = field(default_factory=list)
    #: Why no path is acceptable (None: a path is), and which check that is.
    problem: str | None = None
    check: str = "chain"
    #: The EKU the signer was accepted for.
    eku: str | None = None
    #: Weak algorithms and keys on the path, each with the flag that let it through.
    weak: list[tuple[str, str]] = field(default_factory=list)

    @property
    def names(self) -> str:
        return " → ".join(name_of(c.subject) for c in self.path)


@dataclass(frozen=True)
class Rules:
    allow_sha1: bool = False
    allow_md5: bool = False
    allow_weak_keys: bool = False

    @classmethod
    def permissive(cls) -> "Rules":
        return cls(True, True, True)


class _AlgorithmPolicy(AlgorithmUsagePolicy):
    """Our table (README, *Security*) in the shape pyhanko asks it."""

    def __init__(self, rules: Rules):
        self.rules = rules

    def digest_algorithm_allowed(self, algo, moment) -> AlgorithmUsageConstraint:
        why = hash_refusal(algo["algorithm"].native, allow_sha1=self.rules.allow_sha1,
                           allow_md5=self.rules.allow_md5)
        return AlgorithmUsageConstraint(why is None, failure_reason=why)

    def signature_algorithm_allowed(self, algo, moment, public_key) -> AlgorithmUsageConstraint:
        name = _signature_hash(algo)
        why = hash_refusal(name, allow_sha1=self.rules.allow_sha1, allow_md5=self.rules.allow_md5) \
            if name else None
        if why is None and public_key is not None:
            why = key_refusal(public_key) or (None if self.rules.allow_weak_keys else weak_key(public_key))
        return AlgorithmUsageConstraint(why is None, failure_reason=why)


def _signature_hash(algo) -> str | None:
    try:
        return algo.hash_algo
    except ValueError:  # RSA-PSS: the hash is in the parameters
        try:
            return algo["parameters"]["hash_algorithm"]["algorithm"].native
        except (KeyError, TypeError, ValueError):
            return None


def validate(pool: CertPool, leaf: PoolCert, anchors: list, moment: datetime, ekus: frozenset[str],
             rules: Rules) -> Chain:
    """The first acceptable path from ``leaf`` to one of ``anchors`` at ``moment``; the
    signer must carry one of ``ekus`` and every CA on the path must allow it."""
    key = (leaf.fingerprint, moment, ekus, rules)
    if key not in pool.results:
        chain = _run(_validate(pool, leaf, anchors, moment, ekus, rules))
        if chain.problem and rules != Rules.permissive():
            chain = _diagnose(pool, leaf, anchors, moment, ekus, rules, chain)
        pool.results[key] = chain
    return pool.results[key]


def _run(coroutine):
    # pyhanko's API is asynchronous; nothing here fetches, so a private loop per call is enough.
    return asyncio.run(coroutine)


async def _validate(pool, leaf, anchors, moment, ekus, rules) -> Chain:
    # Windows applies an anchor's own constraints (pathLen, nameConstraints) to paths below it;
    # RFC 5280 leaves that to the relying party: we do as Windows does.
    roots = [CertTrustAnchor(a, derive_default_quals_from_cert=True) for a in anchors]
    context = ValidationContext(trust_roots=roots, other_certs=[c.asn1 for c in pool.reachable(leaf)],
                                moment=moment, allow_fetching=False, revocation_mode="soft-fail",
                                algorithm_usage_policy=_AlgorithmPolicy(rules))
    failures: list[Chain] = []
    paths = context.path_builder.async_build_paths_lazy(leaf.asn1)
    try:
        async for candidate in paths:
            certs = list(candidate.iter_certs(include_root=True))[::-1]
            chain = Chain(certs)
            try:
                await async_validate_path(context, candidate)
            except ValidationError as exc:
                chain.problem, chain.check = _describe(exc, certs), _check_of(exc)
            else:
                _signer_key_usage(chain) or _anchor_validity(chain, moment) or _windows_rules(chain, ekus)
            if chain.problem is None:
                chain.weak = weak_uses(certs)
                return chain
            failures.append(chain)
            if len(failures) >= MAX_PATHS:
                break
    except PathBuildingError:
        name = name_of(leaf.asn1.issuer)
        return Chain([leaf.asn1], f"no path to the anchor: nothing verifiably issued "
                     f"{name_of(leaf.asn1.subject)} (no anchor or embedded certificate named {name} "
                     "whose key verifies its signature)")
    finally:
        await paths.cancel()
    return _most_telling(failures) if failures else Chain([leaf.asn1], "no path to the anchor")


def _most_telling(failures: list[Chain]) -> Chain:
    """Among failed paths, the one whose failure says most: a rule broken on an otherwise
    sound path rather than a signature that does not check (pyhanko's own preference)."""
    for chain in failures:
        if "signature" not in (chain.problem or ""):
            return chain
    return failures[0]


def _describe(exc: ValidationError, certs: list) -> str:
    text = (str(exc).splitlines() or [type(exc).__name__])[0]
    text = text.replace("The path could not be validated because ", "").rstrip(".")[:300]
    if "could not be verified" in text and "signature" in text:
        # pyhanko builds by name; a same-named issuer whose key does not verify is no path.
        return f"no path to the anchor: {text}"
    return text


def _signer_key_usage(chain: Chain) -> bool:
    """keyUsage, when present, must allow digitalSignature (an absent one allows all:
    Microsoft's 2017–2019 signers carry none)."""
    usage = chain.path[0].key_usage_value
    if usage is not None and "digital_signature" not in usage.native:
        chain.check = "key-usage"
        chain.problem = (f"signer {name_of(chain.path[0].subject)} has keyUsage "
                         f"{', '.join(sorted(usage.native))}, without digitalSignature")
        return True
    return False


def _check_of(exc: ValidationError) -> str:
    return "algorithm" if isinstance(exc, DisallowedAlgorithmError) else "chain"


def _anchor_validity(chain: Chain, moment: datetime) -> bool:
    """RFC 5280 does not look at an anchor's dates; Windows does (and so did we before)."""
    validity = chain.path[-1]["tbs_certificate"]["validity"]
    start, end = validity["not_before"].native, validity["not_after"].native
    if not start <= moment <= end:
        chain.problem = (f"anchor {name_of(chain.path[-1].subject)} not valid at {moment:%Y-%m-%dT%H:%M:%SZ} "
                         f"({start:%Y-%m-%d} .. {end:%Y-%m-%d})")
        return True
    return False


def _windows_rules(chain: Chain, ekus: frozenset[str]) -> None:
    """EKU nesting: the signer's usage must be one the list calls for, and every CA on the
    path that carries an EKU extension must include it (Windows intersects them)."""
    leaf, cas = chain.path[0], chain.path[1:]
    have = set(_ekus(leaf) or ())
    usable = sorted(have & ekus)
    if not usable:
        chain.check = "signer-eku"
        chain.problem = (f"signer certificate carries no EKU this list's usage accepts (needs one of "
                         f"{_eku_list(ekus)}; has {_eku_list(have) or 'none'})")
        return
    for eku in usable:
        limiting = [c for c in cas if _ekus(c) is not None and eku not in _ekus(c)]
        if not limiting:
            chain.eku = eku
            return
    first = next(c for c in cas if _ekus(c) is not None and not set(usable) & set(_ekus(c)))
    chain.check = "eku-nesting"
    chain.problem = (f"{name_of(first.subject)} limits its EKUs to {_eku_list(_ekus(first))}, which "
                     f"excludes the signer's {_eku_list(set(usable))}")


def _ekus(cert: ax509.Certificate) -> list[str] | None:
    value = cert.extended_key_usage_value
    return None if value is None else [oid.dotted for oid in value]


def _eku_list(oids) -> str:
    return ", ".join(f"{eku_name(o) or o} ({o})" if eku_name(o) else o for o in sorted(oids))


def weak_uses(path: list[ax509.Certificate]) -> list[tuple[str, str]]:
    """(flag, what) for each weak hash or key the path relies on. The anchor's own
    signature is not relied on; its key is."""
    uses = []
    for i, cert in enumerate(path):
        if i + 1 < len(path):
            name = _signature_hash(cert["signature_algorithm"])
            if hash_flag(name or ""):
                uses.append((hash_flag(name), f"{name.upper().replace('SHA1', 'SHA-1')} signature on "
                             f"{name_of(cert.subject)}"))
        weak = weak_key(cert.public_key)
        if weak:
            uses.append(("--allow-weak-keys", f"{name_of(cert.subject)} has a {weak} key"))
    return uses


def refused_uses(chain: Chain, rules: Rules) -> list[tuple[str, str]]:
    allowed = {"--allow-sha1": rules.allow_sha1, "--allow-md5": rules.allow_md5,
               "--allow-weak-keys": rules.allow_weak_keys}
    return [(flag, what) for flag, what in chain.weak if not allowed[flag]]


def _diagnose(pool, leaf, anchors, moment, ekus, rules, failed: Chain) -> Chain:
    """A path that fails only our algorithm or key floor is reported as that, by name: an
    auditor of a 2008 file should read "MD5 signature on …", not "no path"."""
    lax = _run(_validate(pool, leaf, anchors, moment, ekus, Rules.permissive()))
    refused = refused_uses(lax, rules) if lax.problem is None else []
    if not refused:
        return failed
    flag, _what = refused[0]
    lax.check = "key" if flag == "--allow-weak-keys" else "algorithm"
    lax.problem = "; ".join(f"{what}: refused (accepted only with {flag})" for flag, what in refused)
    return lax
