"""Entry point for ``python -m pinlint``."""

from pinlint.cli import main

if __name__ == "__main__":
    main()
