"""`python -m gantool` runs the command line, as torchrun needs."""

from gantool.cli import main

if __name__ == "__main__":
    main()
