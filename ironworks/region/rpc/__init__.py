"""The rack channel's region end: a WebSocket on the API port (endpoint.py), the racks this
process holds (hub.py), and the calls racks make (methods.py)."""
