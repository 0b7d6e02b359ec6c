package io.loomhub.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The hub's injection queue: many producers (any thread), one consumer (the carrier). A linked queue in the
 * style of Dmitry Vyukov's intrusive MPSC queue, on {@link VarHandle}s: {@link #offer} is one atomic exchange on
 * the tail and one release store, wait-free; {@link #poll} is a few plain and acquire loads.
 *
 * <p>Written here rather than taken from JCTools because JCTools reaches for {@code sun.misc.Unsafe}, which JDK
 * 25 reports with a warning on every application's standard error.
 *
 * <p>Between a producer's exchange and its link store the queue is briefly "in flight": {@link #isEmpty()}
 * already says false (so the carrier does not fall asleep on it), while {@link #poll()} may still return null
 * for a moment; the carrier simply comes back.
 *
 * @param <E> the element type
 */
final class MpscQueue<E> {

    private static final VarHandle TAIL;
    private static final VarHandle NEXT;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            TAIL = l.findVarHandle(MpscQueue.class, "tail", Node.class);
            NEXT = l.findVarHandle(Node.class, "next", Node.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One element; the queue's head is a node whose value was already taken. */
    private static final class Node {
        Object value;
        volatile Node next;

        Node(Object value) {
            this.value = value;
        }
    }

    // Consumer side and producer side on separate cache lines: the carrier polls while others offer.
    private Node head;                 // consumer only
    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
    private volatile Node tail;        // producers

    MpscQueue() {
        Node stub = new Node(null);
        head = stub;
        tail = stub;
    }

    /** Adds an element. Any thread; wait-free. */
    void offer(E value) {
        Node node = new Node(value);
        Node previous = (Node) TAIL.getAndSet(this, node);
        NEXT.setRelease(previous, node);
    }

    /** Takes the oldest element, or null if none is visible yet. Consumer thread only. */
    @SuppressWarnings("unchecked")
    E poll() {
        Node h = head;
        Node next = (Node) NEXT.getAcquire(h);
        if (next == null) {
            return null;
        }
        Object value = next.value;
        next.value = null;
        head = next;
        return (E) value;
    }

    /**
     * Whether no element has been offered that the consumer has not taken. Counts an element in flight as
     * present. Consumer thread only (it reads the consumer's head).
     */
    boolean isEmpty() {
        return tail == head;
    }

    /**
     * About how many elements are queued, counting at most {@code limit}. Any thread: it walks the links from a
     * possibly stale head, so it is an estimate, meant for stats and dumps, and costs O(size).
     */
    int size(int limit) {
        int n = 0;
        for (Node node = (Node) NEXT.getAcquire(head); node != null && n < limit; node = node.next) {
            n++;
        }
        return n;
    }
}
