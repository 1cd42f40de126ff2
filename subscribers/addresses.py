"""Email addresses: validate, normalise, and hash them for the suppression list.

Validation is email-validator's, without any DNS look-up: the syntax, the
length limits and internationalised domains.  The domain is normalised (lower
case, Unicode form of an IDNA name); the local part keeps its case, because a
mail server may treat ``Alice`` and ``alice`` as two mailboxes.  Comparisons
between addresses (is this person subscribed already?) ignore case entirely.
"""

from __future__ import annotations

import hashlib
import unicodedata

from email_validator import EmailNotValidError, validate_email

# The suppression list must recognise an address years later, whatever the
# secret key is by then, so its hash uses a fixed salt rather than the key.
DEFAULT_SUPPRESSION_SALT = "digest-suppression-v1"

_SHOWN = 80  # characters of a bad address repeated in an error message


class AddressError(ValueError):
    """An email address that cannot be used; the message says what is wrong with it."""

    def __init__(self, address: str, reason: str) -> None:
        self.address = address
        self.reason = reason
        super().__init__(f"{_printable(address)}: {reason}" if address else reason)


def _printable(text: str) -> str:
    """The address as typed, safe to repeat in one line of a message."""
    shown = "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
    return shown if len(shown) <= _SHOWN else shown[: _SHOWN - 1] + "…"


def _lower_first(message: str) -> str:
    return message[:1].lower() + message[1:] if message[1:2].islower() else message


def normalize_address(text: str) -> str:
    """Validate an address and return its normal form, or raise :class:`AddressError`.

    Surrounding white space is ignored; anything else that is not part of a
    valid address (a display name, a second address, a line break) is refused.
    """
    address = text.strip()
    if not address:
        raise AddressError("", "the email address is empty")
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise AddressError(address, _lower_first(str(exc))) from exc
    return valid.normalized


def address_key(address: str) -> str:
    """The form two addresses are compared in: NFC-normalised and case-folded."""
    return unicodedata.normalize("NFC", address.strip()).casefold()


def suppression_hash(address: str, salt: str = DEFAULT_SUPPRESSION_SALT) -> str:
    """The hex SHA-256 the suppression list keeps instead of the address itself."""
    digest = hashlib.sha256()
    digest.update(salt.encode("utf-8"))
    digest.update(b"\x00")
    digest.update(address_key(address).encode("utf-8"))
    return digest.hexdigest()
