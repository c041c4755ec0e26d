"""Sandboxed autograder for socket-programming homework.

The data flow is the architecture: roster -> fetch -> locate -> inspect -> stage ->
run (sandbox) -> score -> report. `pipeline` composes the stages; `cli` is a thin shell.
"""

__version__ = "0.1.0"
