/**
 * The record log's binary format: one flyweight per record type over Agrona buffers, little-endian,
 * fixed layouts drawn in each class's Javadoc, a common {@link dev.understudy.transport.record.RecordHeader}
 * (length, version, type, flags, epoch, CRC-32C, gapless sequence), and frames that batch records
 * for one Aeron fragment ({@link dev.understudy.transport.record.RecordBatch},
 * {@link dev.understudy.transport.record.RecordBatchWriter}, {@link dev.understudy.transport.record.RecordBatchReader}).
 *
 * <p>Encoding and decoding allocate nothing. Decoding never throws on bad input: it returns a
 * {@link dev.understudy.transport.record.RecordErrors} code and counts it in
 * {@link dev.understudy.transport.record.DecodeCounters}. Flyweights, codecs, writers and readers are
 * not thread-safe: one per thread.
 */
package dev.understudy.transport.record;
