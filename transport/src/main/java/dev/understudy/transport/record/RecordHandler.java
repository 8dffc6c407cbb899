package dev.understudy.transport.record;

import org.agrona.DirectBuffer;

/**
 * Receives one record, already validated, as a view: the bytes are only valid during the call
 * (the buffer is reused or unmapped afterwards). Copy what must outlive the call.
 */
@FunctionalInterface
public interface RecordHandler {
    /**
     * @param buffer holds the record
     * @param offset where the record's header starts
     * @param length the record's length ({@link RecordHeader#LENGTH_OFFSET}), padding excluded
     */
    void onRecord(DirectBuffer buffer, int offset, int length);
}
