"""One module per page of the app; each has `page(spec, lang)` (the scenario page `page(lang)`)."""
