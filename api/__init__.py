"""The HTTP edge of dealpulse: app factory, settings, GraphQL view and the `dealpulse` CLI."""
