#!/usr/bin/env bash
# Run pytest; "no tests collected" (exit 5) is reported plainly instead of failing the build.
"$@"
code=$?
if [ "$code" -eq 5 ]; then
  echo "0 passed, 0 failed (no tests were collected)"
  exit 0
fi
exit "$code"
