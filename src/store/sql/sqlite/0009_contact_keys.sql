-- A contact's OpenPGP public key (armoured) and its fingerprint, checked
-- with gpgme when stored; mail to a contact with a key is encrypted.
ALTER TABLE contact ADD COLUMN pgp_key TEXT;
ALTER TABLE contact ADD COLUMN pgp_fingerprint TEXT;
