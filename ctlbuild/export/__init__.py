"""Export a CTL to other platforms' trust stores (PEM bundle, OpenSSL hashed folder, p11-kit,
Java PKCS#12 truststore, JSON), deciding each entry's trust per purpose at a time, with a
report of everything a format cannot carry.

    trust.py      Microsoft's rules: one entry, one purpose, one time → a status
    certs.py      certificates for the entries, matched by SHA-1 and SHA-256
    plan.py       per entry and format: written as what, and what is kept/dropped/approximated
    report.py     the lossiness report (schema: reports/schemas/export-report.schema.json)
    registry.py   the formats table; pem.py openssl_dir.py p11kit.py pkcs12.py json_out.py
    writing.py    what writers share; publish.py writes the result into place
    api.py        export(): the whole thing
"""
