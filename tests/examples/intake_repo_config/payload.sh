#!/bin/sh
# Installed outside the submission by tests/e2e/test_intake.py with @MARKER@ filled in: proof
# that git ran a program the repository named, as the grading user.
echo "ran: $0 $*" >> "@MARKER@"
if [ -e "@MARKER@.hang" ]; then sleep 600; fi
exit 0
