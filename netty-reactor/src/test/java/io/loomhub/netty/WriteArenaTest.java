package io.loomhub.netty;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import io.netty.buffer.ByteBufAllocator;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * The hub's write arena ({@link WriteArena}): small writes are sent straight from it, the arena empties after each
 * flush, and every fallback (arena full, a second write that cannot append, a partial send, a failed send, a
 * transport without descriptors) delivers the same bytes in the same order as Netty buffers would.
 */
class WriteArenaTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void regionsAreBumpAllocatedAndASegmentStartsAgainOnceAllItsRegionsAreTaken() {
        WriteArena arena = WriteArena.allocate(ByteBufAllocator.DEFAULT);
        try {
            byte[] bytes = new byte[100];
            int a = arena.stage(bytes, 0, 100);
            int b = arena.stage(bytes, 0, 50);
            assertEquals(0, a);
            assertEquals(100, b);
            assertTrue(arena.append(b, 50, bytes, 0, 10), "the newest region grows in place");
            assertTrue(!arena.append(a, 100, bytes, 0, 10), "an older region cannot grow over its successor");
            assertEquals(-1, arena.stage(new byte[WriteArena.MAX_REGION + 1], 0, WriteArena.MAX_REGION + 1),
                    "a large write is left to Netty buffers");
            assertEquals(2, arena.liveRegions());
            byte[] numbered = new byte[40];
            for (int i = 0; i < numbered.length; i++) {
                numbered[i] = (byte) i;
            }
            int c = arena.stage(numbered, 0, numbered.length);
            io.netty.buffer.ByteBuf rest = ByteBufAllocator.DEFAULT.directBuffer(25, 25);
            try {
                assertTrue(arena.copyInto(rest, c, 15, numbered.length));
                byte[] tail = new byte[rest.readableBytes()];
                rest.readBytes(tail);
                assertArrayEquals(java.util.Arrays.copyOfRange(numbered, 15, 40), tail,
                        "what the kernel did not take: the region from the first byte not sent");
            } finally {
                rest.release();
            }
            arena.free(a);
            arena.free(b);
            assertEquals(200, arena.stage(bytes, 0, 1), "a region still live keeps the segment's top");
            arena.free(c);
            arena.free(200);
            assertEquals(0, arena.liveRegions());
            assertEquals(0, arena.stage(bytes, 0, 1), "an empty segment starts again from its first byte");
            arena.free(0);
            int filled = 0;
            byte[] chunk = new byte[WriteArena.MAX_REGION];
            while (arena.stage(chunk, 0, chunk.length) >= 0) {
                filled++;
            }
            assertEquals(WriteArena.CAPACITY / WriteArena.MAX_REGION, filled,
                    "when every segment is live and no more may be made, the arena refuses");
            assertEquals(WriteArena.MAX_SEGMENTS, arena.segments());
        } finally {
            arena.release();
        }
        assertEquals(-1, arena.stage(new byte[1], 0, 1), "a released arena stages nothing");
    }

    @Test
    void regionsGivenBackInOrderWhileNewOnesAreStagedKeepTheArenaUsableForEver() {
        // The hub's steady state with many connections: every reply is staged by its thread's slice and given back
        // by a flush that runs thousands of slices later, so some region is always live. A single buffer that
        // could only start again with no region live filled up once and then refused every write.
        WriteArena arena = WriteArena.allocate(ByteBufAllocator.DEFAULT);
        try {
            byte[] reply = new byte[64];
            int inFlight = 5_000; // 320,000 bytes staged and not yet flushed, at any moment
            java.util.ArrayDeque<Integer> staged = new java.util.ArrayDeque<>();
            for (int i = 0; i < 1_000_000; i++) {
                int at = arena.stage(reply, 0, reply.length);
                assertTrue(at >= 0, "refused after " + i + " stages with " + staged.size() + " live");
                staged.add(at);
                if (staged.size() > inFlight) {
                    arena.free(staged.poll());
                }
            }
            assertEquals(inFlight, arena.liveRegions());
            // What is live fits in 5 segments (plus the one being filled): the others were reused, not added.
            assertTrue(arena.segments() <= 7, "segments made: " + arena.segments());
        } finally {
            arena.release();
        }
    }

    /**
     * A segment's allocation may park a hub thread, and other hub threads may meanwhile fill the arena to its most
     * segments, or the reactor release it: the allocation then gives its buffer back and the region is refused
     * (the write takes Netty buffers). Here the allocator runs those steps itself, inside the allocation, which is
     * the same interleaving made certain; taking the slot anyway indexed past the arena's last segment, or kept a
     * buffer that nothing would release.
     */
    @Test
    void aSegmentWhoseAllocationOutlivedTheArenasRoomOrTheArenaIsGivenBack() {
        HookAllocator allocator = new HookAllocator();
        WriteArena arena = WriteArena.allocate(allocator);
        byte[] piece = pattern(7, WriteArena.MAX_REGION);
        int perSegment = WriteArena.SEGMENT / WriteArena.MAX_REGION;
        try {
            for (int i = 0; i < (WriteArena.MAX_SEGMENTS - 1) * perSegment; i++) {
                assertTrue(arena.stage(piece, 0, piece.length) >= 0, "region " + i);
            }
            assertEquals(WriteArena.MAX_SEGMENTS - 1, arena.segments());
            // The next region needs the last segment; while its allocation is under way, another writer takes it.
            allocator.hook = () -> assertTrue(arena.stage(piece, 0, piece.length) >= 0, "the other writer's region");
            assertEquals(-1, arena.stage(piece, 0, piece.length), "no room is left once the allocation returns");
            assertEquals(WriteArena.MAX_SEGMENTS, arena.segments());
            assertEquals(0, allocator.last.refCnt(), "the late segment's buffer was given back");
            assertEquals((WriteArena.MAX_SEGMENTS - 1) * perSegment + 1, arena.liveRegions());
        } finally {
            arena.release();
        }

        HookAllocator other = new HookAllocator();
        WriteArena closing = WriteArena.allocate(other);
        for (int i = 0; i < perSegment; i++) {
            assertTrue(closing.stage(piece, 0, piece.length) >= 0);
        }
        other.hook = closing::release; // the reactor closes while the next segment is allocated
        assertEquals(-1, closing.stage(piece, 0, piece.length));
        assertEquals(0, other.last.refCnt(), "a segment made for a released arena is given back");
        assertEquals(1, closing.segments());
    }

    @Test
    void smallRepliesAreSentStraightFromTheArenaAndItEmptiesAfterEachFlush() throws Exception {
        try (Hub hub = Hub.builder().name("arena-echo").reactor(NettyReactor.epoll()).build();
             TestEchoServer server = TestEchoServer.start(hub)) {
            int rounds = 200;
            echoRounds(server.port(), rounds);
            NettyReactor reactor = NettyReactor.of(hub);
            long sends = NettyTestSupport.callOnCarrier(hub, () -> reactor.writeArenaSends);
            assertTrue(sends >= rounds, "every reply left from the arena, not from a buffer of its own: " + sends);
            awaitArenaEmpty(hub);
        }
    }

    @Test
    void writesToManySocketsInOneSliceOverflowTheArenaAndAllArriveInOrder() throws Exception {
        // Two writes of the largest region each, in one slice: the first ones fill every segment the arena may make
        // and the last few spill; the second ones cannot append (other sockets' regions came after), so they spill.
        int piece = WriteArena.MAX_REGION;
        int sockets = WriteArena.CAPACITY / piece + 8;
        try (Sink sink = new Sink("arena-overflow", sockets)) {
            Hub hub = sink.hub;
            NettyTestSupport.onHub(hub, () -> {
                List<HubSocket> open = new ArrayList<>();
                for (int i = 0; i < sockets; i++) {
                    open.add(sink.connect());
                }
                sink.accepted.get(30, TimeUnit.SECONDS); // the sink has them in connection order
                java.util.concurrent.atomic.AtomicBoolean carrierRan = new java.util.concurrent.atomic.AtomicBoolean();
                hub.execute(() -> carrierRan.set(true)); // runs as soon as this thread gives the carrier up
                for (int i = 0; i < sockets; i++) {
                    open.get(i).getOutputStream().write(pattern(i, piece));
                }
                for (int i = 0; i < sockets; i++) {
                    open.get(i).getOutputStream().write(pattern(i + sockets, piece));
                }
                assertTrue(!carrierRan.get(), "all the writes ran in one slice: no flush ran between them");
                for (HubSocket s : open) {
                    s.close();
                }
                return null;
            });
            for (int i = 0; i < sockets; i++) {
                byte[] expected = new byte[2 * piece];
                System.arraycopy(pattern(i, piece), 0, expected, 0, piece);
                System.arraycopy(pattern(i + sockets, piece), 0, expected, piece, piece);
                assertArrayEquals(expected, sink.received(i), "socket " + i);
            }
            awaitArenaEmpty(hub);
        }
    }

    @Test
    void aPeerThatReadsSlowlyGetsEverySmallWriteInOrderThroughShortSends() throws Exception {
        int writes = 400;
        int size = 5000; // one region per flush, not a divisor of the kernel's buffer sizes: sends end mid-region
        try (Hub hub = Hub.builder().name("arena-partial").reactor(NettyReactor.epoll()).build();
             ServerSocket sink = new ServerSocket(0, 1, LOOPBACK)) {
            CompletableFuture<Long> written = new CompletableFuture<>();
            Thread writer = hub.spawn(() -> {
                try (HubSocket s = new HubSocket(hub)) {
                    s.setSendBufferSize(4096);
                    s.connect(sink.getLocalSocketAddress());
                    CRC32 crc = new CRC32();
                    OutputStream out = s.getOutputStream();
                    for (int i = 0; i < writes; i++) {
                        byte[] b = pattern(i, size);
                        crc.update(b);
                        out.write(b);
                        Thread.yield(); // end the slice: one flush per write, as a request loop would
                    }
                    written.complete(crc.getValue());
                } catch (Exception e) {
                    written.completeExceptionally(e);
                }
            });
            try (Socket peer = sink.accept()) {
                // The kernel's buffers fill up and the writer parks on back-pressure before the peer reads a byte.
                await().atMost(Duration.ofSeconds(20)).until(() -> writer.getState() == Thread.State.WAITING);
                CRC32 crc = new CRC32();
                InputStream in = peer.getInputStream();
                byte[] buf = new byte[1000];
                long total = 0;
                int n;
                while ((n = in.read(buf)) > 0) {
                    crc.update(buf, 0, n);
                    total += n;
                }
                assertEquals((long) writes * size, total);
                assertEquals(written.get(30, TimeUnit.SECONDS), crc.getValue());
            }
            NettyReactor reactor = NettyReactor.of(hub);
            assertTrue(NettyTestSupport.callOnCarrier(hub, () -> reactor.writeArenaShortSends) > 0,
                    "some regions found the kernel's buffer full and went (in part or whole) through Netty");
        }
    }

    @Test
    void aSendToAResetPeerFailsTheWriterWithSocketExceptionAndClosesTheConnection() throws Exception {
        try (Hub hub = Hub.builder().name("arena-reset").reactor(NettyReactor.epoll()).build();
             ServerSocket sink = new ServerSocket(0, 1, LOOPBACK)) {
            CompletableFuture<HubSocket> connected = new CompletableFuture<>();
            CompletableFuture<Throwable> failure = new CompletableFuture<>();
            CompletableFuture<Void> peerGone = new CompletableFuture<>();
            hub.spawn(() -> {
                try {
                    HubSocket s = new HubSocket(hub, LOOPBACK.getHostAddress(), sink.getLocalPort());
                    connected.complete(s);
                    peerGone.get(30, TimeUnit.SECONDS);
                    OutputStream out = s.getOutputStream();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (System.nanoTime() < deadline) {
                        out.write(pattern(1, 64));
                        Thread.yield(); // let the flush run, so each write is one send
                    }
                    failure.complete(null);
                } catch (Throwable e) {
                    failure.complete(e);
                }
            });
            try (Socket peer = sink.accept()) {
                peer.setSoLinger(true, 0); // close with a reset
                connected.get(30, TimeUnit.SECONDS); // the hub has seen the connection complete
            }
            peerGone.complete(null);
            Throwable error = failure.get(30, TimeUnit.SECONDS);
            assertTrue(error instanceof SocketException, "writer failed with " + error);
            HubSocket s = connected.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> !s.connection().channel().isOpen());
            s.close();
        }
    }

    @Test
    void bytesStillInTheArenaWhenTheSocketClosesInTheSameSliceArriveBeforeTheEndOfStream() throws Exception {
        try (Sink sink = new Sink("arena-close", 2)) {
            Hub hub = sink.hub;
            NettyTestSupport.onHub(hub, () -> {
                HubSocket closedByUser = sink.connect();
                closedByUser.getOutputStream().write(pattern(1, 64));
                closedByUser.close(); // same slice: the flush has not run, the bytes are still in the arena
                return null;
            });
            Thread leaker = hub.spawn(() -> {
                try {
                    HubSocket leaked = sink.connect();
                    leaked.getOutputStream().write(pattern(2, 64));
                    // Ends without close(): the leak rule closes it, flushing what is still staged.
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            leaker.join(NettyTestSupport.JOIN);
            assertArrayEquals(pattern(1, 64), sink.received(0), "closed by its user");
            assertArrayEquals(pattern(2, 64), sink.received(1), "closed by the leak rule");
            awaitArenaEmpty(hub);
        }
    }

    @Test
    void aWriteWhoseThreadParksInTheAllocatorWhileItSpillsItsRegionSendsTheRegionOnce() throws Exception {
        // A hub thread's step is not atomic when it allocates: the allocator (or its leak detector) may park the
        // thread on a contended lock, and the carrier runs other work meanwhile, such as the flush queued for this
        // very socket. Here the allocation for the spilled copy of the socket's region yields instead, which is
        // the same interleaving made certain: the flush used to send the region from the arena while the copy
        // was being made, then the copy went out behind it, and the peer got the region twice (the echo test's
        // one connection in 200 with 8,192 bytes too many: a region of 8 KiB, then a write that could not append).
        try (Sink sink = new Sink("arena-park", 1)) {
            Hub hub = sink.hub;
            YieldingAllocator allocator = new YieldingAllocator();
            byte[] region = pattern(1, WriteArena.MAX_REGION);
            byte[] next = pattern(2, 100);
            NettyTestSupport.onHub(hub, () -> {
                try (HubSocket s = sink.connect()) {
                    OutputStream out = s.getOutputStream();
                    out.write(region); // staged in the arena; its flush is queued behind this thread
                    allocator.yieldOnceIn(s, () -> { });
                    out.write(next); // cannot append (8 KiB is the largest region): the region is spilled first
                    assertTrue(!allocator.yieldOnce.get(), "the spill allocated on the hub thread and yielded there");
                }
                return null;
            });
            byte[] expected = new byte[region.length + next.length];
            System.arraycopy(region, 0, expected, 0, region.length);
            System.arraycopy(next, 0, expected, region.length, next.length);
            byte[] got = sink.received(0);
            assertEquals(expected.length, got.length, "bytes received");
            assertArrayEquals(expected, got);
            awaitArenaEmpty(hub);
        }
    }

    @Test
    void aCloseFromAnotherThreadWhileTheWriterParksInTheAllocatorStillSendsWhatWasWrittenBefore() throws Exception {
        // The same park, with a second hub thread closing the socket while the writer waits in the allocation for
        // its spilled region: the bytes of the write that had already returned go out before the FIN (sent by the
        // flush that ran meanwhile, or by the close), and only the racing write fails. Taking the region out of
        // the socket before the allocation used to hide it from both: the peer got nothing.
        try (Sink sink = new Sink("arena-park-close", 1)) {
            Hub hub = sink.hub;
            YieldingAllocator allocator = new YieldingAllocator();
            byte[] region = pattern(3, WriteArena.MAX_REGION);
            String failure = NettyTestSupport.onHub(hub, () -> {
                HubSocket s = sink.connect();
                OutputStream out = s.getOutputStream();
                out.write(region); // returns: staged in the arena, its flush queued behind this thread
                // Queued before the yielding writer: runs while it waits in the allocation.
                allocator.yieldOnceIn(s, () -> spawn(hub, s::close));
                try {
                    out.write(pattern(4, 100)); // cannot append: spills the region, and yields in its allocation
                    return "the racing write succeeded on a closed socket";
                } catch (SocketException e) {
                    return e.getMessage();
                }
            });
            assertEquals("Socket closed", failure);
            assertArrayEquals(region, sink.received(0),
                    "the peer gets the write that returned before the close, then the end");
            awaitArenaEmpty(hub);
            await().atMost(Duration.ofSeconds(10)).until(() -> allocator.allLiveBuffersReleased());
        }
    }

    @Test
    void aSecondHubThreadThatMakesTheArenaWhileTheFirstParksInItsAllocationKeepsItsBytes() throws Exception {
        // The hub's first small write makes the arena; its allocation may park the writing hub thread, and another
        // hub thread may write meanwhile and make an arena of its own, then stage a region in it. The first arena
        // made stays the hub's: replacing it when the parked thread resumed made the second socket's flush send
        // from the wrong arena (its peer got the first socket's bytes).
        try (Sink sink = new Sink("arena-make-race", 2)) {
            Hub hub = sink.hub;
            YieldingAllocator allocator = new YieldingAllocator();
            byte[] first = pattern(5, 500);
            byte[] second = pattern(6, 700);
            HubSocket[] sockets = NettyTestSupport.onHub(hub, () -> {
                HubSocket a = sink.connect().detach();
                HubSocket b = sink.connect().detach();
                // Makes an arena too; its flush is queued behind a.
                allocator.yieldOnceIn(a, () -> spawn(hub, () -> b.getOutputStream().write(second)));
                a.getOutputStream().write(first); // makes the arena, and yields in its allocation
                assertTrue(!allocator.yieldOnce.get(), "the arena was allocated on the hub thread and yielded there");
                return new HubSocket[] {a, b};
            });
            NettyTestSupport.onHub(hub, () -> {
                sockets[0].close();
                sockets[1].close();
                return null;
            });
            assertArrayEquals(first, sink.received(0), "the first socket's bytes");
            assertArrayEquals(second, sink.received(1), "the second socket's bytes");
            awaitArenaEmpty(hub);
        }
    }

    @Test
    void aNioHubNeverMakesAnArenaAndStillEchoes() throws Exception {
        try (Hub hub = Hub.builder().name("arena-nio").reactor(NettyReactor.nio()).build();
             TestEchoServer server = TestEchoServer.start(hub)) {
            echoRounds(server.port(), 20);
            NettyReactor reactor = NettyReactor.of(hub);
            assertNull(NettyTestSupport.callOnCarrier(hub, reactor::writeArenaIfMade),
                    "NIO channels have no descriptor to send on");
        }
    }

    // ------------------------------------------------------------------------------------------------

    /** {@code rounds} 64-byte requests to an echo server on {@code port}, each reply checked. */
    private static void echoRounds(int port, int rounds) throws Exception {
        try (Socket client = new Socket(LOOPBACK, port)) {
            client.setSoTimeout(30_000);
            DataInputStream in = new DataInputStream(client.getInputStream());
            for (int i = 0; i < rounds; i++) {
                byte[] request = pattern(i, 64);
                client.getOutputStream().write(request);
                byte[] reply = new byte[64];
                in.readFully(reply);
                assertArrayEquals(request, reply, "round " + i);
            }
        }
    }

    /**
     * An epoll hub and a loopback server socket that accepts {@code connections} connections and reads each to its
     * end on the JDK's scheduler (not the hub), for tests that check what hub sockets send.
     */
    private static final class Sink implements AutoCloseable {
        final Hub hub;
        private final ServerSocket server;
        private final ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();
        /** The readers' results in connection order, once all are accepted. */
        final CompletableFuture<List<CompletableFuture<byte[]>>> accepted;

        Sink(String hubName, int connections) throws IOException {
            hub = Hub.builder().name(hubName).reactor(NettyReactor.epoll()).build();
            server = new ServerSocket(0, connections, LOOPBACK);
            accepted = CompletableFuture.supplyAsync(() -> {
                List<CompletableFuture<byte[]>> received = new ArrayList<>();
                try {
                    for (int i = 0; i < connections; i++) {
                        Socket s = server.accept();
                        received.add(CompletableFuture.supplyAsync(() -> readAll(s), readers));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return received;
            }, readers);
        }

        /** A hub socket connected to this sink; call on a hub thread. */
        HubSocket connect() throws IOException {
            return new HubSocket(hub, LOOPBACK.getHostAddress(), server.getLocalPort());
        }

        /** Everything connection {@code i} (in connection order) sent, once it ended. */
        byte[] received(int i) throws Exception {
            return accepted.get(30, TimeUnit.SECONDS).get(i).get(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws IOException {
            try {
                server.close();
            } finally {
                hub.close();
                readers.shutdownNow();
            }
        }
    }

    /** An action on a hub socket, which may throw what socket calls throw. */
    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }

    /** Starts {@code action} on a new hub thread (queued behind what the hub already has ready). */
    private static void spawn(Hub hub, IoAction action) {
        hub.spawn(() -> {
            try {
                action.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Waits until every region of the hub's write arena has been taken back. */
    private static void awaitArenaEmpty(Hub hub) {
        NettyReactor reactor = NettyReactor.of(hub);
        await().atMost(Duration.ofSeconds(10)).until(() -> NettyTestSupport.callOnCarrier(hub,
                () -> reactor.writeArenaIfMade().liveRegions()) == 0);
    }

    private static byte[] readAll(Socket s) {
        try (s) {
            return s.getInputStream().readAllBytes();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Netty's default allocator; once armed, the next direct buffer allocated on a virtual thread first yields it,
     * as a contended lock in the allocator or its leak detector would park it.
     */
    private static final class YieldingAllocator extends io.netty.buffer.AbstractByteBufAllocator {
        final java.util.concurrent.atomic.AtomicBoolean yieldOnce = new java.util.concurrent.atomic.AtomicBoolean();
        /** Runs on the allocating hub thread just before it yields; what it queues runs before the thread resumes. */
        volatile Runnable beforeYield = () -> { };
        private final java.util.Queue<io.netty.buffer.ByteBuf> handedOut =
                new java.util.concurrent.ConcurrentLinkedQueue<>();

        YieldingAllocator() {
            super(true);
        }

        /** Becomes {@code socket}'s allocator, whose next allocation runs {@code beforeYield} and then yields. */
        void yieldOnceIn(HubSocket socket, Runnable beforeYield) {
            socket.connection().channel().config().setAllocator(this);
            this.beforeYield = beforeYield;
            yieldOnce.set(true);
        }

        @Override
        protected io.netty.buffer.ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            if (Thread.currentThread().isVirtual() && yieldOnce.compareAndSet(true, false)) {
                beforeYield.run();
                Thread.yield(); // the hub runs what was queued before this thread: the socket's flush
            }
            io.netty.buffer.ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
            handedOut.add(buf);
            return buf;
        }

        /** Whether every buffer this allocator handed out has been released (none leaked). */
        boolean allLiveBuffersReleased() {
            return handedOut.stream().allMatch(b -> b.refCnt() == 0);
        }

        @Override
        protected io.netty.buffer.ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return ByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return ByteBufAllocator.DEFAULT.isDirectBufferPooled();
        }
    }

    /** Direct buffers from Netty's default allocator; the next allocation once {@link #hook} is set runs it first. */
    private static final class HookAllocator extends io.netty.buffer.AbstractByteBufAllocator {
        Runnable hook;
        io.netty.buffer.ByteBuf last;

        HookAllocator() {
            super(true);
        }

        @Override
        protected io.netty.buffer.ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            Runnable h = hook;
            hook = null;
            io.netty.buffer.ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
            if (h != null) {
                h.run(); // between the allocation and its return: where a parked hub thread would be
            }
            last = buf;
            return buf;
        }

        @Override
        protected io.netty.buffer.ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return ByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return ByteBufAllocator.DEFAULT.isDirectBufferPooled();
        }
    }

    /** Bytes that differ by {@code seed} and by position, so a misplaced or repeated region shows. */
    private static byte[] pattern(int seed, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (seed * 31 + i * 7 + (i >> 8));
        }
        return b;
    }
}
