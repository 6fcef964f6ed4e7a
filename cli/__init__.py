"""The ``livereview`` command line: the top layer. It wires settings, flows and the store together; nothing imports it."""
