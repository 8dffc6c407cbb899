/**
 * Frame authentication with a shared secret: {@link dev.understudy.transport.auth.FrameAuthenticator}
 * signs each frame with a truncated HMAC-SHA256 over its header (epoch, sequence range) and records,
 * and rejects and counts unsigned or forged frames when a secret is configured.
 */
package dev.understudy.transport.auth;
