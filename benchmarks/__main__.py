"""``python -m benchmarks run|report`` (see :mod:`benchmarks.harness`) and ``python -m benchmarks
spark`` (the Spark engine, :mod:`benchmarks.bench_spark`)."""

import sys

from .harness import main

if __name__ == "__main__":
    if sys.argv[1:2] == ["spark"]:
        from .bench_spark import main as spark_main

        spark_main(sys.argv[2:])
    else:
        main()
