"""The report layer: tables, words, number formats, figures and files, for the CLI, the app
and notebooks."""
