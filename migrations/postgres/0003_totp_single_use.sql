-- Staff second factor: the last TOTP time step used, so that a code works once only
-- (RFC 6238 section 5.2). Secrets are sealed by the application from now on; secrets
-- stored before are sealed at their owner's next sign-in.
ALTER TABLE staff ADD COLUMN totp_last_step BIGINT;
