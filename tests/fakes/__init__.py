"""Stand-ins and helpers shared by test modules: datagrepper, a faulty proxy, plugins, hostile input."""
