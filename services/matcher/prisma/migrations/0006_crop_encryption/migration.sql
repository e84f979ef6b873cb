-- The id of the key that sealed each crop (AES-256-GCM, src/crops/crop-cipher.ts); NULL: a plaintext
-- JPEG from before encryption or a development run without CROP_KEY. rotate-key re-seals those.
ALTER TABLE faces ADD COLUMN crop_key_id text;
CREATE INDEX faces_crop_key_id_idx ON faces (crop_key_id);
