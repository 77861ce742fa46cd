"""Certificates for NATS over TLS: a private CA and one certificate for the servers (TOM-T7).

    python -m deploy.nats_certificates deploy/nats/tls     # once, before the first `compose up`

writes ``ca.crt`` (the services verify the servers with it: ``PACTUM_NATS_CA_FILE``),
``server.crt`` and ``server.key`` (0600; the three nodes of docker-compose.yml share them: the
certificate names ``nats-1``, ``nats-2``, ``nats-3``, ``localhost`` and 127.0.0.1). Files already
there are kept; ``--renew`` issues new ones. The CA's private key is not kept: a new server
certificate comes with a new CA, which the services read at their next start. The tests use the
same function for a server on loopback.
"""

import argparse
import ipaddress
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NAMES = ("nats-1", "nats-2", "nats-3", "localhost", "127.0.0.1")


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def issue(directory: Path, names: Sequence[str] = NAMES, *, days: int = 825) -> dict[str, Path]:
    """Write ``ca.crt``, ``server.crt`` and ``server.key`` into ``directory``; their paths."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _authority(ca_key, now=now, days=days)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _server(server_key, names, issuer=ca, issuer_key=ca_key, now=now, days=days)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "ca": directory / "ca.crt",
        "certificate": directory / "server.crt",
        "key": directory / "server.key",
    }
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["certificate"].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    descriptor = os.open(paths["key"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(
            server_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return paths


def _authority(key: ec.EllipticCurvePrivateKey, *, now: datetime, days: int) -> x509.Certificate:
    """The self-signed CA: it signs certificates only (no server of its own)."""
    name = _name("pactum NATS CA")
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )


def _server(
    key: ec.EllipticCurvePrivateKey,
    names: Sequence[str],
    *,
    issuer: x509.Certificate,
    issuer_key: ec.EllipticCurvePrivateKey,
    now: datetime,
    days: int,
) -> x509.Certificate:
    """The servers' certificate, for each name and address they are reached by."""
    alternatives: list[x509.GeneralName] = []
    for name in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    return (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.nats_certificates", description=__doc__.split("\n")[0]
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--renew", action="store_true", help="replace the files already there")
    args = parser.parse_args(argv)
    if (args.directory / "server.key").exists() and not args.renew:
        print(f"kept the certificates in {args.directory} (--renew replaces them)")
        return 0
    issue(args.directory)
    print(f"wrote ca.crt, server.crt and server.key (0600) in {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
