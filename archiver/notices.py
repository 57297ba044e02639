"""Meta's notices: lines a download writes as messages that are really events.

Every dialect that reads Meta's downloads (JSON and HTML) asks :func:`is_event`
whether a text is one, and the views ask :func:`reaction_notice` what a
reaction notice says, so that a notice is recognised the same way whatever
download it came from. The forms seen, on Facebook and on Instagram:

- "Reacted 😢 to your message", "Liked a message": no actor; the notice's
  sender is who did it.
- "Sofia Rossi reacted 😢 to your message": the actor's full name.
- "Sofia reacted 🤜 to your message": the first name only.
- "Sofia Rossi liked a message": an Instagram group's like.

A reaction notice whose reaction a message shortly before it already shows is
folded into that reaction by the views (it stays in the archive). A like is a
❤ on Instagram and a 👍 on Facebook, so a like notice folds into either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EVENT_PATTERNS = re.compile(
    r"(?:^Reacted .{1,16} to your message\s*$"
    r"|^.{1,200} reacted [^\sA-Za-z0-9][^A-Za-z0-9]{0,15} to your message\s*$"
    r"|^Liked a message\s*$"
    r"|^[^\n]{1,200} liked a message\s*$"
    r"|^.+ (?:added|removed) .+ (?:to|from) the group\.$"
    r"|^.+ left the group\.$"
    r"|^.+ joined the (?:group|video chat|call)\.?$"
    r"|^.+ named the group .+$"
    r"|^.+ changed the group (?:photo|name|theme)"
    r"|^.+ set (?:the|his|her|their|your) (?:own )?nickname"
    r"|^.+ (?:set|changed) the (?:emoji|theme|chat theme|quick reaction)"
    r"|^.+ created the group\.?$"
    r"|^.+ sent an attachment\.$"
    r"|^.+ started a (?:video |audio )?call\.?$"
    r"|^You are now connected on Messenger\.?$"
    r"|^Say hi to your new Facebook friend.*$)",
    re.DOTALL,
)
# "Reacted 😢 to your message", "Sofia Rossi reacted 😢 to your message",
# "Sofia Rossi liked a message", "Liked a message".
_REACTION_NOTICE = re.compile(
    r"^(?:(?P<actor>.+) reacted|Reacted) (?P<reaction>\S.{0,15}?) to your message\s*$"
    r"|^(?:(?P<liker>[^\n]{1,200}) liked|Liked) a message\s*$",
    re.DOTALL,
)
# What a like is, per app: Instagram's heart, Facebook's thumbs up.
LIKE_REACTIONS = ("❤", "👍")


def is_event(text: str) -> bool:
    """Whether a message's text is really one of Meta's event notices."""
    # Every event above holds one of these words; a text without any is not
    # an event, and looking for them is many times cheaper than the patterns
    # (a chain of ``in`` tests, half the cost of one alternation).
    return ("eacted" in text or " the " in text or "iked a message" in text
            or "nickname" in text or "sent an attachment" in text or "started a " in text
            or "You are now connected" in text or "Say hi" in text
            ) and EVENT_PATTERNS.match(text) is not None


@dataclass(frozen=True, slots=True)
class ReactionNotice:
    """What a reaction notice says: who (as the text names them, None when it
    does not) gave which emoji (a like: any of :data:`LIKE_REACTIONS`),
    without presentation selectors (U+FE0F)."""

    named: str | None
    reactions: tuple[str, ...]

    def actor(self, sender: str) -> str:
        """Who reacted: the notice's sender when the text names no one or names
        them by their first name ("Sofia" sent by "Sofia Rossi"), else the
        name the text gives."""
        if self.named is None or self.named == sender:
            return sender
        if sender.startswith(self.named + " "):
            return sender
        return self.named


def reaction_notice(text: str | None) -> ReactionNotice | None:
    """The reaction a notice announces, or None for any other text."""
    if not text or not ("eacted" in text or "iked a message" in text):
        return None
    found = _REACTION_NOTICE.match(text)
    if found is None:
        return None
    if found.group("reaction") is not None:
        return ReactionNotice(found.group("actor"),
                              (found.group("reaction").replace("\ufe0f", ""),))
    return ReactionNotice(found.group("liker"), LIKE_REACTIONS)


def names_actor(text: str, sender: str) -> bool:
    """Whether an event's text already says who did it: it starts with the
    sender's name or first name, or with "You", or names someone as the
    actor of a reaction notice."""
    notice = reaction_notice(text)
    if notice is not None and notice.named is not None:
        return True
    first = sender.split(" ", 1)[0]
    return not sender or text.startswith((sender, f"{first} ", "You "))
