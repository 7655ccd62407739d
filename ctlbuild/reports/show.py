"""What ``show`` prints: a CTL's header and entries as a text table or as JSON data.

>>> from ctlbuild.reports.show import describe, render_text
>>> data = describe(trust_list, signers=[...], path="authroot.stl")   # doctest: +SKIP
>>> print(render_text(data, style="spaced"))                          # doctest: +SKIP

``describe`` gives plain JSON-ready data (the documented shape of ``show --json``);
``render_text`` lays the same data out for people. Neither prints.
"""

from __future__ import annotations

import base64
from itertools import islice
from typing import TYPE_CHECKING, Iterable, Iterator

from .._gc import paused as gc_paused
from ..ctl import attributes
from ..ctl.evpolicies import ev_policy_name
from ..errors import FormatError
from ..formats.stl import SignerFacts
from ..model import AlikeEntries, Entry, TrustList
from ..oids import EKU_DISPLAY, HASH_NAMES, USAGE_NAMES, CtlExt, HashAlg, eku_name
from ..thumbprint import format_hex
from ..timeutil import iso
from .terminal import plural, printable

if TYPE_CHECKING:
    from .certnames import CertificateNames


def describe(tl: TrustList, signers: list[SignerFacts] | None = None, path=None, style: str = "spaced",
             entries: bool = True, entry_count: int | None = None, *,
             nested: list[list[SignerFacts]] | None = None, names: "CertificateNames | None" = None) -> dict:
    """``entry_count`` for a trust list decoded without its entries (``decode_header``);
    ``nested`` the signers nested in each outer signer (``formats.stl.nested_signer_facts``);
    ``names`` certificates you hold, which name entries that have no friendly name."""
    data = {"file": str(path) if path is not None else None,
            "header": header(tl, signers or [], entry_count, nested)}
    if names is not None:
        data["certificate_names"] = names.summary(tl)
    if entries:
        with gc_paused():  # a dict (and lists) per entry, none cyclic: see ctlbuild._gc
            data["entries"] = list(iter_entry_data(tl, style, names))
    return data


def iter_entry_data(tl: TrustList, style: str = "spaced", names: "CertificateNames | None" = None) -> Iterator[dict]:
    """``describe``'s entries one at a time, for writers that stream a big list."""
    algorithm = tl.subject_algorithm
    # Names from held certificates differ entry by entry: only without them is a run one dict.
    if names is None and isinstance(tl.entries, AlikeEntries) and tl.entries.identifiers:
        yield from _alike_entry_data(tl.entries, algorithm, style)
        return
    for e in tl.entries:
        yield entry_data(e, algorithm, style, names)


def _alike_entry_data(run: AlikeEntries, algorithm: str, style: str) -> Iterator[dict]:
    """``entry_data`` of each entry of a run: the first's dict, copied, with each entry's own
    identifier (and its sha1, when that is the identifier). Nested lists are shared."""
    first = entry_data(run[0], algorithm, style)
    sha1_is_identifier = run.sha1_is_identifier or (run.template.sha1 is None and algorithm == HashAlg.SHA1)
    for ident in run.identifiers:
        data = first.copy()
        data["identifier"] = text = format_hex(ident, style)
        if sha1_is_identifier:
            data["sha1"] = text
        yield data


#: Entries serialised per orjson call when streaming: big enough that the per-call cost
#: vanishes, small enough that a 1M-entry document (~600 MB) is never held whole.
JSON_BATCH = 2000


def json_document(data: dict, entries: Iterable[dict] = ()) -> Iterator[bytes]:
    """``data`` with ``"entries": [*entries]`` appended, as UTF-8 JSON pieces (orjson, two-space
    indent, non-ASCII as is) whose concatenation is byte for byte
    ``orjson.dumps({**data, "entries": list(entries)}, option=OPT_INDENT_2)`` plus a newline —
    made a batch of entries at a time, so memory stays flat whatever the list's size."""
    import orjson  # only the JSON writers need it

    option = orjson.OPT_INDENT_2
    head = orjson.dumps({**data, "entries": []}, option=option)
    if not head.endswith(b"[]\n}"):  # "entries" is the last key, so its empty list ends the text
        raise AssertionError("unexpected orjson layout")
    entries = iter(entries)
    first = True
    while batch := list(islice(entries, JSON_BATCH)):
        # A list dumped alone has its items at two spaces; in the document they sit at four.
        items = orjson.dumps(batch, option=option)[2:-2]
        yield (head[:-4] + b"[\n" if first else b",\n") + b"  " + items.replace(b"\n", b"\n  ")
        first = False
    yield head + b"\n" if first else b"\n  ]\n}\n"


def header(tl: TrustList, signers: list[SignerFacts], entry_count: int | None = None,
           nested: list[list[SignerFacts]] | None = None) -> dict:
    return {
        "name": tl.name,
        "kind": tl.kind,
        "usages": [{"oid": u, "name": USAGE_NAMES.get(u)} for u in tl.usages],
        "list_identifier": _identifier(tl.identifier),
        "sequence_number": {"decimal": str(tl.sequence), "hex": format(tl.sequence, "X")},
        "this_update": iso(tl.this_update),
        "next_update": iso(tl.next_update) if tl.next_update else None,
        "subject_algorithm": {"oid": tl.subject_algorithm, "name": HASH_NAMES.get(tl.subject_algorithm)},
        "entry_count": len(tl.entries) if entry_count is None else entry_count,
        "extensions": [_extension(x) for x in tl.extensions],
        "signers": [{**s.as_dict(), "nested": [n.as_dict() for n in inner]}
                    for s, inner in zip(signers, nested or [[] for _ in signers])],
    }


def _identifier(raw: bytes | None):
    return None if raw is None else {"hex": raw.hex(), "text": attributes.text_or_none(raw)}


def _extension(ext) -> dict:
    out = {"oid": ext.oid, "critical": ext.critical, "value_base64": base64.b64encode(ext.value).decode()}
    if ext.oid == CtlExt.CERT_LOG_LIST:
        from ..ctl.ctlogs import log_ids
        try:
            out["ct_log_ids"] = log_ids(ext.value)
        except ValueError:
            pass
    return out


def _ekus(oids):
    return None if oids is None else [{"oid": o, "name": eku_name(o), "display": EKU_DISPLAY.get(o)} for o in oids]


def entry_data(e: Entry, subject_algorithm: str, style: str, names: "CertificateNames | None" = None) -> dict:
    sha1 = e.thumbprint(subject_algorithm)
    identifier = format_hex(e.identifier, style)
    name, source = entry_name(e, subject_algorithm, names)
    return {
        "identifier": identifier,
        "name": name,
        "name_source": source,
        # Usually the identifier itself: one string for both (1M entries, 1M fewer strings).
        "sha1": (identifier if sha1 == e.identifier else format_hex(sha1, style)) if sha1 else None,
        "sha256": _hex(e.sha256, style),
        "friendly_name": e.friendly_name,
        "issuer": e.issuer,
        "key_id": _hex(e.key_id, style),
        "subject_name_md5": _hex(e.subject_name_md5, style),
        "ekus": _ekus(e.ekus),
        "disallowed_ekus": _ekus(e.disallowed_ekus),
        "disabled_since": _time(e.disabled_since),
        "not_before": _time(e.not_before),
        "not_before_ekus": _ekus(e.not_before_ekus),
        "ev_policies": list(e.ev_policies) if e.ev_policies is not None else None,
        "ev_policy_names": [ev_policy_name(o) for o in e.ev_policies] if e.ev_policies is not None else None,
        "chain_policies": _ekus(e.chain_policies),
        "raw_attributes": [{"oid": o, "value_hex": v.hex()} for o, v in e.raw_attributes]
                          if e.raw_attributes else [],
        "has_certificate": e.cert is not None,
        "updates": list(e.updates),
    }


def entry_name(e: Entry, subject_algorithm: str, names: "CertificateNames | None" = None):
    """(name, where it came from): the friendly name; else the entry's own certificate's
    CN, O or OU (a list's ``cert =``), as Windows names a certificate without one; else the
    same from a certificate you hold (``show --certs``) with the entry's identifier."""
    if e.friendly_name:
        return e.friendly_name, "friendly_name"
    if e.cert is not None:
        from ..formats.certificates import CertInfo
        try:
            return CertInfo.from_der(e.cert).fallback_name, "certificate"
        except FormatError:
            pass
    if names is not None:
        held = names.name_for(e)
        if held is not None:
            return held, "certs"
    return None, None


def _hex(raw, style):
    return format_hex(raw, style) if raw is not None else None


_ISO_BY_TICKS: dict = {}


def _time(ft):
    if ft is None:
        return None
    # Big lists share a few dates across all entries: format each once.
    text = _ISO_BY_TICKS.get(ft.ticks)
    if text is None:
        text = ft.iso() or "no date"
        if len(_ISO_BY_TICKS) < 4096:
            _ISO_BY_TICKS[ft.ticks] = text
    return text


# -- text ------------------------------------------------------------------------------------

def render_text(data: dict, style: str = "spaced") -> str:
    return "\n".join(_text_lines(data)) + "\n"


def _text_lines(data: dict) -> Iterator[str]:
    if data.get("file"):
        yield f"File:              {printable(data['file'])}"
    yield from _header_lines(data["header"])
    if data.get("certificate_names"):
        n = data["certificate_names"]
        yield (f"Names from certs:  {n['named']} of {n['entries']} entries named "
               f"({plural(n['certificates'], 'certificate')} read, {plural(n['skipped'], 'file')} skipped)")
    if "entries" not in data:
        return
    yield ""
    yield from _table(data["entries"], data["header"]["subject_algorithm"]["oid"])


def _header_lines(h: dict) -> Iterator[str]:
    yield f"Usage:             {', '.join(_named(u) for u in h['usages'])}"
    ident = h["list_identifier"]
    yield f"List identifier:   {printable((ident['text'] or ident['hex']) if ident else '(none)')}"
    yield f"Sequence number:   {h['sequence_number']['hex']} ({h['sequence_number']['decimal']})"
    yield f"This update:       {h['this_update']}"
    yield f"Next update:       {h['next_update'] or '(none)'}"
    yield f"Subject algorithm: {_named(h['subject_algorithm'])}"
    for s in h["signers"]:
        yield f"Signer:            {_signer_text(s)}"
        for n in s.get("nested", ()):
            yield f"  nested signer:   {_signer_text(n)}"
    for x in h["extensions"]:
        extra = f" ({len(x['ct_log_ids'])} CT logs)" if "ct_log_ids" in x else ""
        yield f"Extension:         {x['oid']}{extra}"
    yield f"Entries:           {h['entry_count']}"


def _signer_text(s: dict) -> str:
    issuer = f"issued by {s['issuer']}; " if s["issuer"] else ""  # none: not embedded, or unparsed
    return printable(f"{s['subject']} ({issuer}{s['digest']})")


#: The identifier column's heading, by subject algorithm: "Thumbprint" only where it is one.
_ID_HEADINGS = {HashAlg.SHA1: "Thumbprint", HashAlg.SHA256: "SHA-256", HashAlg.DISALLOWED_HASH: "Identifier (MD5)"}


def _table(entries: list[dict], algorithm: str) -> Iterator[str]:
    """One row per entry; a column no entry fills (Issuer, always, for a CTL) is left out."""
    heads = ("#", "Certificate", "Issuer", _ID_HEADINGS.get(algorithm, "Identifier"), "Attributes")
    rows = [(str(i), printable(e["name"] or ""), printable(e["issuer"] or ""), e["identifier"],
             printable(_attribute_summary(e))) for i, e in enumerate(entries, 1)]
    keep = [c for c in range(5) if c in (0, 3) or any(r[c] for r in rows)]
    table = [tuple(heads[c] for c in keep)] + [tuple(r[c] for c in keep) for r in rows]
    widths = [max(len(r[c]) for r in table) for c in range(len(keep))]
    for r in table:
        yield "  ".join(cell.ljust(widths[c]) for c, cell in enumerate(r)).rstrip()


# -- stable text (git's textconv) --------------------------------------------------------------

def render_stable(data: dict) -> str:
    """``show --stable``: text that changes only where the CTL does, for git's textconv and
    for diff(1). No file name, no row numbers, no column padding (a longer name added would
    shift every row); one line per entry, sorted by identifier, so that a root added or
    changed is one line of a diff whatever Microsoft did to the entry order."""
    lines = list(_header_lines(data["header"]))
    if "entries" in data:
        for e in sorted(data["entries"], key=lambda e: e["identifier"].replace(" ", "").replace(":", "").lower()):
            lines.append("  ".join(part for part in (e["identifier"], printable(e["name"] or "-"),
                                                      printable(_attribute_summary(e))) if part))
    return "\n".join(lines) + "\n"


def _named(item: dict) -> str:
    return f"{item['name']} ({item['oid']})" if item.get("name") else item["oid"]


def _ev_text(oid: str, name: str | None) -> str:
    return f"{oid} ({name})" if name else oid


def _attribute_summary(e: dict) -> str:
    parts = []
    if e["ekus"] is not None:
        parts.append("EKU " + (",".join(x["name"] for x in e["ekus"]) or "none"))
    if e["disallowed_ekus"] is not None:
        parts.append("disallowed EKU " + ",".join(x["name"] for x in e["disallowed_ekus"]))
    if e["disabled_since"] is not None:
        parts.append(f"disabled since {e['disabled_since']}")
    if e["not_before"] is not None:
        parts.append(f"NotBefore {e['not_before']}")
    if e["not_before_ekus"] is not None:
        parts.append("NotBefore EKU " + (",".join(x["name"] for x in e["not_before_ekus"]) or "none"))
    if e["ev_policies"]:
        parts.append("EV " + ",".join(_ev_text(o, n) for o, n in zip(e["ev_policies"], e["ev_policy_names"])))
    if e["chain_policies"]:
        parts.append("chain policy " + ",".join(x["name"] for x in e["chain_policies"]))
    if e["updates"]:
        parts.append("updates " + ",".join(e["updates"]))
    for raw in e["raw_attributes"]:
        parts.append(f"{raw['oid']}={raw['value_hex'][:16]}")
    return "; ".join(parts)




# -- serialized stores and certificate files ---------------------------------------------------

def describe_certificates(source, style: str = "spaced") -> dict:
    """``show`` of an SST, a PEM bundle or a folder: each certificate with its thumbprints
    and, for a store, every property decoded (and a CTL the store carries, by header)."""
    from ..formats.certificates import CertInfo

    contexts = source.store.certificates if source.store else [None] * len(source.certificates)
    certs = []
    for der, ctx in zip(source.certificates, contexts):
        info = CertInfo.from_der(der)
        item = {"sha1": format_hex(info.sha1, style), "sha256": format_hex(info.sha256, style),
                "subject": info.subject, "issuer": info.issuer,
                "not_before": iso(info.cert.not_valid_before), "not_after": iso(info.cert.not_valid_after)}
        if ctx is not None:
            item["properties"] = [describe_property(p.prop_id, p.value) for p in ctx.properties]
            item["sha1_property_matches"] = ctx.sha1_matches()
        certs.append(item)
    data = {"file": str(source.path), "kind": source.kind, "certificates": certs}
    if source.trust_list is not None:
        data["ctl"] = describe(source.trust_list, source.signers(), style=style, entries=False)["header"]
    return data


def describe_property(prop_id: int, value: bytes) -> dict:
    """``{"id", "name", "value", "decoded", "hex"}``: ``value`` is the reading (hex for
    hashes, text for names, OIDs with names for EKU lists, ISO dates for FILETIMEs),
    or the raw hex when the bytes do not read back exactly (``decoded`` False)."""
    reading = _reading(prop_id, value)
    decoded = reading is not None
    return {"id": prop_id, "name": attributes.name_of(prop_id), "value": reading if decoded else value.hex(),
            "decoded": decoded, "hex": value.hex()}


def _reading(prop_id: int, value: bytes):
    typed = attributes.read_typed(prop_id, value)
    if typed is None:
        return None
    codec = attributes.BY_ID[prop_id].codec
    if codec is attributes.BYTES:
        return typed.hex()
    if codec is attributes.FILETIME:
        return typed.iso() or "no date"
    if codec is attributes.OIDS:
        return [{"oid": o, "name": eku_name(o)} for o in typed]
    if codec is attributes.POLICIES:
        return list(typed)
    return typed


def render_certificates_text(data: dict) -> str:
    lines = [f"File:              {printable(data['file'])} ({data['kind']}, {plural(len(data['certificates']), 'certificate')})"]
    if data.get("ctl"):
        h = data["ctl"]
        lines.append(f"CTL:               {h['entry_count']} entries, this update {h['this_update']}")
    for i, c in enumerate(data["certificates"], 1):
        lines += ["", f"[{i}] {printable(c['subject'])}", f"    issuer:  {printable(c['issuer'])}",
                  f"    sha1:    {c['sha1']}",
                  f"    valid:   {c['not_before']} .. {c['not_after']}"]
        for p in c.get("properties", []):
            lines.append(f"    {p['name']} ({p['id']}): {printable(_property_text(p))}")
    return "\n".join(lines) + "\n"


def render_certificates_stable(data: dict) -> str:
    """``show --stable`` of a store, bundle or folder: one line per certificate, sorted by
    SHA-1, with its properties; no file name."""
    lines = [f"Certificates:      {len(data['certificates'])}"]
    if data.get("ctl"):
        lines += list(_header_lines(data["ctl"]))
    for c in sorted(data["certificates"], key=lambda c: c["sha1"].replace(" ", "").replace(":", "").lower()):
        props = "; ".join(f"{p['name']}={_property_text(p)}" for p in c.get("properties", []))
        lines.append("  ".join(x for x in (c["sha1"], printable(c["subject"]),
                                           f"{c['not_before']} .. {c['not_after']}", printable(props)) if x))
    return "\n".join(lines) + "\n"


def _property_text(p: dict) -> str:
    value = p["value"]
    if isinstance(value, list):
        return ", ".join(v["name"] if isinstance(v, dict) else v for v in value) or "(empty)"
    return str(value) if p["decoded"] else f"{value} (raw)"
