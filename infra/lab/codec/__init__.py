"""The lab's stand-in for a Cisco RoomOS codec: an xAPI management shell over a real SIP user
agent (baresip) in the endpoint's network namespace. See shell.py for the stable interface and
docs/vc-lab-codec.md for the mapping.

Nothing here is imported by `infra.lab` itself: the shell starts on every SSH login, so it stays
small and standard-library only.
"""
