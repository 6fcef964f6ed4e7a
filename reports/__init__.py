"""Reports read from the store: PRISMA counts as files and diagrams, the search log, growth charts, exports."""
