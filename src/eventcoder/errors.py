"""Exception classes with stable error codes."""


class EventcoderError(Exception):
    """Base class; ``code`` is stable and appears in error records."""

    code = "error"


class BadInput(EventcoderError):
    """An input item cannot be read or has no article text."""

    code = "bad_input"


class DictionaryError(EventcoderError):
    """A dictionary file is invalid; the message names file and line."""

    code = "bad_dictionary"


class ModelNotFound(EventcoderError):
    """No installed spaCy pipeline matches the configured name."""

    code = "model_not_found"
