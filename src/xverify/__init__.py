"""xverify: privacy-preserving cross-verification of people against a register.

The public API is the short list in ``__all__``; everything else may change. Names are imported
on first use, so ``import xverify`` (and the command line's ``--help``) stays fast.

>>> from xverify import LinkageSecret, Verifier, encode_requests, read_submissions
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
from .outcomes import Outcome, Reply, Why

_LAZY: dict[str, str] = {
    "LinkageSecret": "xverify.encoding.keys",
    "EncodingSchema": "xverify.encoding.schema",
    "encode_frame": "xverify.encoding.encoder",
    "read_encoded": "xverify.encoding.encoder",
    "RequestPolicy": "xverify.requests",
    "ReasonCode": "xverify.requests",
    "read_submissions": "xverify.requests",
    "encode_requests": "xverify.requests",
    "encode_submissions_file": "xverify.requests",
    "MatchConfig": "xverify.config",
    "MatchModel": "xverify.matching.model",
    "Verifier": "xverify.verifier",
    "Engine": "xverify.engines",
    "LocalEngine": "xverify.engines",
    "SparkEngine": "xverify.engines.spark",  # needs the spark extra only when built
    "Result": "xverify.verifier",
    "IdentityField": "xverify.disclosure",
    "Response": "xverify.disclosure",
    "AuditLog": "xverify.auditlog",
    "verify_log": "xverify.auditlog",
}

if TYPE_CHECKING:
    from .auditlog import AuditLog
    from .auditlog import verify as verify_log
    from .config import MatchConfig
    from .disclosure import IdentityField, Response
    from .encoding.encoder import encode_frame, read_encoded
    from .encoding.keys import LinkageSecret
    from .encoding.schema import EncodingSchema
    from .engines import Engine, LocalEngine
    from .engines.spark import SparkEngine
    from .matching.model import MatchModel
    from .requests import (
        ReasonCode,
        RequestPolicy,
        encode_requests,
        encode_submissions_file,
        read_submissions,
    )
    from .verifier import Result, Verifier


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        value = getattr(module, "verify" if name == "verify_log" else name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'xverify' has no attribute {name!r}")


__all__ = [
    "AuditLog",
    "AuditLogError",
    "ConfigError",
    "EncodingSchema",
    "Engine",
    "IdentityField",
    "InputError",
    "LinkageSecret",
    "LocalEngine",
    "MatchConfig",
    "MatchModel",
    "Outcome",
    "OutputError",
    "ReasonCode",
    "Reply",
    "RequestPolicy",
    "Response",
    "Result",
    "SchemaError",
    "SecretError",
    "SparkEngine",
    "Verifier",
    "Why",
    "XVerifyError",
    "__version__",
    "encode_frame",
    "encode_requests",
    "encode_submissions_file",
    "read_encoded",
    "read_submissions",
    "verify_log",
]
