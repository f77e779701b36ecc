"""What the compiled kernels share: array layout indices, software prefetch, chunk sizes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic as _intrinsic

from .levels import Comparison

if TYPE_CHECKING:
    from numba.core.base import BaseContext
    from numba.core.typing.templates import Signature

# numba's stub types a call of an intrinsic with the typing context as its first argument, which
# compiled callers do not pass (and as returning Never, so code after it reads as unreachable)
intrinsic: Any = _intrinsic

# indices fixed by the enum order of xverify.encoding.schema (checked in matching.compare)
BF_GIVEN, BF_MIDDLE, BF_SURNAME, BF_STREET, BF_PLACE = 0, 1, 2, 3, 4
(
    TT_SURNAME,
    TT_SURNAME_PHONETIC,
    TT_GIVEN,
    TT_GIVEN_CANONICAL,
    TT_GIVEN_PHONETIC,
    TT_MIDDLE_INITIAL,
    TT_SUFFIX,
    TT_STREET_NUMBER_ZIP,
    TT_STREET_ZIP,
    TT_UNIT,
    TT_ZIP5,
    TT_BIRTH_DATE,
    TT_TIN,
    TT_HOUSE_NUMBER,
) = range(14)

N_COMPARISONS = len(Comparison)
# columns of the threshold vector (matching.compare.CompareConfig.thresholds())
TH_GIVEN_HI, TH_GIVEN_LO, TH_SURNAME_HI, TH_SURNAME_LO, TH_STREET, TH_PLACE = range(6)
# term-frequency columns: log2 frequency of the agreeing surname / given tokens
TF_SURNAME, TF_GIVEN = 0, 1

PREFETCH_AHEAD = 8  # pairs: submission rows are fetched this far ahead of use


@intrinsic
def prefetch(
    typingctx: object, arr: types.Array, row: types.Integer, col: types.Integer
) -> tuple[Signature, object]:
    """Software prefetch of ``arr[row, col]`` into all cache levels (``llvm.prefetch``).

    The pair loops are bound by memory latency on the randomly accessed submission rows;
    fetching them a few pairs ahead overlaps the misses (DESIGN.md section 7).
    """
    sig = types.void(arr, row, col)

    def codegen(
        context: BaseContext, builder: ir.IRBuilder, signature: Signature, args: tuple
    ) -> object:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(
            context, builder, aryty, ary, [args[1], args[2]], wraparound=False
        )
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # read, high temporal locality, data cache
        builder.call(
            fn,
            [
                builder.bitcast(ptr, i8p),
                ir.Constant(i32, 0),
                ir.Constant(i32, 3),
                ir.Constant(i32, 1),
            ],
        )
        return context.get_dummy_value()

    return sig, codegen


PAR_CHUNK = 16_384  # pairs per parallel task
