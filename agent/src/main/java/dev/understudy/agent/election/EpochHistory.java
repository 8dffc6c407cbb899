package dev.understudy.agent.election;

import java.util.Arrays;

/**
 * Where each epoch begins in a node's journal: the (epoch, first position) of every run of
 * records of one epoch, and the last position. Positions start at 1; an empty journal is
 * (epoch 0, position 0). This is all the election needs to know about the journal: the last
 * (epoch, position) for the up-to-date rule, and the epoch boundaries to find where two
 * journals part.
 *
 * <p>Rebuilt at start from the journal by calling {@link #append} once per epoch with that
 * epoch's last position, oldest first (the {@code PROMOTE} record that opens each epoch says
 * where the previous one ended). Afterwards only the {@link ElectionNode} that owns it changes it.
 *
 * <p>Not thread-safe. Epoch changes are rare: the arrays grow by doubling.
 */
public final class EpochHistory {
    private long[] epochs = new long[8];
    private long[] starts = new long[8];
    private int count;
    private long lastPosition;

    /** An empty journal. */
    public EpochHistory() {
    }

    /** An independent copy. */
    public EpochHistory copy() {
        EpochHistory c = new EpochHistory();
        c.epochs = Arrays.copyOf(epochs, epochs.length);
        c.starts = Arrays.copyOf(starts, starts.length);
        c.count = count;
        c.lastPosition = lastPosition;
        return c;
    }

    /**
     * Records up to {@code position} are in the journal, the ones after the previous last
     * position all of {@code epoch}.
     *
     * @throws IllegalArgumentException if the journal would go back in epoch or position
     */
    public void append(long epoch, long position) {
        if (epoch <= 0 || epoch < lastEpoch() || position <= lastPosition) {
            throw new IllegalArgumentException("invalid journal append: value=(epoch " + epoch + ", position " + position
                + "), expected epoch >= " + Math.max(1, lastEpoch()) + " and position > " + lastPosition);
        }
        if (count == 0 || epoch > epochs[count - 1]) {
            if (count == epochs.length) {
                epochs = Arrays.copyOf(epochs, count * 2);
                starts = Arrays.copyOf(starts, count * 2);
            }
            epochs[count] = epoch;
            starts[count] = lastPosition + 1;
            count++;
        }
        lastPosition = position;
    }

    /** Drops every record after {@code position} (nothing if the journal is not longer). */
    public void truncate(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("invalid truncation: value=" + position + ", expected >= 0");
        }
        if (position >= lastPosition) {
            return;
        }
        while (count > 0 && starts[count - 1] > position) {
            count--;
        }
        lastPosition = position;
    }

    /** Epoch of the last record, 0 when empty. */
    public long lastEpoch() {
        return count == 0 ? 0 : epochs[count - 1];
    }

    /** Position of the last record, 0 when empty. */
    public long lastPosition() {
        return lastPosition;
    }

    /** Epoch of the record at {@code position}; 0 for position 0; -1 beyond the end. */
    public long epochAt(long position) {
        if (position > lastPosition || position < 0) {
            return -1;
        }
        for (int i = count - 1; i >= 0; i--) {
            if (starts[i] <= position) {
                return epochs[i];
            }
        }
        return 0;
    }

    /** The latest epoch in the journal that is not after {@code epoch}; 0 if none. */
    public long floorEpoch(long epoch) {
        for (int i = count - 1; i >= 0; i--) {
            if (epochs[i] <= epoch) {
                return epochs[i];
            }
        }
        return 0;
    }

    /**
     * Last position of {@code epoch}'s records. For an epoch that has none here, the position
     * before the first record of a later epoch (so epoch 0 ends where the first epoch begins).
     */
    public long endOf(long epoch) {
        return startAfter(epoch) - 1;
    }

    /** First position of the first epoch after {@code epoch}; the position after the last record if none. */
    public long startAfter(long epoch) {
        for (int i = 0; i < count; i++) {
            if (epochs[i] > epoch) {
                return starts[i];
            }
        }
        return lastPosition + 1;
    }

    /** Whether the journal holds records of {@code epoch} (every journal holds epoch 0, the empty prefix). */
    public boolean contains(long epoch) {
        if (epoch == 0) {
            return true;
        }
        for (int i = 0; i < count; i++) {
            if (epochs[i] == epoch) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("EpochHistory[");
        for (int i = 0; i < count; i++) {
            b.append(i == 0 ? "" : ", ").append(epochs[i]).append('@').append(starts[i]);
        }
        return b.append(" .. ").append(lastPosition).append(']').toString();
    }
}
