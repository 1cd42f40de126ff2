"""Adding many subscribers at once, from rows a CSV import has already validated.

Reading and checking the file is :mod:`subscribers.csvio`'s part; this writes
the rows in one transaction, with a consent record each naming the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from .addresses import address_key, suppression_hash
from .core import AudienceCore
from .models import Subscriber, Suppression
from .rows import NAME_MAX, SOURCE_MAX, activate, add_subscriber, clean_text, event
from .views import ImportResult, ImportRow, ImportSkip, SubscriberView, view


class Importing(AudienceCore):
    """Bulk additions on the operator's word."""

    def import_rows(
        self, rows: Sequence[ImportRow], *, source: str, confirmed: bool, now: datetime
    ) -> ImportResult:
        """Add validated rows in one transaction.

        New addresses become pending (a confirmation mail each is due: see
        :attr:`ImportResult.needs_confirmation`) or, with ``confirmed`` (the
        operator holds their consent), active.  Addresses already known are left
        as they are, except that ``confirmed`` activates pending ones; addresses
        on the suppression list are skipped: only their owners can come back.
        """
        added: list[SubscriberView] = []
        activated: list[SubscriberView] = []
        skipped: list[ImportSkip] = []
        origin = clean_text(source, SOURCE_MAX)
        with self._sessions.begin() as session:
            known = {row.email_key: row for row in session.scalars(select(Subscriber))}
            suppressed = set(session.scalars(select(Suppression.email_hash)))
            for item in rows:
                key = address_key(item.email)
                row = known.get(key)
                if row is not None:
                    if (
                        row.status == "pending"
                        and confirmed
                        and suppression_hash(row.email, self._salt) not in suppressed
                    ):
                        activate(session, row, now, self._salt)
                        session.add(event("import", at=now, source=origin, subscriber_id=row.id))
                        activated.append(view(row))
                    else:
                        skipped.append(ImportSkip(item.line, item.email, f"already {row.status}"))
                    continue
                if suppression_hash(item.email, self._salt) in suppressed:
                    skipped.append(
                        ImportSkip(item.line, item.email, "on the suppression list (left earlier)")
                    )
                    continue
                name = clean_text(item.name, NAME_MAX)
                row = add_subscriber(
                    session,
                    item.email,
                    name,
                    item.preferences,
                    now,
                    confirmed=confirmed,
                    salt=self._salt,
                )
                session.add(event("import", at=now, source=origin, subscriber_id=row.id))
                known[key] = row
                added.append(view(row))
            session.flush()
        return ImportResult(tuple(added), tuple(activated), tuple(skipped))
