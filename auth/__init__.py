"""Who is calling: development tokens (until OAuth), principals and the visibility model."""
