"""The local authority ContactPoint team: brokered contact worked to its end, and shielding."""
