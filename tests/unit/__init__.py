"""Unit tests, one folder per package of grader/: no sandbox, no sleeps, a few seconds."""
