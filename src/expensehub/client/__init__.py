"""Python SDK for any Factorial-compatible API (expensehub or Factorial itself).

It imports nothing from the server, so it can be vendored or installed on its own.
"""
