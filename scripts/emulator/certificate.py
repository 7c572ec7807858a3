"""The emulator's TLS certificate: self-signed for 127.0.0.1, localhost and *.127.0.0.1, made once
and shared by every emulator of this checkout."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from foundation.paths import EMULATOR_CA_BUNDLE as CA_BUNDLE
from foundation.paths import EMULATOR_TLS_KEY as TLS_KEY
from foundation.paths import held


def ensure_certificate() -> None:
    """A self-signed certificate for 127.0.0.1/localhost, made once and shared by every port.

    The emulator speaks TLS so that the buckets' deny-non-TLS policies hold for real; clients
    trust this certificate through AWS_CA_BUNDLE (set by scripts/aws.py), nothing else. It also
    names *.127.0.0.1, the hosts clients call through the subdomain tunnel; one made before
    that is made again."""
    # Emulators start at once (one per test worker): one makes the pair, the others wait for it.
    with held(CA_BUNDLE.parent / ".certificate.lock"):
        if not (CA_BUNDLE.is_file() and TLS_KEY.is_file() and _names_all(CA_BUNDLE)):
            _make_certificate()


def _make_certificate() -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "local-aws emulator")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    *(x509.DNSName(name) for name in CERTIFICATE_NAMES),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    TLS_KEY.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    TLS_KEY.chmod(0o600)
    CA_BUNDLE.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


# The subdomains are the hosts clients reach through the subdomain tunnel.
CERTIFICATE_NAMES = ("localhost", "*.127.0.0.1")


def _names_all(certificate: Path) -> bool:
    from cryptography import x509

    names = (
        x509.load_pem_x509_certificate(certificate.read_bytes())
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    return set(CERTIFICATE_NAMES) <= set(names.get_values_for_type(x509.DNSName))
