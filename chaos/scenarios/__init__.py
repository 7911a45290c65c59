"""One module per chaos scenario; each exposes `scenario_<name>(pg, redis) -> Scenario`."""
