"""How a search outcome is laid out on the results page: the answer first, the rest folded.

A phone shows about one card per screen, so each group shows its nearest few and folds the
rest behind "show more"; the centre responsible for the person's municipality is never folded.
"""

from __future__ import annotations

from dataclasses import dataclass

from capacity.search import Group, Outcome, Result

SHOWN = 3  # nearest results shown per group before "show more"


@dataclass(frozen=True, slots=True)
class Section:
    group: Group
    shown: tuple[Result, ...]
    folded: tuple[Result, ...]

    @property
    def count(self) -> int:
        return len(self.shown) + len(self.folded)


def sections(outcome: Outcome) -> list[Section]:
    """The outcome's groups in order, each split into shown and folded results.

    Results keep the search's order (nearest first). "Can take you now" and "call to check"
    show their `SHOWN` nearest; full or closed centres are all folded. A responsible centre
    is always shown, wherever it falls. Empty groups are left out.
    """
    laid_out = []
    for group in Group:
        members = [result for result in outcome.results if result.group is group]
        if not members:
            continue
        limit = 0 if group is Group.UNAVAILABLE else SHOWN
        shown = [r for i, r in enumerate(members) if i < limit or r.responsible]
        folded = [r for r in members if not any(r is s for s in shown)]
        laid_out.append(Section(group, tuple(shown), tuple(folded)))
    return laid_out


def nothing_now(outcome: Outcome) -> bool:
    """Whether no result can take the person now: the page then leads with what to do."""
    return not any(result.group is Group.NOW for result in outcome.results)
