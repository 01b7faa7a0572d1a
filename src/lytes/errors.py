"""The one error type a user sees for bad input: it names the field, the value and what is allowed."""


class InputError(ValueError):
    def __init__(self, field: str, value, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field}: {value!r} is not allowed; expected {allowed}")
