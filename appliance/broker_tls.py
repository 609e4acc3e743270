"""TLS for an MQTT link: a CA file, a client certificate and its key, set on a paho client.

One place for both ends: the kiosk's reporter (config [broker]) and head office's services
(`headoffice ... --ca --cert --key`). The broker takes the certificate's CN as the user name
(mosquitto use_identity_as_username, docs/tls.md); we also send it as the MQTT user name,
so a broker set up with passwords instead sees the same identity. Never
tls_insecure_set(True): hostname checking is what makes the broker's certificate mean
something (research mqtt-fleet §2.7).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from cryptography import x509
from cryptography.x509.oid import NameOID


class TlsError(ValueError):
    """A TLS file that is missing or unusable; the message names the file and its setting."""


@dataclass(frozen=True)
class TlsFiles:
    """PEM files. `names` says what each is called where it was set, for error messages."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    names: tuple[str, str, str] = ("CA file", "certificate file", "key file")

    def check(self) -> None:
        """TlsError naming the first file that does not exist or cannot be read."""
        paths = (self.ca_file, self.cert_file, self.key_file)
        for name, path in zip(self.names, paths, strict=True):
            if not path.is_file():
                raise TlsError(f"{name}: {path}: no such file")
            try:
                with path.open("rb"):
                    pass
            except OSError as exc:
                raise TlsError(f"{name}: {path}: cannot be read: {exc.strerror}") from None


def certificate_cn(path: Path) -> str:
    """The Common Name of the first certificate in a PEM file; TlsError if there is none."""
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise TlsError(f"{path}: not a PEM certificate: {exc}") from None
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        raise TlsError(f"{path}: the certificate has no CN")
    value = names[0].value
    return value if isinstance(value, str) else value.decode()


def secure(client: mqtt.Client, files: TlsFiles, username: str | None = None) -> str:
    """Make `client` connect over TLS with `files`, as the certificate's CN; return the CN.

    With `username`, the CN must be it (a kiosk's certificate names its kiosk id: another
    CN would connect, but the broker's ACL would give it another kiosk's topics or none).
    Call before connecting. The files are read now: TlsError if one is missing, unreadable,
    not PEM, names someone else, or the key does not belong to the certificate.
    """
    files.check()
    cn = certificate_cn(files.cert_file)
    if username is not None and cn != username:
        raise TlsError(f"{files.names[1]}: {files.cert_file}: its CN is {cn!r}, not {username!r}")
    try:
        client.tls_set(
            ca_certs=str(files.ca_file),
            certfile=str(files.cert_file),
            keyfile=str(files.key_file),
            tls_version=ssl.PROTOCOL_TLS_CLIENT,  # verifies the broker's name and chain
        )
    except (ssl.SSLError, OSError) as exc:
        raise TlsError(
            f"cannot use {files.names[1]} {files.cert_file} with {files.names[2]} "
            f"{files.key_file} and {files.names[0]} {files.ca_file}: {exc}"
        ) from None
    client.username_pw_set(cn)
    return cn
