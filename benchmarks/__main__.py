"""``python -m benchmarks run|report`` (see :mod:`benchmarks.harness`)."""

from .harness import main

if __name__ == "__main__":
    main()
