"""Share sources: adapters to the networks where job links are posted (X, Bluesky), each
behind the interface in ``base``, with a configurable base URL."""
