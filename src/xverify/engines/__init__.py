"""Where the matching stages run: the :class:`Engine` protocol and its in-process implementation.

The stages are partition functions (``xverify.matching.pipeline``): each reads one
:class:`RegisterPart` and returns a partial result whose size does not grow with the register;
the driver merges the partials. An engine only decides where the parts are read and the
functions run.
"""

from .base import ROW_ID, Engine, ParquetSource, RegisterPart, RegisterSource
from .local import LocalEngine

__all__ = ["ROW_ID", "Engine", "LocalEngine", "ParquetSource", "RegisterPart", "RegisterSource"]
