"""The privacy notice's version: every consent row records which text the person agreed to."""

# The date the notice's text took effect. Change it, together with the date shown in
# templates/registration/privacy_notice.html, whenever that text changes in substance.
PRIVACY_NOTICE_VERSION = "2026-11-25"

# The notice is written under Peruvian law, in Spanish: the other languages' versions are
# translations for information, and the page says so in each of them.
AUTHORITATIVE_LANGUAGE = "es"
