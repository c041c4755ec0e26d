"""End to end: real git repositories, the real pipeline, the sandbox, Dask and a browser."""
