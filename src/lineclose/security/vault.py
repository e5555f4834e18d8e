"""Personal data encrypted at rest (AES-GCM) and looked up through a keyed hash.

Ciphertexts carry the id of the key that made them (`k1:...`), so keys can be rotated by
re-encrypting row by row while older rows still decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class VaultError(Exception):
    pass


@dataclass(frozen=True)
class DataKey:
    key_id: str
    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != 32:
            raise VaultError("a data key must be 32 bytes (base64 of 32 random bytes)")
        if not self.key_id.isalnum():
            raise VaultError("a key id must be letters and digits")


def parse_keyring(text: str) -> list[DataKey]:
    """Keys as `id:base64` separated by commas or lines; the first is the active one."""
    keys: list[DataKey] = []
    for chunk in text.replace("\n", ",").split(","):
        chunk = chunk.strip()
        if not chunk or chunk.startswith("#"):
            continue
        key_id, sep, encoded = chunk.partition(":")
        if not sep:
            raise VaultError("each key must be written as id:base64")
        keys.append(DataKey(key_id, base64.b64decode(encoded)))
    if not keys:
        raise VaultError("no data key configured")
    return keys


def new_key_line(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def check_key_file_mode(path: Path) -> None:
    """Refuse a key file that its group or other users can read or write: whoever reads it reads
    every ID number and bank account in the database."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise VaultError(
            f"the data key file {path} has mode {mode:04o}: group and other users can reach it. "
            f"Restrict it to its owner with `chmod 600 {path}` and start again"
        )


def load_or_create_keyring(path: Path) -> list[DataKey]:
    """Read the key file, creating it (mode 600) with one fresh key on first use; a file others
    can read is refused (see `check_key_file_mode`)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(new_key_line("k1") + "\n")
    check_key_file_mode(path)
    return parse_keyring(path.read_text())


class Vault:
    def __init__(self, keys: list[DataKey]) -> None:
        if not keys:
            raise VaultError("no data key configured")
        self._active = keys[0]
        self._by_id = {k.key_id: k for k in keys}
        # The lookup hash uses its own key derived from the first key ever listed last,
        # so rotation of the encryption key does not invalidate lookups.
        self._index_key = hashlib.sha256(b"lineclose-index:" + keys[-1].secret).digest()

    @property
    def active_key_id(self) -> str:
        return self._active.key_id

    def encrypt(self, plaintext: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self._active.secret).encrypt(nonce, plaintext.encode(), None)
        return f"{self._active.key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def encrypt_many(self, plaintexts: list[str | None]) -> list[str | None]:
        """`encrypt` of each value (None and "" stay None), with the active key's cipher set up
        once and the nonces drawn together: the same tokens, a fresh random nonce each."""
        aead = AESGCM(self._active.secret)
        nonces = secrets.token_bytes(12 * len(plaintexts))
        prefix = self._active.key_id + ":"
        b64 = base64.b64encode
        out: list[str | None] = []
        for i, text in enumerate(plaintexts):
            if not text:
                out.append(None)
                continue
            nonce = nonces[12 * i : 12 * i + 12]
            out.append(prefix + b64(nonce + aead.encrypt(nonce, text.encode(), None)).decode())
        return out

    def decrypt(self, token: str) -> str:
        key_id, _, encoded = token.partition(":")
        key = self._by_id.get(key_id)
        if key is None:
            raise VaultError(f"data key {key_id!r} is not in the keyring")
        raw = base64.b64decode(encoded)
        try:
            return AESGCM(key.secret).decrypt(raw[:12], raw[12:], None).decode()
        except InvalidTag as exc:
            raise VaultError("ciphertext does not match its key") from exc

    def needs_rotation(self, token: str) -> bool:
        return not token.startswith(self._active.key_id + ":")

    def blind_index(self, value: str) -> str:
        """Keyed hash for equality lookups (ID numbers) without storing the value in clear."""
        return hmac.new(self._index_key, value.encode(), hashlib.sha256).hexdigest()
