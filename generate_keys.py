"""Generate the RSA key pair that signs and verifies the API's RS256 JWTs.

Writes a 3072-bit private key (PKCS#8 PEM, mode 0600) and its public key (SubjectPublicKeyInfo
PEM) to JWT_PRIVATE_KEY_PATH and JWT_PUBLIC_KEY_PATH (default keys/private.pem, keys/public.pem;
also read from .env). Existing keys are kept unless --force is given, so `make` can call this
every time.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parent
KEY_SIZE = 3072


def load_dotenv_if_available() -> None:
    """Read .env like the app does, so both agree on the key paths."""
    try:
        from dotenv import load_dotenv
    except ImportError:
        return
    load_dotenv(ROOT / ".env")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Generate the RSA key pair for RS256 JWTs.")
    parser.add_argument(
        "--private",
        type=Path,
        default=Path(os.environ.get("JWT_PRIVATE_KEY_PATH", ROOT / "keys/private.pem")),
        help="private key file (default: $JWT_PRIVATE_KEY_PATH or keys/private.pem)",
    )
    parser.add_argument(
        "--public",
        type=Path,
        default=Path(os.environ.get("JWT_PUBLIC_KEY_PATH", ROOT / "keys/public.pem")),
        help="public key file (default: $JWT_PUBLIC_KEY_PATH or keys/public.pem)",
    )
    parser.add_argument("--force", action="store_true", help="replace existing keys")
    return parser.parse_args(argv)


def write_file(path: Path, data: bytes, mode: int) -> None:
    """Write data to path with the given permissions, from the first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), mode)  # os.open's mode does not apply to an existing file
        f.write(data)


def generate_key_pair() -> tuple[bytes, bytes]:
    """Return a new (private PEM, public PEM) pair."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    private_pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    return private_pem, public_pem


def main(argv: list[str] | None = None) -> int:
    load_dotenv_if_available()
    args = parse_args(argv)
    private_path: Path = args.private
    public_path: Path = args.public

    existing = [p for p in (private_path, public_path) if p.exists()]
    if existing and not args.force:
        if len(existing) == 2:
            print(f"keys already exist: {private_path}, {public_path} (use --force to replace)")
            return 0
        missing = public_path if existing[0] == private_path else private_path
        print(
            f"{existing[0]} exists but {missing} does not; run with --force to replace both with a new pair",
            file=sys.stderr,
        )
        return 1

    private_pem, public_pem = generate_key_pair()
    write_file(private_path, private_pem, 0o600)
    write_file(public_path, public_pem, 0o644)
    print(f"wrote {KEY_SIZE}-bit RSA key pair: {private_path} (private), {public_path} (public)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
