"""`python -m circuitgrad ...` is the `circuitgrad` command."""
from circuitgrad.cli import main

raise SystemExit(main())
