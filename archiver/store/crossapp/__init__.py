"""Joining the same conversation found in several downloads.

Meta's downloads carry no user ids, so a chat that lived in two apps (Facebook
and Instagram, 2020–2023) or that moved to end-to-end encryption (a Facebook
``e2ee_cutover`` thread continued in the encrypted-chat download) arrives as
separate threads. Two rules join them:

``content``  the threads share messages: same ``timestamp_ms`` and the same
             normalised text (or, for messages without text, the same kind and
             attachment kinds); a time read from an HTML page (to the minute
             or second, ``time_precision``) stands for every time inside it. At least :data:`MIN_MATCHED` messages must match
             AND they must be at least :data:`MIN_MATCHED_SHARE` of the messages
             the smaller thread has inside the time window both threads cover.
             The count alone keeps a coincidental "ok" at the same second from
             joining strangers; the share keeps a few coincidences scattered over
             years of two busy chats from doing it.
``cutover``  a Facebook thread in ``e2ee_cutover`` and an encrypted-chat thread
             with the same other people (owners left out, names compared without
             case or accents; groups must also share their title), the second
             starting after the first ends and within :data:`CUTOVER_MAX_GAP_MS`.
             When several could pair up, only mutual nearest ones do.

The rules are a function of the archive's content, never of import order, so
Instagram-then-Facebook gives the same archive as Facebook-then-Instagram. A
rule's finding is stored on both threads in ``threads.linked_by`` (JSON list of
``{"with", "rule", "matched", …}``); the user's own decisions live in
``thread_links`` (keyed by ``"platform:key"``, so they outlive re-imports) and
win over the rules: ``split`` forbids a join, ``join`` forces one.

Conversations are the connected groups of threads. Inside one, a message found
in two threads is kept once: the copy from the preferred platform (Facebook >
Messenger > Instagram) stays, the others get ``duplicate_of`` pointing at it,
and the kept copy also lists their downloads in ``message_downloads``.
"""

from .facts import CUTOVER_SECTION, PLATFORM_PREFERENCE, normalise_name, thread_ref
from .linking import LinkError, explain, join_by_hand, link_threads, split_by_hand
from .owners import (
    explain_people,
    join_people,
    owner_aliases,
    owner_evidence,
    owner_names,
    person_decisions,
    record_owner_aliases,
    split_person,
)
from .rules import CUTOVER_MAX_GAP_MS, MIN_MATCHED, MIN_MATCHED_SHARE

__all__ = [
    "CUTOVER_MAX_GAP_MS", "CUTOVER_SECTION", "MIN_MATCHED", "MIN_MATCHED_SHARE",
    "PLATFORM_PREFERENCE", "LinkError", "explain", "explain_people", "join_by_hand",
    "join_people", "link_threads", "normalise_name", "owner_aliases", "owner_evidence",
    "owner_names", "person_decisions", "record_owner_aliases", "split_by_hand",
    "split_person", "thread_ref",
]
