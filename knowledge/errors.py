"""Exceptions of the knowledge package: one base, one subclass per failure kind."""

__all__ = ["KnowledgeError", "KnowledgeValidationError", "ImportFormatError"]


class KnowledgeError(Exception):
    """Base class of every error raised by the knowledge package."""


class KnowledgeValidationError(KnowledgeError):
    """A knowledge file or entry breaks the schema; the message names the file and entry."""


class ImportFormatError(KnowledgeError):
    """An external FAQ corpus cannot be imported (unknown format, missing column, bad row)."""
