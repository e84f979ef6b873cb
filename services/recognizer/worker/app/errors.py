class WorkerError(Exception):
    """An expected failure, answered as JSON `{code, message}`; codes match the TypeScript ERROR_CODES."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def __reduce__(self):
        # Raised in an engine pool process and re-raised here: it must survive pickling.
        return (WorkerError, (self.status, self.code, self.message))


def invalid_image(reason: object) -> WorkerError:
    return WorkerError(400, "INVALID_IMAGE", f"could not decode image: {reason}")


def too_large(message: str) -> WorkerError:
    return WorkerError(413, "IMAGE_TOO_LARGE", message)
