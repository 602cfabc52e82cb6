"""The "did you mean" of every error message that rejects a name."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """' (did you mean 'adam'?)' for the known name closest to ``word`` (a match ignoring case first),
    '' when none is close.

    >>> did_you_mean("adma", ["adam", "amsgrad"])
    " (did you mean 'adam'?)"
    >>> did_you_mean("zzz", ["adam"])
    ''
    """
    known = list(known)
    near = [k for k in known if k.lower() == word.lower()] or difflib.get_close_matches(word, known, n=1)
    return f" (did you mean {near[0]!r}?)" if near else ""
