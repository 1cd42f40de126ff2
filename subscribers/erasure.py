"""Forgetting a person: their subscriber row and consent records go.

Only a salted hash of the address stays, on the suppression list, so that no
import or operator can mail them again by mistake.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete

from .core import AudienceCore
from .models import Consent
from .rows import locked_by_address, lookup_address
from .suppression import suppress
from .views import ForgetOutcome


class Erasure(AudienceCore):
    """The right to be forgotten."""

    def forget(self, email: str, *, now: datetime) -> ForgetOutcome:
        """Erase a person: their subscriber row and consent records.

        Only a salted hash of the address stays, on the suppression list, so
        that no import or operator can mail them again by mistake.
        """
        address = lookup_address(email)
        with self._sessions.begin() as session:
            row = locked_by_address(session, address)
            deleted = 0
            if row is not None:
                result = session.execute(delete(Consent).where(Consent.subscriber_id == row.id))
                deleted = cast(CursorResult[Any], result).rowcount
                session.delete(row)
                session.flush()
            suppress(session, address, "forgotten", now, self._salt)
        return ForgetOutcome(found=row is not None, consents_deleted=deleted)
