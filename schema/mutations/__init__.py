"""Mutations, one module per domain or mutation (as Saleor does); schema.mutation composes
the Mutation root from their classes."""
