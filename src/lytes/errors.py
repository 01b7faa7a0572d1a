"""The one error type a user sees for bad input: it names the field, the value and what is allowed."""

import re

MAX_ECHO = 80  # a value (or any one word of the message) is echoed shortened to about this many characters
_LONG_WORD = re.compile(r"\S{100,}")


def shorten(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was: a huge value never floods the one error line."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 3]}... ({len(text):,} characters)"


class InputError(ValueError):
    """Bad input, said in one line: the field, the value, and what is allowed.

    ``reason`` replaces "is not allowed; expected ..." where the value is valid in itself but cannot be met in this
    scenario (a lab this patient cannot have as a steady state): it says why, and what would reach it.
    Long values (and any long word echoed inside ``allowed`` or ``reason``) are shortened to about 80 characters.
    """

    def __init__(self, field: str, value, allowed: str, reason: str | None = None):
        self.field, self.value, self.allowed, self.reason = field, value, allowed, reason
        shown = repr(value)
        if len(shown) > MAX_ECHO:
            cut = f"{value[: MAX_ECHO - 5]!r}... ({len(value):,} characters)" if isinstance(value, str) else None
            shown = cut or f"{shown[: MAX_ECHO - 3]}..."
        name = shorten(str(field))
        text = f"{name}: {shown} {reason}" if reason else f"{name}: {shown} is not allowed; expected {allowed}"
        text = _LONG_WORD.sub(lambda m: shorten(m.group()), text)
        super().__init__(" ".join(text.split()))  # always one line
