"""The rack channel's wire format, shared by the region end (region/rpc/) and the rack end
(rack/channel.py).  See docs/rack.md for the exchange, step by step."""
