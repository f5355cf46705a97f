"""`python -m podium` is the `podium` command."""

from podium.cli import main

# Guarded: the script process (multiprocessing "spawn") imports this module as __mp_main__.
if __name__ == "__main__":
    main()
