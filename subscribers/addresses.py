"""Email addresses: validate, normalise, and hash them for the suppression list.

Validation is email-validator's, without any DNS look-up: the syntax, the
length limits and internationalised domains.  The domain is normalised (lower
case, Unicode form of an IDNA name); the local part keeps its case, because a
mail server may treat ``Alice`` and ``alice`` as two mailboxes.  Comparisons
between addresses (is this person subscribed already?) ignore case entirely.

A local part with non-ASCII characters (``δοκιμή@example.org``) is refused at
sign-up: mail to it needs the SMTPUTF8 extension all the way to the mailbox,
which many servers lack, so such a subscriber would wait for mail that never
comes.  Lookups still accept one (``allow_smtputf8=True``), for rows stored
before.  An internationalised domain is fine: :func:`ascii_address` gives its
ASCII (IDNA) form for the envelope and the headers.

Logs name a subscriber by id, or by :func:`mask_address` (``j***@example.org``);
:func:`mask_addresses` and :func:`masked_traceback` do that to any text.
"""

from __future__ import annotations

import hashlib
import re
import traceback
import unicodedata

from email_validator import EmailNotValidError, validate_email

# The suppression list must recognise an address years later, whatever the
# secret key is by then, so its hash uses a fixed salt rather than the key.
DEFAULT_SUPPRESSION_SALT = "digest-suppression-v1"

_SHOWN = 80  # characters of a bad address repeated in an error message
# Anything shaped like local@domain inside free text (a server's reply, a traceback).
_IN_TEXT = re.compile(r"(?:\"[^\"\r\n]*\"|[^\s<>()\[\],;:\"'@]+)@[^\s<>()\[\],;:\"'@]+")


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


def normalize_address(text: str, *, allow_smtputf8: bool = False) -> str:
    """Validate an address and return its normal form, or raise :class:`AddressError`.

    Surrounding white space is ignored; anything else that is not part of a
    valid address (a display name, a second address, a line break) is refused,
    and so is a non-ASCII local part unless ``allow_smtputf8``.
    """
    address = text.strip()
    if not address:
        raise AddressError("", "the email address is empty")
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise AddressError(address, _lower_first(str(exc))) from exc
    if valid.smtputf8 and not allow_smtputf8:
        odd = ", ".join(list(dict.fromkeys(c for c in valid.local_part if not c.isascii()))[:3])
        raise AddressError(
            address,
            f"non-ASCII characters before the @-sign ({odd}) are not supported: mail to such "
            "an address often cannot be delivered; please use an address with only ASCII "
            "letters, digits and punctuation before the @-sign",
        )
    return valid.normalized


def ascii_address(address: str) -> str:
    """*address* with its domain in ASCII (IDNA) form: ``x@münchen.de`` -> ``x@xn--mnchen-3ya.de``.

    An ASCII address comes back as it is; a non-ASCII local part stays as it
    is (only SMTPUTF8 can carry it).  Raises :class:`AddressError` if the
    address is not valid.
    """
    address = address.strip()
    if address.isascii():
        return address
    local, _at, domain = address.rpartition("@")
    if domain.isascii():
        return address
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise AddressError(address, _lower_first(str(exc))) from exc
    return f"{local}@{valid.ascii_domain}"


def mask_address(address: str) -> str:
    """The address as a log may show it: ``jane@example.org`` -> ``j***@example.org``."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_addresses(text: str) -> str:
    """*text* with every address in it masked (see :func:`mask_address`)."""
    return _IN_TEXT.sub(lambda found: mask_address(found.group()), text)


def masked_traceback(exc: BaseException) -> str:
    """*exc*'s traceback (with its causes) as text, every address in it masked."""
    return mask_addresses("".join(traceback.format_exception(exc)).rstrip())


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
