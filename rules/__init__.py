"""The sales-process engine, pure (no I/O): derived facts, and later formulas, health, alerts."""
