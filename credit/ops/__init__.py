"""Operators' library: networks, deployment and administration. The CLI and scripts/ are thin
entry points over it."""
