"""Sealing many values at once gives the tokens `encrypt` gives: the active key's id, a nonce
of its own each, decrypted by any vault holding that key after rotation."""

from __future__ import annotations

from lineclose.security.vault import Vault, new_key_line, parse_keyring


def test_many_values_are_sealed_as_one_at_a_time_with_fresh_nonces() -> None:
    old, new = new_key_line("k1"), new_key_line("k2")
    vault = Vault(parse_keyring(old))
    values: list[str | None] = ["王芳", None, "", "110105198001010017", "王芳"]
    sealed = vault.encrypt_many(values)
    assert sealed[1] is None and sealed[2] is None
    tokens = [t for t in sealed if t is not None]
    assert all(t.startswith("k1:") for t in tokens)
    assert len({t.split(":")[1][:16] for t in tokens}) == 3  # a nonce each, even for equal values
    rotated = Vault(parse_keyring(f"{new},{old}"))
    assert [rotated.decrypt(t) for t in tokens] == ["王芳", "110105198001010017", "王芳"]
    assert all(rotated.needs_rotation(t) for t in tokens)
    assert all(t.startswith("k2:") for t in rotated.encrypt_many(["x"]) if t)
