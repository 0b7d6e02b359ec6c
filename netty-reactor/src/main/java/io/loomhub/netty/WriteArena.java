package io.loomhub.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * One hub's scratch memory for small writes, between a hub thread's {@code write} and the socket's flush.
 *
 * <p>A write of a few hundred bytes used to cost a pooled buffer of its own: allocated on the writing virtual
 * thread (which is not one of Netty's threads, so the allocator takes its shared, locked path and its leak
 * detector samples it), passed down the pipeline into Netty's outbound buffer, and freed after the send. Here the
 * bytes are copied into a region of direct memory the hub owns, and the flush sends the region with one
 * {@code send} on the socket's descriptor: no allocation, no pipeline, no outbound-buffer entry. Only what the
 * kernel does not take at once (or a region whose channel already has bytes queued in Netty) is copied into a
 * Netty buffer and written the ordinary way, behind anything queued before it, so the byte order is kept and
 * Netty's back-pressure and {@code EPOLLOUT} handling apply as before.
 *
 * <p>The memory is a ring of segments of {@value #SEGMENT} bytes, made as needed up to {@value #MAX_SEGMENTS}.
 * Regions are bump-allocated in the current segment; each segment counts its live regions, and a region is given
 * back by the flush that follows the slice that wrote it (or by the socket's close). When the current segment is
 * full, allocation moves to the next segment that has no live region left, or to a new one. Flushes give regions
 * back in about the order they were staged, so under a steady load the segments behind the current one empty out
 * and are reused: the arena holds what is staged and not yet flushed, however long the hub's run queue (with
 * 10,000 connections, thousands of replies wait for their flush at any moment, and a single buffer that could only
 * start again once every region was back stayed full). Writes fall back to a Netty buffer per socket only when
 * every segment is live and no more may be made, the path large writes always take.
 *
 * <p>A region's handle is its segment and offset in one {@code int}: {@code segment * }{@value #STRIDE}{@code  +
 * offset}.
 *
 * <p>Carrier-confined: only the carrier (and the hub threads it runs, which run one at a time) touches it, so it
 * needs no synchronisation. Made on the first small write of the hub, released when the reactor closes.
 */
final class WriteArena {

    /** Bytes per segment: 1,024 regions of 64 bytes. */
    static final int SEGMENT = 64 * 1024;
    /** Segments at most: 4 MiB per hub, for writes staged and not yet flushed. */
    static final int MAX_SEGMENTS = 64;
    /** Most bytes the arena can hold at once. */
    static final int CAPACITY = SEGMENT * MAX_SEGMENTS;
    /** Largest region: bigger writes go to Netty buffers, so one socket cannot take a segment for itself. */
    static final int MAX_REGION = 8 * 1024;
    /** Distance between two segments' handles: above any offset within a segment, including its end. */
    private static final int STRIDE = SEGMENT * 2;

    private final ByteBufAllocator allocator;
    private final ByteBuf[] memory = new ByteBuf[MAX_SEGMENTS];
    private final long[] address = new long[MAX_SEGMENTS];
    /** Live regions per segment. */
    private final int[] live = new int[MAX_SEGMENTS];
    private int segments;
    private int current;
    /** Next free byte of the current segment. */
    private int top;
    private boolean released;

    private WriteArena(ByteBufAllocator allocator) {
        this.allocator = allocator;
    }

    /**
     * A new arena with its first segment, or {@code null} when the allocator's direct buffers have no native
     * address here (then every write takes the Netty-buffer path).
     */
    static WriteArena allocate(ByteBufAllocator allocator) {
        WriteArena arena = new WriteArena(allocator);
        return arena.addSegment() ? arena : null;
    }

    /** Makes one more segment and makes it current; false if the memory has no native address. */
    private boolean addSegment() {
        ByteBuf buf = allocator.directBuffer(SEGMENT, SEGMENT);
        // On a hub thread the allocation may park, and another hub thread may add a segment (or the reactor
        // release the arena) meanwhile: check again before taking the slot.
        if (!buf.hasMemoryAddress() || released || segments == MAX_SEGMENTS) {
            buf.release();
            return false;
        }
        memory[segments] = buf;
        address[segments] = buf.memoryAddress();
        current = segments++;
        top = 0;
        return true;
    }

    /** Whether a channel's writes can be sent from the arena: a channel on a native descriptor. */
    static boolean supports(Channel channel) {
        return channel instanceof UnixChannel u && u.fd() instanceof Socket;
    }

    /**
     * Reserves a new region and copies {@code len} bytes into it.
     *
     * @return the region's handle, or -1 when the arena has no room (or is released)
     */
    int stage(byte[] src, int off, int len) {
        if (released || len <= 0 || len > MAX_REGION || SEGMENT - top < len && !moveOn()) {
            return -1;
        }
        int at = top;
        memory[current].setBytes(at, src, off, len);
        top += len;
        live[current]++;
        return current * STRIDE + at;
    }

    /**
     * Makes a segment with no live region current: the first such after the current one, in ring order (the
     * oldest, when flushes give regions back in order), else a new one. False when every segment is live.
     */
    private boolean moveOn() {
        for (int i = 1; i < segments; i++) {
            int s = (current + i) % segments;
            if (live[s] == 0) {
                current = s;
                top = 0;
                return true;
            }
        }
        return segments < MAX_SEGMENTS && addSegment();
    }

    /**
     * Appends to the region {@code at} of {@code length} bytes if it is the newest region and its segment has
     * room.
     *
     * @return whether the bytes were appended
     */
    boolean append(int at, int length, byte[] src, int off, int len) {
        if (released || at / STRIDE != current || at % STRIDE + length != top || length + len > MAX_REGION
                || SEGMENT - top < len) {
            return false;
        }
        memory[current].setBytes(top, src, off, len);
        top += len;
        return true;
    }

    /**
     * Appends bytes {@code [from, length)} of the region {@code at} to {@code dst}, which has room for them. Once the
     * arena is released (the reactor has closed, and with it every channel, so nothing could be sent) nothing is
     * copied.
     *
     * @return false if the arena was released
     */
    boolean copyInto(ByteBuf dst, int at, int from, int length) {
        if (released) {
            return false;
        }
        dst.writeBytes(memory[at / STRIDE], at % STRIDE + from, length - from);
        return true;
    }

    /**
     * Sends the region {@code at} of {@code length} bytes on a channel whose outbound buffer is empty, straight
     * from the arena.
     *
     * @return bytes the kernel took (0 when its send buffer is full)
     * @throws IOException the send's error (the caller reports it as Netty would report a failed write)
     */
    int send(Channel channel, int at, int length) throws IOException {
        if (released) {
            throw new ClosedChannelException(); // the reactor, and so every channel, has closed
        }
        Socket socket = (Socket) ((UnixChannel) channel).fd();
        int offset = at % STRIDE;
        return socket.sendAddress(address[at / STRIDE], offset, offset + length);
    }

    /** Whether a region may bypass Netty now: the channel is open and has nothing queued that must go first. */
    static boolean canSendDirectly(Channel channel) {
        if (!channel.isActive()) {
            return false;
        }
        ChannelOutboundBuffer ob = channel.unsafe().outboundBuffer();
        return ob != null && ob.isEmpty() && ob.totalPendingWriteBytes() == 0;
    }

    /**
     * Gives the region {@code at} back. When the current segment has no live region left it starts again from its
     * first byte; another segment becomes reusable.
     */
    void free(int at) {
        int s = at / STRIDE;
        if (--live[s] == 0 && s == current) {
            top = 0;
        }
    }

    /** Frees the memory; the arena stages nothing from now on. Carrier only, once the loop has stopped. */
    void release() {
        if (!released) {
            released = true;
            for (int i = 0; i < segments; i++) {
                memory[i].release();
                memory[i] = null;
            }
        }
    }

    /** Regions staged and not yet taken, for tests. */
    int liveRegions() {
        int n = 0;
        for (int i = 0; i < segments; i++) {
            n += live[i];
        }
        return n;
    }

    /** Segments made so far, for tests. */
    int segments() {
        return segments;
    }
}
