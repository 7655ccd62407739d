"""PKCS#11 signing against a real token: SoftHSM2 with a fresh token made for the session.

Keys are generated ON the token (sensitive, never extractable); their certificates
come from the test CA; the CLI builds and verifies with them. RFC 7512 URI parsing
is tested first, without a token.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.errors import SignerKeyError, SigningError
from ctlbuild.signing.pkcs11 import Pkcs11Uri, module_path, parse_uri
from tests.conftest import NOW, SIGNING_TIME
from tests.peers import missing, require_tool

LIST = "examples/diginotar-kb2616676.toml"
PIN, SO_PIN = "1234", "5678"
WRONG_PIN = "97531"  # distinctive, so its absence from every output means something
TOKEN = "ctlbuild-test"


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def uri(label: str, **more) -> str:
    extra = "".join(f";{k}={v}" for k, v in more.items())
    return f"pkcs11:token={TOKEN};object={label}{extra}"


# -- RFC 7512 URIs (no token needed) ---------------------------------------------------------

def test_uri_attributes_are_percent_decoded():
    parsed = parse_uri("pkcs11:token=My%20Token;object=ctl%3Bsigner;id=%01%AB;serial=42?module-name=softhsm2")
    assert parsed.attributes == {"token": "My Token", "object": "ctl;signer", "serial": "42"}
    assert parsed.id == b"\x01\xab"
    assert parsed.query == {"module-name": "softhsm2"}
    assert parse_uri(str(parsed)) == parsed  # re-encodes what needs it
    assert parse_uri("PKCS11:object=%E2%82%AC").label == "€"  # the scheme is case-insensitive
    assert parse_uri("pkcs11:").attributes == {}


@pytest.mark.parametrize("text, message", [
    ("pkcs11:token=a;colour=blue", "path part 2 is not a known attribute"),
    ("pkcs11:token=a;token=b", "appears twice"),
    ("pkcs11:object=50%", "two hex digits"),
    ("pkcs11:object=%ff", "not UTF-8"),
    ("pkcs11:type=key", "type must be one of"),
    ("pkcs11:slot-id=one", "decimal"),
    ("pkcs11:library-version=v2", "MAJOR.MINOR"),
    ("pkcs11:token", "not NAME=VALUE"),
    ("pkcs11:token=a?module-dir=/x", "query part 1 is not a known attribute"),
    ("file:key.pem", "must start with 'pkcs11:'"),
])
def test_bad_uris_are_refused(text, message):
    with pytest.raises(SignerKeyError, match=message):
        parse_uri(text)


def test_pin_value_is_refused_without_echoing_it():
    secret = "s3cr%33t-pin"
    with pytest.raises(SignerKeyError) as caught:
        parse_uri(f"pkcs11:token=a;object=%zz?pin-value={secret}")  # refused before the bad %zz
    message = str(caught.value)
    assert "pin-value is refused" in message and "CTLBUILD_PKCS11_PIN" in message
    assert "s3cr" not in message and "3t-pin" not in message


@pytest.mark.parametrize("text", [
    "pkcs11:token=x;pin-value:918273",   # the issue's: ':' for '=' made it "not NAME=VALUE"
    "pkcs11:token=x;PIN-VALUE=918273",
    "pkcs11:token=x;918273",             # a PIN pasted as a path part
    "pkcs11:token=x;918273=1",           # ... or as an attribute name
    "pkcs11:token=x?918273",
    "pkcs11:token=x?918273=1",
    "pkcs11:918273",
])
def test_no_message_repeats_a_part_that_could_be_a_secret(text):
    with pytest.raises(SignerKeyError) as caught:
        parse_uri(text)
    assert "918273" not in str(caught.value) and "9182" not in str(caught.value)


def test_module_path_resolution(tmp_path):
    module = tmp_path / "libvendor-p11.so"
    module.write_bytes(b"")
    assert module_path(parse_uri(f"pkcs11:?module-path={module}"), environ={}) == str(module)
    assert module_path(parse_uri(f"pkcs11:?module-path={tmp_path}&module-name=vendor-p11"),
                       environ={}) == str(module)
    # The URI names its module more precisely than the environment does.
    assert module_path(parse_uri(f"pkcs11:?module-path={module}"),
                       environ={"CTLBUILD_PKCS11_MODULE": "/elsewhere.so"}) == str(module)
    assert module_path(parse_uri("pkcs11:"), environ={"CTLBUILD_PKCS11_MODULE": str(module)}) == str(module)
    for text, message in [("pkcs11:?module-path=lib.so", "absolute"),
                          (f"pkcs11:?module-path={tmp_path}", "add module-name"),
                          (f"pkcs11:?module-path={tmp_path}/none.so", "not found"),
                          ("pkcs11:?module-name=no-such-module-here", "not found")]:
        with pytest.raises(SignerKeyError, match=message):
            module_path(parse_uri(text), environ={})
    with pytest.raises(SignerKeyError, match="from CTLBUILD_PKCS11_MODULE"):
        module_path(parse_uri("pkcs11:"), environ={"CTLBUILD_PKCS11_MODULE": "/no/such.so"})


# -- a SoftHSM2 token for the session --------------------------------------------------------

@pytest.fixture(scope="session")
def hsm(tmp_path_factory, dev_keys):
    """A fresh SoftHSM2 token with RSA-2048, RSA-3072 and P-256 keys generated on it,
    and certificates for them issued by the test CA (only the EC one stored on the token)."""
    require_tool("softhsm2-util", "softhsm2")
    import pkcs11
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from pkcs11 import Attribute, KeyType, MechanismFlag
    from pkcs11.util.ec import encode_named_curve_parameters
    from pkcs11.util.x509 import decode_x509_certificate

    from ctlbuild.signing.devkeys import issue_signer
    from ctlbuild.signing.keyfiles import load_private_key
    from ctlbuild.signing.pkcs11 import token_public_key

    home = tmp_path_factory.mktemp("softhsm")
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    saved = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    try:
        module = module_path(parse_uri("pkcs11:"), environ={})
    except SignerKeyError as exc:
        missing(f"SoftHSM2 module not found ({exc})")
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", SO_PIN],
                   check=True, capture_output=True)
    lib = pkcs11.lib(module)
    lib.reinitialize()  # in case this process loaded the module before: see the new token and conf
    root_key = load_private_key(dev_keys.root_key)
    root_cert = x509.load_pem_x509_certificate(dev_keys.root_cert.read_bytes())
    never_out = {Attribute.TOKEN: True, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
                 Attribute.EXTRACTABLE: False, Attribute.SIGN: True}
    certs = {}
    with lib.get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
        def generate(label, key_id, algorithm, store_cert=False):
            kwargs = dict(label=label, id=key_id, store=True, private_template=never_out,
                          capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY)
            if algorithm.startswith("rsa"):
                _public, private = session.generate_keypair(KeyType.RSA, int(algorithm[3:]), **kwargs)
            else:
                params = session.create_domain_parameters(
                    KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(algorithm)}, local=True)
                _public, private = params.generate_keypair(**kwargs)
            cert = issue_signer(root_key, root_cert, token_public_key(session, private, label), NOW)
            path = home / f"{label}.pem"
            path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            certs[label] = path
            if store_cert:
                template = decode_x509_certificate(cert.public_bytes(serialization.Encoding.DER))
                template.update({Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: key_id})
                session.create_object(template)

        generate("rsa-signer", b"\x01", "rsa2048")
        generate("rsa3072-signer", b"\x02", "rsa3072")
        generate("ec-signer", b"\x03", "secp256r1", store_cert=True)
        generate("p384-signer", b"\x04", "secp384r1")
        generate("twin", b"\x05", "secp256r1")
        generate("twin", b"\x06", "secp256r1")  # two keys, one label: ambiguous without id=
    yield SimpleNamespace(home=home, module=module, certs=certs, root=dev_keys.root_cert)
    if saved is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = saved


@pytest.fixture
def pin_env():
    return {"CTLBUILD_PKCS11_PIN": PIN}


def build(hsm, out, key_uri, *more, env=None, cert="default"):
    cert_args = ["--cert", hsm.certs[parse_uri(key_uri).label]] if cert == "default" else list(cert)
    return run("build", LIST, "-o", out, "--key", key_uri, *cert_args, "--signing-time", SIGNING_TIME, *more,
               env=env if env is not None else {"CTLBUILD_PKCS11_PIN": PIN})


def verify(hsm, stl, anchor=None):
    return run("verify", stl, "--anchor", anchor or hsm.root, "--list", LIST)


def test_private_keys_never_leave_the_token(hsm):
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    with pkcs11.lib(hsm.module).get_token(token_label=TOKEN).open(user_pin=PIN) as session:
        keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))
        assert len(keys) >= 6
        for key in keys:
            assert key[Attribute.SENSITIVE] and key[Attribute.ALWAYS_SENSITIVE]
            assert not key[Attribute.EXTRACTABLE] and key[Attribute.NEVER_EXTRACTABLE]
            secret = Attribute.PRIVATE_EXPONENT if key.key_type == pkcs11.KeyType.RSA else Attribute.VALUE
            with pytest.raises(pkcs11.AttributeSensitive):
                key[secret]  # the token refuses to export the private key
    assert not [p for p in hsm.home.rglob("*.key")]  # and no private key file was ever written


@pytest.mark.parametrize("label, algorithm", [("rsa-signer", "rsassa_pkcs1v15"), ("rsa3072-signer", "rsassa_pkcs1v15"),
                                              ("ec-signer", "ecdsa"), ("p384-signer", "ecdsa")])
def test_build_with_token_key_verifies(hsm, tmp_path, label, algorithm):
    result = build(hsm, tmp_path / "out", uri(label))
    assert result.exit_code == 0, result.output
    stl = tmp_path / "out" / "diginotar-kb2616676.stl"
    checked = verify(hsm, stl)
    assert checked.exit_code == 0, checked.output
    from asn1crypto import cms
    signer_info = cms.ContentInfo.load(stl.read_bytes())["content"]["signer_infos"][0]
    assert signer_info["signature_algorithm"].signature_algo == algorithm


@pytest.mark.parametrize("scheme, digest", [("pkcs1v15", "sha384"), ("pss", "sha256"), ("pss", "sha512")])
def test_rsa_schemes_and_digests(hsm, tmp_path, scheme, digest):
    result = build(hsm, tmp_path / "out", uri("rsa-signer"), "--scheme", scheme, "--digest", digest)
    assert result.exit_code == 0, result.output
    assert verify(hsm, tmp_path / "out" / "diginotar-kb2616676.stl").exit_code == 0


def test_rsa_rebuild_is_byte_identical(hsm, tmp_path):
    for out in ("one", "two"):
        assert build(hsm, tmp_path / out, uri("rsa-signer")).exit_code == 0
    for name in ("diginotar-kb2616676.stl", "manifest.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_one_login_for_several_lists(hsm, tmp_path, monkeypatch):
    import ctlbuild._cli.signers as build_command  # where build and mirror ask for the PIN

    asked = []
    monkeypatch.setattr(build_command, "pkcs11_pin", lambda token: asked.append(token) or PIN)
    result = run("build", LIST, "examples/diginotar-kb2607712.toml", "-o", tmp_path / "out",
                 "--key", uri("ec-signer"), "--signing-time", SIGNING_TIME)
    assert result.exit_code == 0, result.output
    assert asked == [f"token '{TOKEN}'"]
    for name in ("diginotar-kb2616676", "diginotar-kb2607712"):
        checked = run("verify", tmp_path / "out" / f"{name}.stl", "--anchor", hsm.root)
        assert checked.exit_code == 0, checked.output


def test_list_signer_may_name_a_token_key(hsm, tmp_path):
    text = Path(LIST).read_text()
    assert "[signer]" not in text
    listed = tmp_path / "hsm-signed.toml"
    (tmp_path / "diginotar-kb2607712.toml").write_text(Path(LIST).with_name("diginotar-kb2607712.toml").read_text())
    listed.write_text(text + f'\n[signer]\nkey = "{uri("rsa-signer")}"\ncert = "{hsm.certs["rsa-signer"]}"\n'
                      'digest = "sha384"\n')
    result = run("build", listed, "-o", tmp_path / "out", "--signing-time", SIGNING_TIME,
                 env={"CTLBUILD_PKCS11_PIN": PIN})
    assert result.exit_code == 0, result.output
    assert run("verify", tmp_path / "out" / "diginotar-kb2616676.stl", "--anchor", hsm.root).exit_code == 0


def test_token_mechanisms_and_raw_rsa_agree(hsm, ctl_der):
    """Tokens without SHA*_RSA_PKCS get the DigestInfo through raw RSA_PKCS: the same bytes."""
    from ctlbuild.formats.stl import sign_ctl
    from ctlbuild.signing.open import open_signer

    with open_signer(uri("rsa-signer"), hsm.certs["rsa-signer"], pin=lambda _t: PIN) as signer:
        combined = sign_ctl(ctl_der, signer, signing_time=NOW, digest="sha256")
        signer._mechanisms = frozenset()  # as if the token listed no hash-and-sign mechanisms
        assert sign_ctl(ctl_der, signer, signing_time=NOW, digest="sha256") == combined
        assert signer.deterministic


def test_ec_signatures_are_der_and_not_claimed_deterministic(hsm, ctl_der, root_der):
    from asn1crypto import algos, cms

    from ctlbuild.formats.stl import sign_ctl
    from ctlbuild.signing.open import open_signer
    from ctlbuild.verify.verifier import verify_ctl

    with open_signer(uri("ec-signer"), pin=lambda _t: PIN) as signer:
        assert signer.scheme == "ecdsa" and not signer.deterministic
        stl = sign_ctl(ctl_der, signer, signing_time=NOW)
    signature = cms.ContentInfo.load(stl)["content"]["signer_infos"][0]["signature"].native
    assert algos.DSASignature.load(signature).dump() == signature  # DER ECDSA-Sig-Value, not r || s
    assert verify_ctl(stl, [root_der], NOW).ok


@pytest.fixture(scope="module")
def ctl_der():
    from ctlbuild.ctl.encode import encode_ctl
    from ctlbuild.lists.reader import load_list
    return encode_ctl(load_list(LIST).trust_list)


def test_certificate_comes_from_the_token_when_not_given(hsm, tmp_path):
    result = build(hsm, tmp_path / "out", uri("ec-signer"), cert=())
    assert result.exit_code == 0, result.output
    assert verify(hsm, tmp_path / "out" / "diginotar-kb2616676.stl").exit_code == 0
    # The RSA key has no certificate on the token: say so, and how to give one.
    result = build(hsm, tmp_path / "out2", uri("rsa-signer"), cert=())
    assert result.exit_code == 2 and "no certificate for this key" in result.stderr and "--cert" in result.stderr


def test_certificate_of_another_key_is_refused(hsm, tmp_path):
    result = build(hsm, tmp_path / "out", uri("rsa-signer"), cert=("--cert", hsm.certs["rsa3072-signer"]))
    assert result.exit_code == 2 and "does not match the signer certificate" in result.stderr
    result = build(hsm, tmp_path / "out", uri("ec-signer"), cert=("--cert", hsm.certs["p384-signer"]))
    assert result.exit_code == 2 and "does not match the signer certificate" in result.stderr


def test_scheme_must_fit_the_key(hsm, tmp_path):
    result = build(hsm, tmp_path / "out", uri("ec-signer"), "--scheme", "pss")
    assert result.exit_code == 2 and "does not fit an EC key" in result.stderr


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_wrong_pin_is_one_line_and_never_echoed(hsm, tmp_path):
    # Also shows that earlier builds closed their sessions: a token still logged in
    # from an earlier build would take any PIN.
    result = build(hsm, tmp_path / "out", uri("rsa-signer"), env={"CTLBUILD_PKCS11_PIN": WRONG_PIN})
    line = _one_line_error(result)
    assert "wrong PIN" in line and TOKEN in line
    assert WRONG_PIN not in result.output + result.stderr
    assert not (tmp_path / "out").exists()


def test_no_pin_and_no_terminal_is_an_error(hsm, tmp_path):
    result = build(hsm, tmp_path / "out", uri("rsa-signer"), env={"CTLBUILD_PKCS11_PIN": None})
    line = _one_line_error(result)
    assert "CTLBUILD_PKCS11_PIN" in line and "needs its user PIN" in line


def test_pin_source_file_must_be_private(hsm, tmp_path):
    pin_file = tmp_path / "pin"
    pin_file.write_text(PIN + "\n")
    key = f"{uri('rsa-signer')}?pin-source=file:{pin_file}"
    pin_file.chmod(0o644)
    line = _one_line_error(build(hsm, tmp_path / "out", key, env={"CTLBUILD_PKCS11_PIN": None}))
    assert "PIN file" in line and "0644" in line and "chmod 600" in line
    assert build(hsm, tmp_path / "out", key, "--insecure-key-permissions",
                 env={"CTLBUILD_PKCS11_PIN": None}).exit_code == 0
    pin_file.chmod(0o600)
    assert build(hsm, tmp_path / "out2", key, env={"CTLBUILD_PKCS11_PIN": WRONG_PIN}).exit_code == 0
    for bad in ("|/bin/echo 1234", "relative/pin"):
        assert _one_line_error(build(hsm, tmp_path / "o", f"{uri('rsa-signer')}?pin-source={bad}"))


@pytest.mark.parametrize("key, message", [
    ("pkcs11:token=no-such-token;object=rsa-signer", f"no such token in .* \\(tokens present: '{TOKEN}'\\)"),
    (uri("no-such-key"), "no such private key on token 'ctlbuild-test' \\(private keys: .*'rsa-signer'"),
    (uri("twin"), "2 private keys on token 'ctlbuild-test' match \\(ids 05, 06\\)"),
    (uri("rsa-signer", type="cert"), "must name a private key"),
    (uri("rsa-signer", **{"library-manufacturer": "Acme"}), "does not match the URI"),
    (f"{uri('rsa-signer')}?pin-value={WRONG_PIN}", "pin-value is refused"),
    (f"{uri('rsa-signer')}?module-path=/no/such/module.so", "module /no/such/module.so not found"),
])
def test_token_errors_are_clear(hsm, tmp_path, key, message):
    import re

    line = _one_line_error(build(hsm, tmp_path / "out", key, cert=("--cert", hsm.certs["rsa-signer"])))
    assert re.search(message, line), line
    assert WRONG_PIN not in line


def test_uri_selects_by_id_and_by_slot_attributes(hsm, tmp_path):
    import pkcs11

    token = pkcs11.lib(hsm.module).get_token(token_label=TOKEN)
    serial = token.serial.decode().strip()
    key = f"pkcs11:model=SoftHSM%20v2;serial={serial};object=twin;id=%06;type=private"
    result = build(hsm, tmp_path / "out", key, cert=())
    # twin/06 has no certificate on the token: found the key (not "2 private keys match").
    assert result.exit_code == 2 and "no certificate for this key" in result.stderr


def test_missing_module_from_environment(hsm, tmp_path):
    result = build(hsm, tmp_path / "out", uri("rsa-signer"),
                   env={"CTLBUILD_PKCS11_PIN": PIN, "CTLBUILD_PKCS11_MODULE": str(tmp_path / "none.so")})
    assert "none.so not found (from CTLBUILD_PKCS11_MODULE)" in _one_line_error(result)
    not_a_module = tmp_path / "fake.so"
    not_a_module.write_bytes(b"not a shared object")
    result = build(hsm, tmp_path / "out", uri("rsa-signer"),
                   env={"CTLBUILD_PKCS11_PIN": PIN, "CTLBUILD_PKCS11_MODULE": str(not_a_module)})
    assert "cannot load PKCS#11 module" in _one_line_error(result)


def test_signing_failure_on_the_token_is_a_signing_error(hsm, ctl_der):
    from ctlbuild.formats.stl import sign_ctl
    from ctlbuild.signing.open import open_signer

    signer = open_signer(uri("rsa-signer"), hsm.certs["rsa-signer"], pin=lambda _t: PIN)
    signer._session.close()  # the token went away under us
    with pytest.raises(SigningError, match="token 'ctlbuild-test'"):
        sign_ctl(ctl_der, signer, signing_time=NOW)
    signer.close()  # closing twice is harmless


@pytest.mark.parametrize("algorithm", ["rsa", "ec"])
def test_keys_init_on_the_token_end_to_end(hsm, tmp_path, algorithm, pin_env):
    folder = tmp_path / "keys"
    label = f"dev-init-{algorithm}"
    result = run("keys", "init", "--pkcs11", uri(label), "--algorithm", algorithm, "--dir", folder, env=pin_env)
    assert result.exit_code == 0, result.output
    signer_uri = f"pkcs11:token={TOKEN};object={label}"
    assert f"--key '{signer_uri}'" in result.output and PIN not in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["dev-root-ca.key", "dev-root-ca.pem", "dev-signer.pem"]
    assert (folder / "dev-root-ca.key").stat().st_mode & 0o777 == 0o600
    # The certificate is on the token too, so build needs no --cert.
    out = tmp_path / "out"
    built = run("build", LIST, "-o", out, "--key", signer_uri, env=pin_env)  # signed now: keys init used the clock
    assert built.exit_code == 0, built.output
    checked = verify(hsm, out / "diginotar-kb2616676.stl", anchor=folder / "dev-root-ca.pem")
    assert checked.exit_code == 0, checked.output
    # And the key on the token is as locked in as the fixture's.
    import pkcs11
    from pkcs11 import Attribute, ObjectClass
    with pkcs11.lib(hsm.module).get_token(token_label=TOKEN).open(user_pin=PIN) as session:
        key = session.get_key(ObjectClass.PRIVATE_KEY, label=label)
        assert key[Attribute.SENSITIVE] and not key[Attribute.EXTRACTABLE]
    # Refuses to overwrite: the files, or the label on the token.
    again = run("keys", "init", "--pkcs11", uri(label), "--dir", folder, env=pin_env)
    assert again.exit_code == 2 and "already present" in again.stderr
    again = run("keys", "init", "--pkcs11", uri(label), "--dir", tmp_path / "other", env=pin_env)
    assert again.exit_code == 2 and f"already holds an object labelled '{label}'" in again.stderr


def test_keys_init_needs_a_label_and_the_right_pin(hsm, tmp_path):
    result = run("keys", "init", "--pkcs11", f"pkcs11:token={TOKEN}", "--dir", tmp_path / "k",
                 env={"CTLBUILD_PKCS11_PIN": PIN})
    assert result.exit_code == 2 and "add object=LABEL" in result.stderr
    result = run("keys", "init", "--pkcs11", uri("dev-wrong-pin"), "--dir", tmp_path / "k",
                 env={"CTLBUILD_PKCS11_PIN": WRONG_PIN})
    assert "wrong PIN" in _one_line_error(result) and WRONG_PIN not in result.output + result.stderr


def test_uri_type_is_a_dataclass_that_prints_safely():
    assert str(Pkcs11Uri({"token": "a b", "object": "x/y"}, b"\x00\xff")) == "pkcs11:token=a%20b;object=x%2Fy;id=%00%ff"
