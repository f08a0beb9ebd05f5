class ReconciliationError(ValueError):
    """A request the books cannot honour; `code` is machine-readable (API and dashboard show it)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
