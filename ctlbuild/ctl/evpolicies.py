"""Who an EV policy OID belongs to: the CAs' Extended Validation certificate policies, by name.

>>> from ctlbuild.ctl.evpolicies import ev_policy_name
>>> ev_policy_name("2.16.840.1.114412.2.1"), ev_policy_name("1.2.3") is None
('DigiCert EV', True)

Display only (``show`` prints the name beside the OID); nothing is judged by it. Sources,
each OID checked against one of them, none added from memory:

* the CA/Browser Forum's own arc 2.23.140.1: 2.23.140.1.1 in the EV Guidelines (TLS),
  2.23.140.1.3 in the Code Signing Baseline Requirements (EV code signing);
* Mozilla's EV table, ``security/certverifier/ExtendedValidation.cpp`` in mozilla-central
  (``kEVInfos``: each root's ``dottedOid`` and ``oidName``), the current file for the CAs
  still listed and its 2013-2014 versions (``myTrustedEVInfos``) for those since removed
  (VeriSign, thawte, GeoTrust, StartCom, Camerfirma, TC TrustCenter, A-Trust, TurkTrust,
  CNNIC, Swisscom, E-Tugra, Certplus, GlobalSign's own arc).

The names are the CA's as those tables give them, without their "EV OID" suffix; where one
CA has several OIDs the tables' letters or numbers are kept ("AffirmTrust EV a").
"""

from __future__ import annotations

EV_POLICIES: dict[str, str] = {
    # CA/Browser Forum reserved policy identifiers
    "2.23.140.1.1": "CA/Browser Forum EV",
    "2.23.140.1.3": "CA/Browser Forum EV code signing",
    # Mozilla kEVInfos (current)
    "2.16.756.1.89.1.2.1.1": "SwissSign EV",
    "2.16.840.1.114404.1.1.2.4.1": "Trustwave EV",
    "1.3.6.1.4.1.6449.1.2.1.5.1": "Comodo EV",
    "2.16.840.1.114413.1.7.23.3": "Go Daddy EV a",
    "2.16.840.1.114414.1.7.23.3": "Go Daddy EV b (Starfield)",
    "2.16.840.1.114412.2.1": "DigiCert EV",
    "1.3.6.1.4.1.8024.0.2.100.1.2": "QuoVadis EV",
    "2.16.840.1.114028.10.1.2": "Entrust EV",
    "2.16.578.1.26.1.3.3": "Buypass EV",
    "1.3.6.1.4.1.34697.2.1": "AffirmTrust EV a",
    "1.3.6.1.4.1.34697.2.2": "AffirmTrust EV b",
    "1.3.6.1.4.1.34697.2.3": "AffirmTrust EV c",
    "1.3.6.1.4.1.34697.2.4": "AffirmTrust EV d",
    "1.2.616.1.113527.2.5.1.1": "Certum EV",
    "1.3.6.1.4.1.14777.6.1.1": "Izenpe EV 1",
    "1.3.6.1.4.1.14777.6.1.2": "Izenpe EV 2",
    "1.3.6.1.4.1.7879.13.24.1": "T-Systems EV",
    "1.3.6.1.4.1.40869.1.1.22.3": "TWCA EV",
    "1.3.6.1.4.1.4788.2.202.1": "D-TRUST EV",
    "1.3.159.1.17.1": "Actalis EV",
    "2.16.156.112554.3": "CFCA EV",
    "1.2.392.200091.100.721.1": "SECOM EV",
    "2.16.756.5.14.7.4.8": "WISeKey EV",
    "1.2.156.112559.1.1.6.1": "GDCA EV",
    # Mozilla myTrustedEVInfos (2013-2014), CAs since removed or moved to 2.23.140.1.1
    "1.3.6.1.4.1.6334.1.100.1": "Cybertrust EV",
    "1.3.6.1.4.1.23223.1.1.1": "StartCom EV",
    "2.16.840.1.113733.1.7.23.6": "VeriSign EV",
    "1.3.6.1.4.1.14370.1.6": "GeoTrust EV",
    "2.16.840.1.113733.1.7.48.1": "Thawte EV",
    "1.3.6.1.4.1.782.1.2.1.8.1": "Network Solutions EV",
    "1.3.6.1.4.1.4146.1.1": "GlobalSign EV",
    "1.3.6.1.4.1.22234.2.5.2.3.1": "Certplus EV",
    "1.3.6.1.4.1.17326.10.14.2.1.2": "Camerfirma EV a",
    "1.3.6.1.4.1.17326.10.8.12.1.2": "Camerfirma EV b",
    "1.2.276.0.44.1.1.1.4": "TC TrustCenter EV",
    "1.2.40.0.17.1.22": "A-Trust EV",
    "2.16.792.3.0.3.1.1.5": "TurkTrust EV",
    "1.3.6.1.4.1.29836.1.10": "CNNIC EV",
    "2.16.756.1.83.21.0": "Swisscom EV",
    "1.3.6.1.4.1.13177.10.1.3.10": "Firmaprofesional EV",
    "2.16.792.3.0.4.1.1.4": "E-Tugra EV",
}


def ev_policy_name(oid: str) -> str | None:
    """The CA an EV policy OID belongs to, or None when no source names it."""
    return EV_POLICIES.get(oid)
