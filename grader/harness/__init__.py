"""The trusted side of a run: a pytest plugin, peers on the wire, and student handles.

Everything here runs in the harness process of one submission (or, for the client
runner text, inside the sandbox); nothing here imports student code.
"""
