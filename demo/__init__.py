"""Try livereview without a network: a loopback stand-in for the sources and a demo store of its own."""
