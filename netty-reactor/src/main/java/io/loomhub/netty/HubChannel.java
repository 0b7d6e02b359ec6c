package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.IoEventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection of a hub socket: the Netty handler at the end of the channel's pipeline, and the blocking
 * read/write state machine that hub threads drive. {@link HubSocket} is the {@code java.net} face of it.
 *
 * <h2>Threading</h2>
 * All mutable state below is carrier-confined: it is touched by Netty callbacks (on the carrier), by carrier
 * callbacks queued with {@link Hub#execute}, and by this hub's own virtual threads, which run on the carrier
 * one at a time and only switch at park points. No lock is needed and the carrier never waits for one. A
 * thread that is not on this hub's carrier runs the same steps through {@link CarrierCall}.
 *
 * <p>Netty's {@code inEventLoop()} is false inside a hub thread, so the steps never call a channel operation
 * directly from one: they hand it to {@link #onLoop(Runnable)}, which queues it as a carrier callback (the hub's
 * local queue: no atomics, no syscall). It runs when the hub thread parks, with {@code inEventLoop()} true.
 *
 * <h2>Read round trip</h2>
 * Auto-read is on while the socket holds less than {@value #READ_PAUSE_BYTES} unread bytes, so the descriptor
 * stays in the epoll set with {@code EPOLLIN} and a read costs no {@code epoll_ctl}: {@code read} finds no inbound
 * bytes → parks → epoll reports the socket readable → Netty's {@code channelRead} on the carrier queues the buffer
 * and {@code channelReadComplete} unparks the reader into the hub's local queue → the reader copies straight from
 * the buffer into the caller's array. Back-pressure: when {@value #READ_PAUSE_BYTES} bytes wait unread, auto-read
 * is switched off (Netty stops reading and the peer's sends fill the kernel buffers); once the reader has taken
 * them below half of that, it is switched on again. Inbound memory per socket is bounded by
 * {@value #READ_PAUSE_BYTES} bytes plus one receive buffer.
 *
 * <h2>Write path</h2>
 * {@code write} copies the caller's bytes into staging memory and queues one flush per slice: everything a thread
 * writes before it next parks goes out together, so buffered and unbuffered streams alike never flush per byte.
 * Small writes (up to {@value WriteArena#MAX_REGION} bytes a slice) are staged in the hub's {@link WriteArena} and
 * the flush sends them with one {@code send} on the descriptor, without allocating; larger ones, and any the arena
 * has no room for, are staged in Netty buffers (chunks of {@value #WRITE_CHUNK} bytes) and the flush hands them
 * to the channel in one {@code write+flush}. A writer parks while Netty reports the channel unwritable (its
 * pending bytes passed the high water mark) or while it has {@value #WRITE_HIGH_WATER} bytes staged that the
 * carrier has not taken yet.
 */
final class HubChannel extends ChannelInboundHandlerAdapter implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(HubSocket.class);

    /** Netty's pending outbound bytes below which a parked writer resumes. */
    static final int WRITE_LOW_WATER = 32 * 1024;
    /** Netty's pending outbound bytes above which the channel is unwritable and writers park. */
    static final int WRITE_HIGH_WATER = 64 * 1024;
    /** Largest staging buffer; a full one is handed to the carrier at once. */
    static final int WRITE_CHUNK = 16 * 1024;
    /** Smallest staging buffer: small writes share one. */
    static final int WRITE_MIN_BUFFER = 1024;
    /** Largest receive buffer of one read. */
    static final int READ_BUFFER_MAX = 64 * 1024;
    /** Unread inbound bytes at which the socket stops reading (auto-read off) until its reader catches up. */
    static final int READ_PAUSE_BYTES = 128 * 1024;
    /** How long a closed socket keeps flushing what its user wrote before it closes regardless. */
    static final long CLOSE_FLUSH_TIMEOUT_SECONDS = 30;
    /** Immutable, so one instance serves every channel (24 B less per connection). */
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(WRITE_LOW_WATER, WRITE_HIGH_WATER);
    /**
     * One receive-size policy for every channel (32 B less per connection): what adapts per channel lives in the
     * handle Netty makes from it for each channel. Its one mutable setting (messages per read) is never changed,
     * and no hub socket exposes its Netty channel to a caller who could.
     */
    private static final AdaptiveRecvByteBufAllocator RECEIVE_SIZES =
            new AdaptiveRecvByteBufAllocator(512, 8192, READ_BUFFER_MAX);

    // The bits of flags.
    /** Auto-read is switched off because {@link #READ_PAUSE_BYTES} wait unread. */
    private static final int READ_PAUSED = 1;
    /** The peer ended its output (or the channel went inactive): reads return -1 once the inbound bytes are read. */
    private static final int EOF = 1 << 1;
    private static final int INPUT_SHUTDOWN = 1 << 2;
    private static final int OUTPUT_SHUTDOWN = 1 << 3;
    /** Netty reported the channel inactive. */
    private static final int INACTIVE = 1 << 4;
    /** A flush of this socket is queued on the carrier. */
    private static final int FLUSH_QUEUED = 1 << 5;
    /** {@code SO_LINGER} is 0: close resets the connection at once, without flushing. */
    private static final int LINGER_0 = 1 << 6;

    /** {@link #signals}: the closed bit, and the step of the wake-up count above it. */
    private static final int CLOSED_BIT = 1;
    private static final int WAKE_STEP = 2;

    /** Returned by a step that could not make progress: the caller registered as waiter and must park. */
    static final int WOULD_BLOCK = -2;

    // Who owns the socket, for the leak rule (see SocketRegistry).
    private static final byte UNOWNED = 0;
    private static final byte OWNED = 1;
    private static final byte HANDED_OFF = 2;
    private static final byte DETACHED = 3;

    // The hub and its loop are the reactor's (hub(), reactor.loop()): a field each here would cost every
    // connection 8 B.
    final NettyReactor reactor;
    private final Channel channel;

    // ---- carrier-confined ----
    /**
     * Received buffers not read yet, oldest first: the oldest in a field (usually the only one: a reader takes each
     * read's bytes before the next arrives), the others in the {@link Overflow}'s queue. So an idle connection holds
     * no queue (56 B less than one made up front). Invariant: that queue is empty while {@code inboundFirst} is null.
     */
    private ByteBuf inboundFirst;
    private int inboundBytes;
    /**
     * Bit 0: closed, by its user, an interrupt or the leak rule ({@link #closed()}). Bits 1 to 7: wake-ups of this
     * socket's reader and writer so far, counted in steps of 2 and wrapping, which leaves bit 0 alone. One byte for
     * both, as every idle connection pays for each field (a byte of its own took HubChannel from 80 to 88 B).
     *
     * <p>Why the count: a thread off the carrier runs each step as a {@link CarrierCall}, whose wait uses the
     * thread's one park permit. A wake-up that comes while it waits for a step that registered it is taken by that
     * wait, and a park after the step would then sleep through it. So such a thread reads the count before each step
     * and parks after the step only if it has not moved ({@link #parkUnlessWoken}).
     *
     * <p>Volatile, as {@link HubSocket#isClosed()} and threads off the carrier read it; written only by the carrier.
     */
    private volatile byte signals;
    /**
     * The connection's other yes/no states, one bit each (see {@link #READ_PAUSED} and after): a boolean field each
     * would cost every idle connection 8 B more.
     */
    private byte flags;
    /** What few connections need (queues past one buffer, a staging buffer, a failure); made on first use. */
    private Overflow overflow;
    private Thread reader;
    /**
     * Where the parked reader wants its bytes ({@code readInto[readAt, readAt + readMax)}), set while it waits with
     * nothing queued: the first buffer Netty reads is copied straight there and released in the same callback,
     * instead of queueing until the reader runs. So a receive buffer lives for one callback, and with many
     * connections the allocator hands the same few out again rather than thousands that wait in queues (cold
     * memory at 10,000 connections). Once bytes landed there, {@code readInto} is cleared and {@code readAt} holds how
     * many, the reader's next result ({@link #delivered()}): the two meanings never overlap, so one field serves both
     * (HubChannel is 80 B).
     */
    private byte[] readInto;
    private int readAt;
    private int readMax;
    private Thread writer;
    /**
     * This socket's region of the hub's write arena: its handle and length ({@link WriteArena#stage}); length 0 for
     * none.
     * A socket stages in the arena or in Netty buffers, never in both at once, so the order of its bytes is kept.
     */
    private int arenaAt;
    private int arenaLength;
    private int unsentBytes; // in the Overflow's staging buffer and unsent queue
    private byte ownership = UNOWNED; // a byte: every idle connection pays for each field
    /**
     * While {@code OWNED}: the owning thread, and this socket's neighbours in that thread's list of sockets (an
     * intrusive list headed by the thread's {@link SocketRegistry.Owner}, so owning costs no collection per thread).
     */
    Thread ownerThread;
    HubChannel ownedPrev;
    HubChannel ownedNext;

    /** The rarely needed part of a connection's state. Carrier-confined, like the rest. */
    private static final class Overflow {
        /** Received buffers after {@link #inboundFirst}, oldest first; made on first use. */
        ArrayDeque<ByteBuf> inboundMore;
        /**
         * The staging buffer being filled, for writes the arena does not take (more than
         * {@value WriteArena#MAX_REGION} bytes a slice, or no room in it); null between them.
         */
        ByteBuf staged;
        /** Full staging buffers waiting for the flush (writes of more than one chunk a slice); made on first use. */
        ArrayDeque<ByteBuf> unsent;
        /** The connection's failure, reported to the reader and the writer. */
        SocketException failure;
    }

    private Overflow overflow() {
        Overflow o = overflow;
        if (o == null) {
            overflow = o = new Overflow();
        }
        return o;
    }

    private SocketException failure() {
        Overflow o = overflow;
        return o == null ? null : o.failure;
    }

    /** The staging buffer being filled, or null. */
    private ByteBuf staged() {
        Overflow o = overflow;
        return o == null ? null : o.staged;
    }

    /** The unsent queue, or null if none was made. */
    private ArrayDeque<ByteBuf> unsent() {
        Overflow o = overflow;
        return o == null ? null : o.unsent;
    }

    /** Queues a full staging buffer (or a spilled arena region) for the flush. */
    private void addUnsent(ByteBuf buf) {
        Overflow o = overflow();
        if (o.unsent == null) {
            o.unsent = new ArrayDeque<>(4);
        }
        o.unsent.add(buf);
    }

    /** A connection on {@code channel}, which must not be registered yet; adds itself to its pipeline. */
    HubChannel(NettyReactor reactor, Channel channel) {
        this.reactor = reactor;
        this.channel = channel;
        configure(channel.config());
        channel.pipeline().addLast(this);
        reactor.sockets().opened.incrementAndGet();
    }

    private Hub hub() {
        return reactor.hub();
    }

    /** Channel settings every hub socket needs: reads on demand, half-closure, back-pressure marks. */
    static void configure(ChannelConfig config) {
        config.setAutoRead(true); // paused and resumed by the reader's progress: see READ_PAUSE_BYTES
        config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        config.setWriteBufferWaterMark(WATER_MARK);
        config.setRecvByteBufAllocator(RECEIVE_SIZES);
    }

    Channel channel() {
        return channel;
    }

    // ------------------------------------------------------------------------------------------------
    // Running steps on the carrier
    // ------------------------------------------------------------------------------------------------

    /** Runs a step of the state machine on the carrier: inline for this hub's threads, else a carrier call. */
    int call(CarrierCall.Op op) throws IOException {
        if (hub().inHub()) {
            return op.run();
        }
        return CarrierCall.run(hub(), op);
    }

    /** Runs a channel operation where Netty runs it directly: now on the carrier itself, else as a callback. */
    void onLoop(Runnable task) {
        if (reactor.loop().inEventLoop()) {
            task.run();
        } else {
            hub().execute(task);
        }
    }

    /** Blocking calls would park the carrier itself, which runs every hub thread: refuse them there. */
    void checkNotCarrier(String what) {
        if (Thread.currentThread() == hub().carrierThread()) {
            throw new IllegalStateException(what + " on the carrier of hub '" + hub().name()
                    + "' outside a virtual thread would block the hub; call it from a hub thread");
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Blocking operations (any thread but the bare carrier)
    // ------------------------------------------------------------------------------------------------

    /**
     * Reads up to {@code len} bytes, parking until at least one is available, end of stream, or the timeout.
     *
     * @param timeoutMillis 0 for no limit
     * @return bytes read, or -1 at end of stream
     */
    int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        checkNotCarrier("read");
        Thread me = Thread.currentThread();
        byte seen = wakeCount();
        int n = readOnCarrier(me, b, off, len);
        if (n != WOULD_BLOCK) {
            return n;
        }
        long deadline = timeoutMillis > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis) : 0;
        while (true) {
            parkUnlessWoken(seen, deadline);
            if (me.isInterrupted()) {
                call(() -> endRead(me));
                throw closeByInterrupt();
            }
            seen = wakeCount();
            n = readOnCarrier(me, b, off, len); // a failure here has released the reader role
            if (n != WOULD_BLOCK) {
                return n;
            }
            if (deadline != 0 && deadline - System.nanoTime() <= 0) {
                // A thread off this carrier runs its steps one carrier call each, so bytes may have been copied
                // into its array between the step above and this one: they are its result, not a timeout.
                int late = call(() -> endRead(me));
                if (late > 0) {
                    return late;
                }
                throw new SocketTimeoutException("Read timed out");
            }
        }
    }

    /** Writes all of {@code b[off, off+len)}, parking while back-pressure holds. */
    void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        checkNotCarrier("write");
        Thread me = Thread.currentThread();
        while (len > 0) {
            byte seen = wakeCount();
            int n = writeOnCarrier(me, b, off, len); // a failure here has released the writer role
            if (n == WOULD_BLOCK) {
                parkUnlessWoken(seen, 0);
                if (me.isInterrupted()) {
                    call(() -> endWrite(me));
                    throw closeByInterrupt();
                }
                continue;
            }
            off += n;
            len -= n;
        }
    }

    /** {@link #tryRead} on the carrier; a hub thread calls it directly (no capturing lambda per read). */
    private int readOnCarrier(Thread me, byte[] b, int off, int len) throws IOException {
        return hub().inHub() ? tryRead(me, b, off, len) : CarrierCall.run(hub(), () -> tryRead(me, b, off, len));
    }

    /** {@link #tryWrite} on the carrier; a hub thread calls it directly. */
    private int writeOnCarrier(Thread me, byte[] b, int off, int len) throws IOException {
        return hub().inHub() ? tryWrite(me, b, off, len) : CarrierCall.run(hub(), () -> tryWrite(me, b, off, len));
    }

    /**
     * Parks after a step that registered the caller as reader or writer, unless the socket woke its reader or writer
     * since the caller read {@code seen} from {@link #wakeCount()} (before that step): then the caller may have lost
     * that wake-up's permit to its {@link CarrierCall}, and re-checks instead.
     */
    private void parkUnlessWoken(byte seen, long deadline) {
        if (wakeCount() == seen) {
            parkUntil(this, deadline);
        }
    }

    /** Parks the caller on {@code blocker} until unparked, or until {@code deadline} (a nanoTime; 0 for none). */
    static void parkUntil(Object blocker, long deadline) {
        if (deadline == 0) {
            LockSupport.park(blocker);
        } else {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                LockSupport.parkNanos(blocker, left);
            }
        }
    }

    /** What a virtual thread gets from a JDK socket when interrupted in I/O: the socket closes. */
    private SocketException closeByInterrupt() throws IOException {
        call(() -> {
            close();
            return 0;
        });
        return new SocketException("Closed by interrupt");
    }

    // ------------------------------------------------------------------------------------------------
    // Steps (carrier-confined)
    // ------------------------------------------------------------------------------------------------

    /** One attempt to read: bytes, -1, or {@link #WOULD_BLOCK} with {@code me} registered as the reader. */
    int tryRead(Thread me, byte[] b, int off, int len) throws IOException {
        if (reader != null && reader != me) {
            throw new ConcurrentSocketUseException("read from", me, reader, describe());
        }
        claimIfHandedOff(me);
        int n;
        try {
            n = readStep(b, off, len);
        } catch (IOException e) {
            reader = null;
            throw e;
        }
        if (n == WOULD_BLOCK) {
            reader = me;
            readInto = b;
            readAt = off;
            readMax = len;
        } else {
            reader = null;
        }
        return n;
    }

    private int readStep(byte[] b, int off, int len) throws IOException {
        int n = delivered();
        readInto = null;
        readAt = 0;
        if (closed()) {
            throw new SocketException("Socket closed");
        }
        if (n > 0) { // zero after shutdownInput(): those bytes were dropped
            // Copied into this same array by channelRead while the reader waited (read() retries with its own
            // arguments): those bytes came before anything queued since.
            return n;
        }
        if (is(INPUT_SHUTDOWN)) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        if (inboundBytes > 0) {
            n = drainInbound(b, off, len);
            if (is(READ_PAUSED) && inboundBytes < READ_PAUSE_BYTES / 2) {
                requestResume();
            }
            return n;
        }
        SocketException failed = failure();
        if (failed != null) {
            throw copy(failed);
        }
        if (is(EOF)) {
            return -1;
        }
        if (is(READ_PAUSED)) {
            requestResume(); // cannot happen with inbound empty, but a reader must never wait on a paused socket
        }
        return WOULD_BLOCK;
    }

    /**
     * The reader gives up (timeout, interrupt).
     *
     * @return bytes {@link #channelRead} copied into the reader's array since its last step: a reader that timed
     *     out returns them instead (an interrupted one closes the socket, and they go with it)
     */
    int endRead(Thread me) {
        int late = 0;
        if (reader == me) {
            reader = null;
            late = delivered();
            readInto = null;
            readAt = 0;
        }
        return late;
    }

    /** One attempt to write: how many bytes were taken (at least one), or {@link #WOULD_BLOCK}. */
    int tryWrite(Thread me, byte[] b, int off, int len) throws IOException {
        if (writer != null && writer != me) {
            throw new ConcurrentSocketUseException("write to", me, writer, describe());
        }
        claimIfHandedOff(me);
        if (closed()) {
            writer = null;
            throw new SocketException("Socket closed");
        }
        if (is(OUTPUT_SHUTDOWN)) {
            writer = null;
            throw new SocketException("Socket output is shutdown");
        }
        SocketException failed = failure();
        if (failed != null) {
            writer = null;
            throw copy(failed);
        }
        if (is(INACTIVE)) {
            writer = null;
            throw new SocketException("Broken pipe: the connection is closed");
        }
        int taken = canStage() ? stageInArena(b, off, len) : 0;
        if (closed() || is(OUTPUT_SHUTDOWN)) {
            throw closedMeanwhile();
        }
        while (taken < len && canStage()) {
            ByteBuf buf = staged();
            if (buf == null) {
                spillArenaRegion(); // its bytes come first: into the queue ahead of the new buffer
                // Fixed capacity: a staging buffer never grows (no reallocation while the caller copies into it).
                int size = Math.clamp(len - taken, WRITE_MIN_BUFFER, WRITE_CHUNK);
                buf = channel.alloc().directBuffer(size, size);
                if (closed() || is(OUTPUT_SHUTDOWN)) {
                    buf.release();
                    throw closedMeanwhile();
                }
                overflow().staged = buf;
            }
            int n = Math.min(len - taken, buf.maxWritableBytes());
            buf.writeBytes(b, off + taken, n);
            taken += n;
            unsentBytes += n;
            if (buf.maxWritableBytes() == 0) {
                addUnsent(buf);
                overflow.staged = null;
            }
        }
        if (unsentBytes > 0) {
            queueFlush();
        }
        recordPeak();
        if (taken == 0) {
            writer = me;
            return WOULD_BLOCK;
        }
        writer = taken == len ? null : me;
        return taken;
    }

    /**
     * The socket was closed, or its output shut down, by another thread while an allocation parked this writer
     * (see {@link #takeArenaRegion}): the closure took everything staged before it, so what is staged now is this
     * write's and would be neither sent nor released. It is released here, and the writer gets the error it would
     * have got had the closure come first.
     */
    private SocketException closedMeanwhile() {
        releaseAll(takeUnsent());
        writer = null;
        return new SocketException(closed() ? "Socket closed" : "Socket output is shutdown");
    }

    /**
     * Stages all of {@code b[off, off+len)} in the hub's write arena if this socket has nothing in Netty buffers
     * and the arena has room, appending to the socket's region when it is the arena's newest.
     *
     * @return {@code len}, or 0 if the bytes must go to Netty buffers
     */
    private int stageInArena(byte[] b, int off, int len) {
        ArrayDeque<ByteBuf> queued = unsent();
        if (staged() != null || queued != null && !queued.isEmpty()) {
            return 0;
        }
        WriteArena arena = reactor.writeArena(channel);
        if (arena == null) {
            return 0;
        }
        if (arenaLength > 0) {
            if (!arena.append(arenaAt, arenaLength, b, off, len)) {
                return 0;
            }
            arenaLength += len;
        } else {
            int at = arena.stage(b, off, len); // may park to add a segment (see takeArenaRegion)
            if (at < 0) {
                return 0;
            }
            if (closed() || is(OUTPUT_SHUTDOWN)) {
                arena.free(at); // closed meanwhile: tryWrite reports it
                return 0;
            }
            arenaAt = at;
            arenaLength = len;
        }
        unsentBytes += len;
        return len;
    }

    /** Moves this socket's arena region, if any, into a Netty buffer at the end of the unsent queue. */
    private void spillArenaRegion() {
        if (arenaLength > 0) {
            ByteBuf copy = takeArenaRegion(0);
            if (copy != null) {
                addUnsent(copy);
            }
        }
    }

    /**
     * Copies this socket's arena region from byte {@code from} on into a Netty buffer and gives the region back.
     *
     * <p>The buffer is allocated before anything changes, and the region is taken only if it is still this
     * socket's afterwards. On a hub thread an allocation can park (a contended monitor in the allocator or its
     * leak detector unmounts a virtual thread), and the carrier then runs other work: the flush queued for this
     * socket may send the region from the arena meanwhile, or a close from another thread take it and send it
     * before its FIN. Either way the region has left the socket, and copying it as well would send it twice (the
     * echo test's one connection in 200 with 8,192 bytes too many) or drop it with the racing write. Nothing
     * parks between the check and the copy.
     *
     * @return the copy, or null if the region left the socket (or the arena was released) during the allocation
     */
    private ByteBuf takeArenaRegion(int from) {
        int at = arenaAt;
        int length = arenaLength;
        ByteBuf buf = channel.alloc().directBuffer(length - from, length - from); // may park a hub thread
        WriteArena arena = reactor.writeArenaIfMade(); // made: this socket holds a region of it
        if (arenaLength != length || arenaAt != at || !arena.copyInto(buf, at, from, length)) {
            buf.release();
            return null;
        }
        freeArenaRegion();
        return buf;
    }

    /** Gives this socket's arena region back without copying it (sent, or failed). */
    private void freeArenaRegion() {
        arenaLength = 0;
        reactor.writeArenaIfMade().free(arenaAt);
    }

    /**
     * Flushes this socket's arena region: straight from the arena with one {@code send} when Netty holds nothing
     * for the channel; what the kernel does not take, or all of it when Netty has bytes queued, goes through
     * Netty behind them. A failed send is reported as Netty reports a failed write (the handler's
     * {@code exceptionCaught}, then the channel closes).
     */
    private void flushArenaRegion() {
        int sent = -1;
        if (WriteArena.canSendDirectly(channel)) {
            try {
                sent = reactor.writeArenaIfMade().send(channel, arenaAt, arenaLength);
            } catch (IOException e) {
                freeArenaRegion();
                channel.pipeline().fireExceptionCaught(e);
                channel.close();
                return;
            }
            reactor.writeArenaSends++;
        }
        if (sent == arenaLength) {
            freeArenaRegion();
        } else {
            if (sent >= 0) {
                reactor.writeArenaShortSends++;
            }
            ByteBuf rest = takeArenaRegion(Math.max(sent, 0)); // on the carrier: the region cannot move meanwhile
            if (rest == null) {
                return; // the arena was released: the reactor, and this channel with it, has closed
            }
            if (channel.isActive()) {
                channel.writeAndFlush(rest, channel.voidPromise());
            } else {
                rest.release();
            }
        }
    }

    /** The writer gives up (interrupt, failure). */
    int endWrite(Thread me) {
        if (writer == me) {
            writer = null;
        }
        return 0;
    }

    /** Bytes that may be read without blocking. */
    int available() throws IOException {
        if (closed()) {
            throw new SocketException("Socket closed");
        }
        return is(INPUT_SHUTDOWN) ? 0 : inboundBytes;
    }

    /** Closes the socket: fails the parked reader and writer, flushes what was written, then closes. */
    void close() {
        if (closed()) {
            return;
        }
        signals |= CLOSED_BIT; // one writer, the carrier
        releaseInbound();
        wake(reader);
        wake(writer);
        if (ownership == OWNED) {
            reactor.sockets().disown(this);
        }
        ownership = UNOWNED;
        reactor.sockets().closed.incrementAndGet();
        ArrayDeque<ByteBuf> toSend = takeUnsent();
        onLoop(() -> closeChannel(toSend));
    }

    /** Closes a socket whose owner thread ended (see {@link SocketRegistry}). Carrier only. */
    void closeLeaked() {
        ownership = UNOWNED; // the registry has unlinked the ending thread's whole list itself
        close();
    }

    /** Half-close, input side: reads return -1 from now on, unread bytes are dropped. */
    int shutdownInput() {
        if (!closed() && !is(INPUT_SHUTDOWN)) {
            set(INPUT_SHUTDOWN);
            releaseInbound();
            readInto = null;
            readAt = 0; // what was delivered is dropped with the rest of what was received
            wake(reader);
            onLoop(() -> {
                if (channel.isActive() && channel instanceof DuplexChannel d) {
                    d.shutdownInput();
                }
            });
        }
        return 0;
    }

    /** Half-close, output side: what was written goes out, then a FIN; writes fail from now on. */
    int shutdownOutput() {
        if (!closed() && !is(OUTPUT_SHUTDOWN)) {
            set(OUTPUT_SHUTDOWN);
            wake(writer);
            ArrayDeque<ByteBuf> toSend = takeUnsent();
            onLoop(() -> {
                writeAll(toSend);
                if (channel.isActive()) {
                    channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                        if (channel instanceof DuplexChannel d && channel.isActive()) {
                            d.shutdownOutput();
                        }
                    });
                }
            });
        }
        return 0;
    }

    /** Makes the first hub thread that uses the socket from now on its owner. */
    int handOff() {
        if (ownership == OWNED) {
            reactor.sockets().disown(this);
            ownership = UNOWNED;
        }
        if (!closed()) {
            ownership = HANDED_OFF;
            reactor.sockets().handedOff.incrementAndGet();
        }
        return 0;
    }

    /** No thread owns the socket any more, and none will claim it: its user closes it. */
    int detach() {
        if (ownership == OWNED) {
            reactor.sockets().disown(this);
        }
        ownership = DETACHED;
        return 0;
    }

    /** Makes {@code thread} the owner if it is one of this hub's threads. */
    void own(Thread thread) {
        if (ownership == OWNED) {
            reactor.sockets().disown(this);
            ownership = UNOWNED;
        }
        if (!closed() && reactor.sockets().own(this, thread)) {
            ownership = OWNED;
        }
    }

    private void claimIfHandedOff(Thread me) {
        if (ownership == HANDED_OFF && me.isVirtual() && hub().inHub()) {
            own(me);
        }
    }

    /** Whether the connection was closed (by its user, an interrupt, or the leak rule). Any thread. */
    boolean isClosed() {
        return closed();
    }

    private boolean closed() {
        return (signals & CLOSED_BIT) != 0;
    }

    /** The count of reader and writer wake-ups in {@link #signals}. Any thread. */
    private byte wakeCount() {
        return (byte) (signals & ~CLOSED_BIT);
    }

    Thread owner() {
        return ownerThread;
    }

    void setLinger0(boolean linger0) {
        if (linger0) {
            set(LINGER_0);
        } else {
            clear(LINGER_0);
        }
    }

    /** Bytes channelRead copied into the parked reader's array since its last step; 0 while it still waits. */
    private int delivered() {
        return readInto == null ? readAt : 0;
    }

    private boolean is(int flag) {
        return (flags & flag) != 0;
    }

    private void set(int flag) {
        flags |= (byte) flag;
    }

    private void clear(int flag) {
        flags &= (byte) ~flag;
    }


    // ------------------------------------------------------------------------------------------------
    // Carrier callbacks
    // ------------------------------------------------------------------------------------------------

    /** Asks the carrier to switch auto-read back on once the reader has caught up. */
    private void requestResume() {
        onLoop(this::resumeReading); // rare: only after READ_PAUSE_BYTES waited unread
    }

    private void resumeReading() {
        // Netty may have read to the end of stream, or the socket may have closed, since the request was queued.
        if (is(READ_PAUSED) && !closed() && !is(EOF) && !is(INPUT_SHUTDOWN) && failure() == null
                && channel.isActive()) {
            clear(READ_PAUSED);
            channel.config().setAutoRead(true); // Netty re-arms EPOLLIN and reads what the kernel holds
        }
    }

    private void queueFlush() {
        if (!is(FLUSH_QUEUED)) {
            set(FLUSH_QUEUED);
            // Behind the threads already queued, not right after this slice: the replies of one batch then leave
            // back to back. Measured both ways (docs/performance.md): flushing right after each slice cost more
            // server CPU per request, as the peer was woken more often for fewer replies each time.
            onLoop(this); // run() is the flush: no callback object per connection
        }
    }

    /**
     * The flush callback {@link #queueFlush} queues on the carrier: the channel is its own task, so an idle connection
     * carries no callback object. Carrier only.
     */
    @Override
    public void run() {
        flushUnsent();
    }

    /** Hands everything staged to Netty in one write+flush. Runs once per slice that wrote. */
    private void flushUnsent() {
        clear(FLUSH_QUEUED);
        if (closed() || is(OUTPUT_SHUTDOWN)) {
            return; // close() / shutdownOutput() took the bytes
        }
        if (failure() != null) {
            releaseAll(takeUnsent()); // the writer was woken by the failure and gets it on its next write
            return;
        }
        if (arenaLength > 0) {
            flushArenaRegion(); // the socket has nothing in Netty buffers then
        } else {
            // Straight from the staging queue, not through takeUnsent(): no copy of the queue on the hot path.
            ArrayDeque<ByteBuf> queued = unsent();
            if (queued != null) {
                writeAll(queued);
            }
            ByteBuf last = staged();
            if (last != null) {
                writeOrRelease(last, channel.isActive());
                overflow.staged = null;
            }
            channel.flush();
        }
        unsentBytes = 0;
        recordPeak();
        wakeWriterIfRoom();
    }

    private void writeOrRelease(ByteBuf buf, boolean active) {
        if (active) {
            channel.write(buf, channel.voidPromise());
        } else {
            buf.release();
        }
    }

    private ArrayDeque<ByteBuf> takeUnsent() {
        spillArenaRegion();
        ArrayDeque<ByteBuf> queued = unsent();
        ArrayDeque<ByteBuf> out = queued == null ? new ArrayDeque<>(1) : new ArrayDeque<>(queued);
        if (queued != null) {
            queued.clear();
        }
        ByteBuf last = staged();
        if (last != null) {
            out.add(last);
            overflow.staged = null;
        }
        unsentBytes = 0;
        return out;
    }

    private void writeAll(ArrayDeque<ByteBuf> bufs) {
        boolean active = channel.isActive();
        ByteBuf buf;
        while ((buf = bufs.poll()) != null) {
            writeOrRelease(buf, active);
        }
    }

    private void closeChannel(ArrayDeque<ByteBuf> toSend) {
        ChannelOutboundBuffer ob = channel.unsafe().outboundBuffer();
        boolean pending = !toSend.isEmpty() || ob != null && ob.totalPendingWriteBytes() > 0;
        if (!pending || is(LINGER_0) || !channel.isActive()) {
            releaseAll(toSend);
            channel.close();
            return;
        }
        // Netty discards what is still queued when a channel closes; java.net sends it. Flush, then close.
        writeAll(toSend);
        ScheduledFuture<?> giveUp = reactor.loop().schedule(() -> {
            channel.close();
        }, CLOSE_FLUSH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            giveUp.cancel(false);
            channel.close();
        });
    }

    private static void releaseAll(ArrayDeque<ByteBuf> bufs) {
        ByteBuf b;
        while ((b = bufs.poll()) != null) {
            b.release();
        }
    }

    private void releaseInbound() {
        ByteBuf b;
        while ((b = pollInbound()) != null) {
            b.release();
        }
        inboundBytes = 0;
    }

    /** Takes the oldest unread buffer out of the inbound queue; null when there is none. */
    private ByteBuf pollInbound() {
        ByteBuf b = inboundFirst;
        Overflow o = overflow;
        inboundFirst = o == null || o.inboundMore == null ? null : o.inboundMore.poll();
        return b;
    }

    private int drainInbound(byte[] dst, int off, int len) {
        int copied = 0;
        while (copied < len) {
            ByteBuf b = inboundFirst;
            if (b == null) {
                break;
            }
            int n = Math.min(len - copied, b.readableBytes());
            b.readBytes(dst, off + copied, n);
            copied += n;
            if (!b.isReadable()) {
                pollInbound().release();
            }
        }
        inboundBytes -= copied;
        return copied;
    }

    private boolean canStage() {
        return channel.isWritable() && unsentBytes < WRITE_HIGH_WATER;
    }

    private void wakeWriterIfRoom() {
        if (writer != null && canStage()) {
            wake(writer);
        }
    }

    /** Unparks the reader or writer {@code t}, counting the wake-up first (see {@link #signals}). Carrier only. */
    private void wake(Thread t) {
        if (t != null) {
            signals += WAKE_STEP; // one writer, the carrier; an even step keeps the closed bit
            LockSupport.unpark(t);
        }
    }

    private void recordPeak() {
        ChannelOutboundBuffer ob = channel.unsafe().outboundBuffer();
        long held = unsentBytes + (ob == null ? 0 : ob.totalPendingWriteBytes());
        if (held > reactor.peakOutboundBytes) {
            reactor.peakOutboundBytes = held;
        }
    }

    private static SocketException copy(SocketException f) {
        SocketException e = new SocketException(f.getMessage());
        e.initCause(f.getCause());
        return e;
    }

    // ------------------------------------------------------------------------------------------------
    // Netty handler (carrier)
    // ------------------------------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        if (closed() || is(INPUT_SHUTDOWN) || !buf.isReadable()) {
            buf.release();
            return;
        }
        if (readInto != null && inboundFirst == null) {
            int n = Math.min(readMax, buf.readableBytes());
            buf.readBytes(readInto, readAt, n);
            readInto = null;
            readAt = n; // now the count delivered
            reactor.directReads++;
            if (!buf.isReadable()) {
                buf.release();
                return;
            }
            // the rest waits in the queue, behind the delivered bytes
        }
        if (inboundFirst == null) {
            inboundFirst = buf;
        } else {
            Overflow o = overflow();
            if (o.inboundMore == null) {
                o.inboundMore = new ArrayDeque<>(4);
            }
            o.inboundMore.add(buf);
        }
        inboundBytes += buf.readableBytes();
        if (inboundBytes >= READ_PAUSE_BYTES && !is(READ_PAUSED)) {
            set(READ_PAUSED);
            channel.config().setAutoRead(false); // Netty's read loop stops after this buffer
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (inboundBytes > 0 || delivered() > 0) {
            wake(reader);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            set(EOF);
            wake(reader);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        wakeWriterIfRoom();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        set(INACTIVE);
        set(EOF);
        wake(reader);
        wake(writer);
        if (!closed() && ownership == OWNED && !hub().isClosed()) {
            // The peer or the hub closed it; the user still has to close() it, and still owns it until then.
            LOG.debug("{}: connection closed under its user", describe());
        }
    }

    /**
     * Any error Netty reports on the channel is a failure of the connection: the reader gets it once the bytes
     * received before it are consumed, the writer on its next write. An error that is not an {@link IOException}
     * (for instance an {@link java.io.UncheckedIOException} from an epoll interest change) leaves the channel in
     * a state nobody can vouch for: it is logged, reported the same way, and the channel is closed, so no later
     * byte is silently dropped and no reader mistakes the closure for the peer's end of stream.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        boolean io = cause instanceof IOException;
        Overflow o = overflow();
        if (o.failure == null) {
            o.failure = translate(cause);
        }
        wake(reader);
        wake(writer);
        if (!io) {
            LOG.warn("{}: unexpected error in the channel; the connection fails with it", describe(), cause);
            if (channel.isOpen()) {
                channel.close();
            }
        }
    }

    /** Any channel error as the {@link SocketException} users see, with the original as its cause. */
    static SocketException translate(Throwable error) {
        if (error instanceof IOException io) {
            return translate(io);
        }
        if (error instanceof java.io.UncheckedIOException u) {
            return translate(u.getCause(), u); // the wrapper as cause: it carries the stack of the failed call
        }
        SocketException e = new SocketException("Connection failed: " + error);
        e.initCause(error);
        return e;
    }

    /** Netty's native errors as the java.net messages users know. */
    static SocketException translate(IOException io) {
        return translate(io, io);
    }

    private static SocketException translate(IOException io, Throwable cause) {
        String m = String.valueOf(io.getMessage());
        SocketException e;
        if (m.contains("Connection reset")) {
            e = new SocketException("Connection reset");
        } else if (m.contains("Broken pipe")) {
            e = new SocketException("Broken pipe");
        } else if (io instanceof SocketException se) {
            e = new SocketException(se.getMessage());
        } else {
            e = new SocketException(m);
        }
        e.initCause(cause);
        return e;
    }

    /** A short description for messages and logs. */
    String describe() {
        return "HubSocket[" + channel.localAddress() + " -> " + channel.remoteAddress() + ", hub=" + hub().name() + "]";
    }

    @Override
    public String toString() {
        return describe();
    }
}
