package io.loomhub.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The records of a hub's live threads, by thread: a hash table whose entries are the records themselves, chained
 * through {@link Hub.ThreadRecord#next}, and indexed by thread id. A map would add an entry object per thread
 * (32 B for {@code ConcurrentHashMap}), which every idle connection's thread pays; and since the JDK hands out
 * thread ids in sequence, threads alive at the same time mostly get a slot each, so a lookup is usually one load
 * and one compare (the carrier looks a thread up after most of its parks).
 *
 * <h2>Threading</h2>
 * Threads start from any thread, so {@link #add} takes this table's monitor, and so do {@link #remove} (the carrier,
 * as each thread ends) and the resize. {@link #get} and {@link #threads} take no lock: they read the slots with
 * acquire loads, and a record is published to them by a release store after its link is set. A lookup racing with a
 * removal or a resize can miss a record that is there (it followed a link that was just changed); it then looks
 * again under the monitor, so a live thread's record is always found. It never finds a wrong one: it compares the
 * record's final {@code thread} field. {@link #threads} is weakly consistent, like a concurrent map's key set.
 * The monitor is held for a constant time except while the table doubles (once per doubling of live threads).
 */
final class ThreadTable {

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Hub.ThreadRecord[].class);
    private static final int MIN_SLOTS = 256;

    /** Replaced whole when it grows; read without the lock. */
    private volatile Hub.ThreadRecord[] slots = new Hub.ThreadRecord[MIN_SLOTS];
    private int size; // guarded by this

    private static int index(Thread thread, int length) {
        return (int) thread.threadId() & (length - 1);
    }

    /** Adds the record of a thread that has none yet. Any thread. */
    synchronized void add(Hub.ThreadRecord record) {
        Hub.ThreadRecord[] table = slots;
        if (++size > table.length) {
            table = grow(table);
        }
        int i = index(record.thread, table.length);
        record.next = (Hub.ThreadRecord) SLOTS.getAcquire(table, i);
        SLOTS.setRelease(table, i, record);
    }

    /** The record of {@code thread}, or null if it has none. Any thread; takes the lock only after a racing miss. */
    Hub.ThreadRecord get(Thread thread) {
        Hub.ThreadRecord[] table = slots;
        Hub.ThreadRecord found = find((Hub.ThreadRecord) SLOTS.getAcquire(table, index(thread, table.length)), thread);
        if (found != null) {
            return found;
        }
        synchronized (this) {
            table = slots;
            return find(table[index(thread, table.length)], thread);
        }
    }

    /** The record of {@code thread} in the chain starting at {@code head}, or null. */
    private static Hub.ThreadRecord find(Hub.ThreadRecord head, Thread thread) {
        for (Hub.ThreadRecord r = head; r != null; r = r.next) {
            if (r.thread == thread) {
                return r;
            }
        }
        return null;
    }

    /** Removes and returns the record of {@code thread}, or null if it has none. */
    synchronized Hub.ThreadRecord remove(Thread thread) {
        Hub.ThreadRecord[] table = slots;
        int i = index(thread, table.length);
        Hub.ThreadRecord prev = null;
        for (Hub.ThreadRecord r = table[i]; r != null; prev = r, r = r.next) {
            if (r.thread == thread) {
                // r keeps its own link, so a lookup standing on it still walks on to the rest of the chain.
                if (prev == null) {
                    SLOTS.setRelease(table, i, r.next);
                } else {
                    prev.next = r.next;
                }
                size--;
                return r;
            }
        }
        return null;
    }

    /** The threads with records now, weakly consistent. Any thread; takes no lock. */
    List<Thread> threads() {
        Hub.ThreadRecord[] table = slots;
        List<Thread> out = new ArrayList<>();
        for (int i = 0; i < table.length; i++) {
            for (Hub.ThreadRecord r = (Hub.ThreadRecord) SLOTS.getAcquire(table, i); r != null; r = r.next) {
                out.add(r.thread);
            }
        }
        return out;
    }

    /** Records held now. Any thread. */
    synchronized int size() {
        return size;
    }

    /**
     * Doubles the table and moves every record over, relinking each in its new chain. A lookup still walking the old
     * table may follow a new link and miss (it then looks again under the lock), but never loops: links are volatile,
     * and a moved record only ever links to records moved before it.
     */
    private Hub.ThreadRecord[] grow(Hub.ThreadRecord[] old) {
        Hub.ThreadRecord[] table = new Hub.ThreadRecord[old.length * 2];
        for (Hub.ThreadRecord head : old) {
            for (Hub.ThreadRecord r = head; r != null; ) {
                Hub.ThreadRecord next = r.next;
                int i = index(r.thread, table.length);
                r.next = table[i];
                table[i] = r;
                r = next;
            }
        }
        slots = table; // volatile store: publishes the new chains
        return table;
    }
}
