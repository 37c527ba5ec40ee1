# shared shell helpers for tests
