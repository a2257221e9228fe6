"""The simulation against the local stack, under the name its section carries on the page:
``.venv/bin/python -m bench.scale_validation`` runs ``bench.scale.validation``."""

from bench.scale.validation import main

if __name__ == "__main__":
    main()
