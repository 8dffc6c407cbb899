package dev.understudy.transport.internal.net;

import dev.understudy.transport.auth.FrameAuthenticator;
import dev.understudy.transport.record.RecordBatch;
import dev.understudy.transport.record.RecordErrors;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** {@link FrameSigner} over a {@link FrameAuthenticator} (one per thread). */
public final class AuthSigner implements FrameSigner {
    private final FrameAuthenticator authenticator;
    private long rejected;

    public AuthSigner(FrameAuthenticator authenticator) {
        this.authenticator = authenticator;
    }

    @Override
    public int overhead() {
        return authenticator.signs() ? FrameAuthenticator.MAC_LENGTH : 0;
    }

    @Override
    public int sign(MutableDirectBuffer buf, int off, int len) {
        return authenticator.sign(buf, off, len);
    }

    @Override
    public int verify(DirectBuffer buf, int off, int len) {
        if (authenticator.check(buf, off, len) != RecordErrors.OK) {
            rejected++;
            return -1;
        }
        boolean signed = len >= RecordBatch.HEADER_LENGTH && (RecordBatch.flags(buf, off) & RecordBatch.FLAG_SIGNED) != 0;
        return signed ? len - FrameAuthenticator.MAC_LENGTH : len;
    }

    @Override
    public long rejected() {
        return rejected;
    }
}
