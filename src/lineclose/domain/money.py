"""Money in integer minor units with its currency: never floats."""

from __future__ import annotations

from dataclasses import dataclass

# Currencies already checked: a quote builds a dozen amounts in one currency, a bulk precheck
# millions, so each code is checked once.
_CHECKED: set[str] = set()


def check_currency(currency: str) -> None:
    """Raise ValueError unless `currency` looks like an ISO 4217 code (three capital letters)."""
    if currency in _CHECKED:
        return
    if len(currency) != 3 or not (currency.isalpha() and currency.isupper()):
        raise ValueError(f"currency must be an ISO 4217 code such as CNY, got {currency!r}")
    _CHECKED.add(currency)


@dataclass(frozen=True, order=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if self.currency not in _CHECKED:
            check_currency(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def times(self, count: int) -> Money:
        return Money(self.minor * count, self.currency)

    def fraction(self, numerator: int, denominator: int) -> Money:
        """This amount times numerator/denominator, rounded half up to the minor unit."""
        if denominator <= 0:
            raise ValueError("denominator must be positive")
        scaled = self.minor * numerator
        quotient, remainder = divmod(scaled, denominator)
        if remainder * 2 >= denominator:
            quotient += 1
        return Money(quotient, self.currency)

    def clamp_at_zero(self) -> Money:
        return self if self.minor > 0 else Money(0, self.currency)

    @property
    def is_positive(self) -> bool:
        return self.minor > 0

    def __str__(self) -> str:
        return f"{self.minor} {self.currency} (minor units)"
