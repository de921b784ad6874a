"""The privacy notice's version: every consent row records which text the person agreed to."""

# Change this whenever templates/registration/privacy_notice.html changes in substance.
PRIVACY_NOTICE_VERSION = "2024-07-01"
