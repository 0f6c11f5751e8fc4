"""Reading the inputs: config, YAML with locations, schema, validation, the handbook, circles, schedules, markdown, sealed (age) files, and the generic reuse memo the loaders take."""
