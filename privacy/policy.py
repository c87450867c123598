"""The privacy policy version that records (deletion certificates, consents) refer to.

The policy in force is the one effective 2013-08-15 (``../shared/privacy-policy.txt``).
Until policy versions are stored and published (ACC-3), this constant is that version.
"""

CURRENT_VERSION = "2013-08-15"
