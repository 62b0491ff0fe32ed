"""`python -m bench.ivr`: see bench/ivr/__init__.py."""

from bench.ivr.run import main

main()
