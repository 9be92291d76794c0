package dev.linden.sim;

import java.util.Arrays;

/** A growable byte image written in place (copying whole files per write would dominate the run). */
final class SimFileImage {
    byte[] buf = new byte[256];
    int len;

    void write(int pos, byte[] data, int n) {
        int end = pos + n;
        if (end > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(end, buf.length * 2));
        }
        if (pos > len) {
            Arrays.fill(buf, len, pos, (byte) 0);
        }
        System.arraycopy(data, 0, buf, pos, n);
        len = Math.max(len, end);
    }

    void truncate(int size) {
        if (size > buf.length) {
            buf = Arrays.copyOf(buf, size);
        }
        if (size > len) {
            Arrays.fill(buf, len, size, (byte) 0);
        }
        len = size;
    }

    SimFileImage copy() {
        SimFileImage c = new SimFileImage();
        c.buf = Arrays.copyOf(buf, Math.max(256, len));
        c.len = len;
        return c;
    }

    /** Applies one volatile operation ({position, data} write or {-size-1, null} truncation) to this  */
    void apply(Object[] op, int bytes) {
        long pos = (Long) op[0];
        if (pos < 0) {
            truncate((int) (-pos - 1));
        } else {
            byte[] data = (byte[]) op[1];
            write((int) pos, data, Math.min(bytes, data.length));
        }
    }
}
