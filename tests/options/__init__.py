"""Every option's files, dependencies, lint and configuration, one scenario at a time."""
