"""The ``contexta-git`` command line: thin wrappers around the library."""
