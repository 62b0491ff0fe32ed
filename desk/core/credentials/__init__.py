"""What staff and practitioners share in proving who they are.

Secrets hashed with argon2id (`hashing`), token secrets sealed and their codes spent once
(`totp`), and failures counted until an account locks (`accounts`): each written once here,
whichever kind of account calls it.
"""
