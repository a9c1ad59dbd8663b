"""Credentials and the Principal every request runs as."""
