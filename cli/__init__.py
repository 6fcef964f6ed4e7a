"""The ``livereview`` command line: the top layer that wires settings, flows and the store; nothing imports it."""
