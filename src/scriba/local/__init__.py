"""The local executor: the deployed workflow, run on this machine with moto and local engines."""
