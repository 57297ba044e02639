"""The conversation list: most recent first, filtered as you type."""

from __future__ import annotations

from datetime import tzinfo
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from archiver.folding import at_word_start, fold
from archiver.read.conversations import Conversation
from archiver.timefmt import local

from ..emoji import narrow
from ..messages import ConversationChosen, ListFilled

BADGES = {"facebook": "FB", "instagram": "IG", "messenger": "MS"}
CROSS_APP_MARK = "⇄"
FROZEN_MARK = "❄"
# The filter matches a conversation's title and up to this many of its
# participants' names (the first by name). Messenger and Instagram groups hold
# at most 250 people, so this is everyone in any real conversation, joined
# ones included; a download listing a million costs the list no more.
LISTED_NAMES = 1000
# The list is filled a screenful first, then the rest a batch per screen
# update: Textual measures every option it is given, and ten thousand
# conversations cost it more than a second before anything showed.
FIRST_OPTIONS = 200
MORE_OPTIONS = 1000


def badges(conv: Conversation) -> str:
    return " ".join(BADGES.get(p, p[:2].upper()) for p in conv.platforms)


def conversation_prompt(conv: Conversation, tz: tzinfo) -> Text:
    """Two rows: the title (and its marks), then platforms, last date and count."""
    prompt = Text(no_wrap=True, overflow="ellipsis")
    prompt.append(narrow(conv.title), style="bold")
    if conv.cross_app:
        prompt.append(f" {CROSS_APP_MARK}", style="cyan")
    if conv.frozen:
        prompt.append(f" {FROZEN_MARK}", style="blue")
    last = local(conv.last_ms, tz).strftime("%Y-%m-%d") if conv.last_ms else ""
    prompt.append("\n")
    prompt.append(badges(conv), style="bold magenta")
    prompt.append(f"  {last}  {conv.messages:,}", style="dim")
    return prompt


class ConversationList(Vertical):
    """An Input above an OptionList of conversations."""

    # While typing in the filter, the arrows move in the list (as in fzf).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("escape", "leave_filter", show=False),
    ]

    def __init__(self, conversations: list[Conversation], tz: tzinfo, *,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.conversations = conversations
        self.tz = tz
        self.shown: list[Conversation] = []
        # Each conversation's title and participants, folded once: a
        # thread may list a million people, and the filter runs per key.
        # (Kept with the conversation it was made from: "r" reloads the list.)
        self._haystacks: dict[int, tuple[Conversation, str]] = {}
        self._filling = 0  # which filling of the list the batches still to add belong to

    def compose(self) -> ComposeResult:
        filter_box = Input(placeholder="Filter conversations…", id="conversation-filter")
        # Reached with f only: Tab never lands in it, where q would type a "q".
        filter_box.can_focus = False
        yield filter_box
        yield OptionList(id="conversation-options")
        yield Static("", id="conversation-count")

    def on_mount(self) -> None:
        # Filled once the list has its size: OptionList measures every option
        # again on its first resize, and a few thousand cost a few hundred ms.
        self.call_after_refresh(self.fill)

    def fill(self) -> None:
        """Show every conversation, then tell the reader the list is ready
        (keys typed before it was are played then)."""
        self.apply_filter("")
        self.post_message(ListFilled())

    @property
    def options(self) -> OptionList:
        return self.query_one("#conversation-options", OptionList)

    def apply_filter(self, text: str) -> None:
        """Show the conversations whose title or participants hold ``text`` from
        the start of a word (as ``chatkeep show`` and search's ``in:`` match)."""
        needle = fold(text)
        if needle:
            self.shown = [c for c in self.conversations
                          if at_word_start(needle, self._haystack(c))]
        else:
            self.shown = list(self.conversations)
        options = self.options
        options.clear_options()
        self._filling += 1
        self._add_options(self._filling, FIRST_OPTIONS)
        if self.shown:
            options.highlighted = 0
        total = len(self.conversations)
        count = (f"{len(self.shown):,} of {total:,}" if needle
                 else f"{total:,} conversation{'' if total == 1 else 's'}")
        self.query_one("#conversation-count", Static).update(count)

    def _add_options(self, filling: int, up_to: int) -> None:
        """Add the shown conversations up to ``up_to``, and the rest after
        the next screen update (unless the list was filled anew meanwhile)."""
        if filling != self._filling:
            return
        options = self.options
        start = options.option_count
        options.add_options([Option(conversation_prompt(c, self.tz), id=str(c.id))
                             for c in self.shown[start:up_to]])
        if up_to < len(self.shown):
            self.call_after_refresh(self._add_options, filling, up_to + MORE_OPTIONS)

    def _haystack(self, conv: Conversation) -> str:
        cached = self._haystacks.get(conv.id)
        if cached is not None and cached[0] is conv:
            return cached[1]
        # Matched as search's in: and `chatkeep show` match names (folding.py);
        # joined by a newline, which no folded filter holds, so a match never
        # spans two names.
        text = "\n".join(fold(name) for name in (conv.title, *conv.participants))
        self._haystacks[conv.id] = (conv, text)
        return text

    def select(self, conversation_id: int) -> None:
        """Highlight a conversation (when it was opened some other way)."""
        for i, conv in enumerate(self.shown):
            if conv.id == conversation_id:
                if i >= self.options.option_count:
                    self._add_options(self._filling, i + 1)
                self.options.highlighted = i
                return

    @on(Input.Changed, "#conversation-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.apply_filter(event.value)

    @on(Input.Submitted, "#conversation-filter")
    def _filter_submitted(self) -> None:
        highlighted = self.options.highlighted
        if highlighted is not None and highlighted < len(self.shown):
            self.post_message(ConversationChosen(self.shown[highlighted].id))

    @on(OptionList.OptionSelected, "#conversation-options")
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(ConversationChosen(int(event.option.id)))

    def action_move(self, step: int) -> None:
        options = self.options
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -1
            options.highlighted = max(0, min(current + step, options.option_count - 1))

    def action_focus_list(self) -> None:
        self.options.focus()

    def action_leave_filter(self) -> None:
        """Esc: the filter is emptied (every conversation shows again, the one
        highlighted stays highlighted) and the list has the focus."""
        filter_box = self.query_one("#conversation-filter", Input)
        highlighted = self.options.highlighted
        chosen = self.shown[highlighted].id if highlighted is not None and self.shown else None
        if filter_box.value:
            with filter_box.prevent(Input.Changed):
                filter_box.value = ""
            self.apply_filter("")
            if chosen is not None:
                self.select(chosen)
        self.options.focus()

    def focus_filter(self) -> None:
        filter_box = self.query_one("#conversation-filter", Input)
        filter_box.can_focus = True
        # At once, not after the queue (as focus() does): the letters typed
        # right after f may already be queued, and must land in the filter.
        self.screen.set_focus(filter_box)

    @on(Input.Blurred, "#conversation-filter")
    def _filter_left(self) -> None:
        self.query_one("#conversation-filter", Input).can_focus = False
