"""Refusals particular to TMF622; every refusal on its endpoints renders in the TMF error shape."""

from __future__ import annotations

from lineclose.errors import LinecloseError


class TmfError(LinecloseError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.status = status


def bad_request(code: str, message: str) -> TmfError:
    return TmfError(400, code, message)
