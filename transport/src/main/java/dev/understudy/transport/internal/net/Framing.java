package dev.understudy.transport.internal.net;

import dev.understudy.transport.aeron.ReplicationConfig;
import dev.understudy.transport.auth.FrameAuthenticator;

/**
 * Makes the frame writers, readers and control signers of one node, all bound to the same
 * secret (or none). Each object it hands out has its own {@link FrameAuthenticator} and belongs to
 * one thread.
 */
public final class Framing {
    private final ReplicationConfig config;
    private final byte[] secret;

    public Framing(ReplicationConfig config) {
        this.config = config;
        this.secret = config.secret();
    }

    private FrameAuthenticator authenticator() {
        return secret == null ? FrameAuthenticator.unsigned() : FrameAuthenticator.withSecret(secret);
    }

    /** Writer for live data frames: one datagram (MTU) per frame, so a lost packet costs one frame. */
    public FramePort.Writer dataWriter() {
        return BatchFrames.writer(config.nodeId(), config.maxFramePayload(), authenticator());
    }

    /** Writer for catch-up frames: several datagrams per frame (fewer MACs; Aeron reassembles). */
    public FramePort.Writer catchupWriter() {
        return BatchFrames.writer(config.nodeId(), Math.max(4 * config.maxFramePayload(), 8192), authenticator());
    }

    public FramePort.Reader reader() {
        return BatchFrames.reader(authenticator());
    }

    /** Signs and verifies control frames (acks, heartbeats, catch-up requests). */
    public FrameSigner controlSigner() {
        return new AuthSigner(authenticator());
    }
}
