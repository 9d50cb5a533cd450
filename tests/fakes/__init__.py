"""Fake outside services for tests: real HTTP servers on 127.0.0.1 that answer with the
real services' JSON shapes, hold a scripted world, and fail on request."""
