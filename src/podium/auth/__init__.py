"""Who is calling: principals, access-key secrets and the tokens Podium issues.

Cross-cutting and pure (no storage, no web): the services keep applications and keys, the API
reads credentials off requests; both use what is here to hash, sign and verify.
"""
