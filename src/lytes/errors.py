"""The one error type a user sees for bad input: it names the field, the value and what is allowed."""


class InputError(ValueError):
    """Bad input, said in one line: the field, the value, and what is allowed.

    ``reason`` replaces "is not allowed; expected ..." where the value is valid in itself but cannot be met in this
    scenario (a lab this patient cannot have as a steady state): it says why, and what would reach it.
    """

    def __init__(self, field: str, value, allowed: str, reason: str | None = None):
        self.field, self.value, self.allowed, self.reason = field, value, allowed, reason
        text = f"{field}: {value!r} {reason}" if reason else f"{field}: {value!r} is not allowed; expected {allowed}"
        super().__init__(" ".join(text.split()))  # always one line
