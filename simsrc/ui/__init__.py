"""What talks to a person: formatting, the command line, teaching widgets, charts, dashboards."""
