"""xverify: privacy-preserving cross-verification of people against a register.

The public API is the short list in ``__all__``; everything else may change.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (
    AuditLogError,
    ConfigError,
    InputError,
    OutputError,
    SchemaError,
    SecretError,
    XVerifyError,
)

__all__ = [
    "AuditLogError",
    "ConfigError",
    "InputError",
    "OutputError",
    "SchemaError",
    "SecretError",
    "XVerifyError",
    "__version__",
]
