package dev.understudy.transport.internal.net;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Signs and verifies whole frames. The no-secret implementation is {@link #NONE}.
 * Implementations are used by one thread each (create one per duty-cycle thread).
 */
public interface FrameSigner {
    /** Bytes the signature adds at the end of a frame. */
    int overhead();

    /**
     * Signs {@code buf[off, off+len)} in place, appending the MAC.
     *
     * @return the signed frame's length
     */
    int sign(MutableDirectBuffer buf, int off, int len);

    /**
     * Verifies a signed frame.
     *
     * @return the length of the frame without its MAC, or -1 if the MAC is missing or wrong
     */
    int verify(DirectBuffer buf, int off, int len);

    /** Frames rejected by {@link #verify}. */
    long rejected();

    FrameSigner NONE = new FrameSigner() {
        @Override
        public int overhead() {
            return 0;
        }

        @Override
        public int sign(MutableDirectBuffer buf, int off, int len) {
            return len;
        }

        @Override
        public int verify(DirectBuffer buf, int off, int len) {
            return len;
        }

        @Override
        public long rejected() {
            return 0;
        }
    };
}
