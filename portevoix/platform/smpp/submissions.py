"""One message on its way to the SMSC: the state of each segment, and the outcome they make.

Each segment ends in one of four states: accepted (with the SMSC's id), refused (with a
command_status), unanswered (sent, and the bind dropped or the response timed out), or
dropped (never sent: an earlier part was refused, or the connector stopped). The message's
outcome is known once every segment has one:

- any segment refused or dropped: ``Rejected``, with the first refusal's status (None when
  nothing was refused, only dropped) and how many parts the SMSC took. A refusal outranks
  an unanswered part: the message is incomplete whatever the SMSC did with that one.
- else any unanswered: ``Ambiguous``, naming the unanswered parts and the ids of the others.
- else ``Accepted``, the ids in part order.

After a refusal the connector drops the parts not yet sent rather than send them: the handset
could not rebuild the message, and each part is billed.
"""

from __future__ import annotations

from portevoix.platform.smpp.results import (
    Accepted,
    Ambiguous,
    Outcome,
    Rejected,
    reason_for,
)

_PENDING, _ACCEPTED, _REFUSED, _UNANSWERED, _DROPPED = range(5)


class Submission:
    """The segments of message ``message_id`` (``parts`` of them, numbered from 1)."""

    __slots__ = ("_details", "_first_refusal", "_open", "_states", "message_id", "smsc_ids")

    def __init__(self, message_id: str, parts: int) -> None:
        self.message_id = message_id
        self._states = [_PENDING] * parts
        self.smsc_ids: list[str | None] = [None] * parts
        self._open = parts
        self._first_refusal: tuple[int | None, str] | None = None
        self._details: list[str] = []

    @property
    def parts(self) -> int:
        return len(self._states)

    @property
    def refused(self) -> bool:
        """A segment was refused or dropped: the rest should not go out."""
        return self._first_refusal is not None

    @property
    def settled(self) -> bool:
        return self._open == 0

    def pending(self, part: int) -> bool:
        return self._states[part - 1] == _PENDING

    def accept(self, part: int, smsc_id: str) -> None:
        if self._settle(part, _ACCEPTED):
            self.smsc_ids[part - 1] = smsc_id

    def refuse(self, part: int, command_status: int | None, detail: str = "") -> None:
        """The SMSC refused ``part`` (or, ``command_status`` None, it could not be sent)."""
        state = _REFUSED if command_status is not None else _DROPPED
        first = self._first_refusal
        if self._settle(part, state) and (first is None or first[0] is None):
            self._first_refusal = (command_status, detail)

    def unanswered(self, part: int, detail: str) -> None:
        if self._settle(part, _UNANSWERED):
            self._details.append(f"part {part}: {detail}")

    def _settle(self, part: int, state: int) -> bool:
        if self._states[part - 1] != _PENDING:
            return False  # a late answer for a part already settled (e.g. timed out)
        self._states[part - 1] = state
        self._open -= 1
        return True

    def outcome(self) -> Outcome:
        """The message's outcome; only meaningful once ``settled``."""
        ids = tuple(smsc_id for smsc_id in self.smsc_ids if smsc_id is not None)
        if self._first_refusal is not None:
            status, detail = self._first_refusal
            return Rejected(self.message_id, status, reason_for(status),
                            self._states.count(_ACCEPTED), ids, detail)
        if _UNANSWERED in self._states:
            unanswered = tuple(part for part, state in enumerate(self._states, start=1)
                               if state == _UNANSWERED)
            return Ambiguous(self.message_id, "; ".join(self._details), ids, unanswered)
        return Accepted(self.message_id, ids)
