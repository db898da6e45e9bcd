"""Zero-knowledge credit proofs: Poseidon, the Poseidon credit tree, scopes and nullifiers.

Pure functions over integers (field elements of BN254's scalar field), shared by the Python
verifier, the auditor and the CLI; nothing here talks to a chain or a prover.
"""
