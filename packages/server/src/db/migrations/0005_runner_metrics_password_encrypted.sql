-- The runner metrics password (spec.configuration.metrics.password), encrypted at rest like
-- host tokens (docs/runners.md): an AES-256-GCM ciphertext (iv | ciphertext | tag) bound to
-- the runner's id, and the id of the key that made it.
--
-- SQL cannot encrypt with the application's key, so the plaintext column `metrics_password`
-- of 0002 stays for now: the server encrypts what it still holds at start-up, right after
-- the migrations (services/metrics-password.ts, encryptPlaintextMetricsPasswords), and
-- empties it. Nothing else reads or writes it any more; a later migration may drop it.

alter table runners
  add column metrics_password_ciphertext bytea,
  add column metrics_password_key_id text,
  add constraint runners_metrics_password_key
    check ((metrics_password_ciphertext is null) = (metrics_password_key_id is null));

-- The start-up step looks for rows still holding a plaintext password; after it ran once
-- there are none, so this index stays empty and the lookup costs nothing.
create index runners_plaintext_metrics_password_idx on runners (id) where metrics_password <> '';
