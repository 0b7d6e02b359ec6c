package io.loomhub.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
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
 * bytes are copied into a region of one direct buffer the hub owns, and the flush sends the region with one
 * {@code send} on the socket's descriptor: no allocation, no pipeline, no outbound-buffer entry. Only what the
 * kernel does not take at once (or a region whose channel already has bytes queued in Netty) is copied into a
 * Netty buffer and written the ordinary way, behind anything queued before it, so the byte order is kept and
 * Netty's back-pressure and {@code EPOLLOUT} handling apply as before.
 *
 * <p>Regions are bump-allocated. Every region is taken again by the flush that follows the slice that wrote it
 * (or by the socket's close), so the arena empties after each batch of flushes and then starts again from its
 * first byte. When it is full, writes fall back to a Netty buffer per socket, the path large writes always take.
 *
 * <p>Carrier-confined: only the carrier (and the hub threads it runs, which run one at a time) touches it, so it
 * needs no synchronisation. Made on the first small write of the hub, released when the reactor closes.
 */
final class WriteArena {

    /** Size of the arena: 4,096 regions of 64 bytes in one batch before writes fall back to Netty buffers. */
    static final int CAPACITY = 256 * 1024;
    /** Largest region: bigger writes go to Netty buffers, so one socket cannot take the arena for itself. */
    static final int MAX_REGION = 8 * 1024;

    private final ByteBuf memory;
    private final long address;
    private int top;
    private int regions;
    private boolean released;

    private WriteArena(ByteBuf memory) {
        this.memory = memory;
        this.address = memory.memoryAddress();
    }

    /**
     * A new arena, or {@code null} when the allocator's direct buffers have no native address here (then every
     * write takes the Netty-buffer path).
     */
    static WriteArena allocate(ByteBufAllocator allocator) {
        ByteBuf memory = allocator.directBuffer(CAPACITY, CAPACITY);
        if (!memory.hasMemoryAddress()) {
            memory.release();
            return null;
        }
        return new WriteArena(memory);
    }

    /** Whether a channel's writes can be sent from the arena: a channel on a native descriptor. */
    static boolean supports(Channel channel) {
        return channel instanceof UnixChannel u && u.fd() instanceof Socket;
    }

    /**
     * Reserves a new region and copies {@code len} bytes into it.
     *
     * @return the region's offset, or -1 when the arena has no room (or is released)
     */
    int stage(byte[] src, int off, int len) {
        if (released || len > MAX_REGION || CAPACITY - top < len) {
            return -1;
        }
        int at = top;
        memory.setBytes(at, src, off, len);
        top += len;
        regions++;
        return at;
    }

    /**
     * Appends to the region at {@code [at, at + length)} if it is the newest region and the arena has room.
     *
     * @return whether the bytes were appended
     */
    boolean append(int at, int length, byte[] src, int off, int len) {
        if (released || at + length != top || length + len > MAX_REGION || CAPACITY - top < len) {
            return false;
        }
        memory.setBytes(top, src, off, len);
        top += len;
        return true;
    }

    /**
     * A Netty buffer holding a copy of {@code [at + from, at + length)} of a region. Once the arena is released
     * (the reactor has closed, and with it every channel, so nothing could be sent) the copy is empty.
     */
    ByteBuf copyOut(ByteBufAllocator allocator, int at, int from, int length) {
        if (released) {
            return Unpooled.EMPTY_BUFFER;
        }
        int n = length - from;
        ByteBuf buf = allocator.directBuffer(n, n);
        buf.writeBytes(memory, at + from, n);
        return buf;
    }

    /**
     * Sends a region on a channel whose outbound buffer is empty, straight from the arena.
     *
     * @return bytes the kernel took (0 when its send buffer is full)
     * @throws IOException the send's error (the caller reports it as Netty would report a failed write)
     */
    int send(Channel channel, int at, int length) throws IOException {
        if (released) {
            throw new ClosedChannelException(); // the reactor, and so every channel, has closed
        }
        Socket socket = (Socket) ((UnixChannel) channel).fd();
        return socket.sendAddress(address, at, at + length);
    }

    /** Whether a region may bypass Netty now: the channel is open and has nothing queued that must go first. */
    static boolean canSendDirectly(Channel channel) {
        if (!channel.isActive()) {
            return false;
        }
        ChannelOutboundBuffer ob = channel.unsafe().outboundBuffer();
        return ob != null && ob.isEmpty() && ob.totalPendingWriteBytes() == 0;
    }

    /** Gives a region back; when none is left, the arena starts again from its first byte. */
    void free() {
        if (--regions == 0) {
            top = 0;
        }
    }

    /** Frees the memory; the arena stages nothing from now on. Carrier only, once the loop has stopped. */
    void release() {
        if (!released) {
            released = true;
            memory.release();
        }
    }

    /** Regions staged and not yet taken, for tests. */
    int liveRegions() {
        return regions;
    }
}
