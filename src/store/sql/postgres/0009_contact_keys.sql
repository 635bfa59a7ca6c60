-- A contact's OpenPGP public key (armoured) and its fingerprint, checked
-- with gpgme when stored; mail to a contact with a key is encrypted.
-- The PostgreSQL dialect of sqlite/0009_contact_keys.sql.
ALTER TABLE contact ADD COLUMN pgp_key text;
ALTER TABLE contact ADD COLUMN pgp_fingerprint text;
