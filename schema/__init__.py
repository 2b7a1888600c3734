"""GraphQL shape only: types, inputs, enums, payloads, root composition and the committed SDL."""
